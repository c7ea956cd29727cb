//! The text the iSM commands print (vendor-cli.md §3.3 and seed 001's log).
//!
//! Layouts from the references: the `iSMsc_create` BV/SV block (seed 001), the
//! `iSMsc_query -sv` BV Information block and SV line, the field list of the `-detail`
//! Pair Information, and the `iSMsc_linkinfo` blocks (OpenSVC docstrings of real runs).
//! Column widths beyond those samples, the `iSMvollist -d` listing, and the SV line of an
//! SV without a snapshot (`snap/nosnap`, no timestamp) are this emulator's choices.

use super::model::{Array, Role, Volume};
use crate::clock;

/// `2014/09/18 05:15:04`, in the emulated clock's frame like every printed date.
pub fn time(stored: i64) -> String {
    let (naive, _) = clock::local_time(stored);
    naive.format("%Y/%m/%d %H:%M:%S").to_string()
}

/// `BV Information` block of the queries.
pub fn bv_information(name: &str, volume: &Volume) -> String {
    format!(
        "BV Information\n    LD Name      : {name}\n    Type         : {}\n    Special File : -\n    State        : normal\n    Reserve Area : -\n",
        volume.os_type
    )
}

/// `  LX:test_src_0000_SV0014    ( -1) snap/active   [2014/03/24 11:16:16] link`.
pub fn sv_line(array: &Array, name: &str) -> String {
    let Some(volume) = array.volumes.get(name) else {
        return String::new();
    };
    let link = if array.lv_of(name).is_some() {
        "link"
    } else {
        "unlink"
    };
    let generation = array
        .generation(name)
        .map_or("  -".to_string(), |g| format!("{g:>3}"));
    let (state, stamp) = match &volume.snap {
        Some(snap) => (snap.state.as_str(), format!("[{}]", time(snap.since))),
        None => ("snap/nosnap", "-".to_string()),
    };
    format!(
        "  {}:{name:<24} ({generation}) {state:<13} {stamp} {link}",
        volume.os_type
    )
}

/// `iSMsc_query -sv SV -svflg ld`: the BV block, then the SV's line.
pub fn query_sv(array: &Array, sv: &str) -> String {
    let mut out = String::new();
    if let Some((bv, volume)) = array
        .volumes
        .get(sv)
        .and_then(|v| v.bv.as_ref())
        .and_then(|bv| array.volumes.get(bv).map(|v| (bv, v)))
    {
        out.push_str(&bv_information(bv, volume));
    }
    out.push_str("\nSV Information\n");
    out.push_str(&sv_line(array, sv));
    out.push('\n');
    out
}

/// `iSMsc_query -bv BV -bvflg ld [-sv SV -svflg ld]`: the BV block, then SV lines.
pub fn query_bv(array: &Array, bv: &str, only: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(volume) = array.volumes.get(bv) {
        out.push_str(&bv_information(bv, volume));
    }
    out.push_str("\nSV Information\n");
    for (name, _) in array
        .svs_of(bv)
        .filter(|(n, _)| only.is_none_or(|o| o == n.as_str()))
    {
        out.push_str(&sv_line(array, name));
        out.push('\n');
    }
    out
}

/// `iSMsc_query -bv BV -bvflg ld -detail`: the BV block, then one record per SV (with
/// its linked LV).
pub fn query_bv_detail(array: &Array, bv: &str, only: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(volume) = array.volumes.get(bv) {
        out.push_str(&bv_information(bv, volume));
    }
    out.push_str("\nPair Information\n");
    for (name, volume) in array
        .svs_of(bv)
        .filter(|(n, _)| only.is_none_or(|o| o == n.as_str()))
    {
        out.push_str(&sv_detail(array, name, volume));
    }
    out
}

fn sv_detail(array: &Array, name: &str, volume: &Volume) -> String {
    let generation = array
        .generation(name)
        .map_or("-".to_string(), |g| format!("{g}(normal)"));
    let (state, created) = match &volume.snap {
        Some(snap) => (
            format!("{} [{}]", snap.state, time(snap.since)),
            time(snap.since),
        ),
        None => ("snap/nosnap".to_string(), "-".to_string()),
    };
    let lv = array.lv_of(name);
    let mut out = format!(
        "    SV:LD Name                  : {name}\n\
         \x20      Type                     : {}\n\
         \x20      Generation(Attribute)    : {generation}\n\
         \x20      Snap State               : {state}\n\
         \x20      Create   Start Time      : {created}\n\
         \x20      Processing Data Size     : -\n\
         \x20      Snapshot Data Size       : 0.0GB\n\
         \x20      SV Guard                 : off\n\
         \x20      LV Link Status           : {}\n",
        volume.os_type,
        if lv.is_some() { "link" } else { "unlink" }
    );
    if let Some(lv) = lv {
        let os_type = array.volumes.get(lv).map_or("LX", |v| v.os_type.as_str());
        out.push_str(&format!(
            "    LV:LD Name                  : {lv}\n\
             \x20      Type                     : {os_type}\n\
             \x20      Special File             : -\n\
             \x20      LV Access                : rw\n"
        ));
    }
    out
}

/// `iSMsc_linkinfo -vol VOL -volflg ld -lcl`: the volume and its link destinations.
pub fn linkinfo(array: &Array, name: &str) -> String {
    let Some(volume) = array.volumes.get(name) else {
        return String::new();
    };
    let peer: Option<String> = match volume.role {
        Role::Sv => array.lv_of(name).map(str::to_string),
        Role::Lv => volume.linked_to.clone(),
        Role::Bv => None,
    };
    let (role, mode) = match volume.role {
        Role::Lv => ("LV", "rw"),
        Role::Sv => ("SV", "nr"),
        Role::Bv => ("BV", "rw"),
    };
    let state = peer
        .as_ref()
        .map_or("unlink".to_string(), |p| format!("link ({p})"));
    let mut out = format!(
        "Specified Volume Information\n{role}:LD Name     : {name}\n   Type        : {}\n   Special File : -\n   State       : {state}\n   Mode        : {mode}\n\nDestination Volume Information\n",
        volume.os_type
    );
    if let Some(peer) = peer {
        let peer_role = if volume.role == Role::Sv { "LV" } else { "SV" };
        let os_type = array
            .volumes
            .get(&peer)
            .map_or("LX", |v| v.os_type.as_str());
        out.push_str(&format!(
            "{peer_role}:{peer}  {os_type} link ({name})  rw\n"
        ));
    }
    out
}

/// The BV/SV block `iSMsc_create` prints after its success line (seed 001).
pub fn created(array: &Array, bv: &str, sv: &str) -> String {
    let os = |name: &str| {
        array
            .volumes
            .get(name)
            .map_or("LX", |v| v.os_type.as_str())
            .to_string()
    };
    let generation = array
        .generation(sv)
        .map_or("-".to_string(), |g| g.to_string());
    let status = array
        .volumes
        .get(sv)
        .and_then(|v| v.snap.as_ref())
        .map_or("-".to_string(), |s| {
            format!("{} [{}]", s.state, time(s.since))
        });
    format!(
        "   {:<22} {}\n      Special File : -\n   {:<22} {}\n      Generation : {generation}\n      Status     : {status}\n",
        format!("BV:{bv}"),
        os(bv),
        format!("SV:{sv}"),
        os(sv)
    )
}

/// `iSMvollist -d`: the disk arrays in the volume list.
pub fn vollist_arrays(arrays: &[Array]) -> String {
    let mut out =
        String::from("--- Disk Array List ---\nDisk Array Name                  Product ID\n");
    for array in arrays {
        out.push_str(&format!("{:<32} {}\n", array.name, array.product_id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nec::model::Volume;

    fn seed_array() -> Array {
        let mut a = Array::new("D1_10");
        a.volumes
            .insert("SOURCE_0001".into(), Volume::new(Role::Bv));
        let mut sv = Volume::new(Role::Sv);
        sv.bv = Some("SOURCE_0001".into());
        a.volumes.insert("SOURCE_0001_SV006D".into(), sv);
        a.volumes
            .insert("SOURCE_0001_LV00A6".into(), Volume::new(Role::Lv));
        // 2014-09-18 05:15:04 UTC
        a.create("SOURCE_0001", "SOURCE_0001_SV006D", 1_411_017_304)
            .expect("create");
        a
    }

    #[test]
    fn create_block_matches_seed_001() {
        let a = seed_array();
        // The seed's block; the time is printed in the local zone (2014/09/18 05:15:04 UTC).
        let when = time(1_411_017_304);
        assert_eq!(
            created(&a, "SOURCE_0001", "SOURCE_0001_SV006D"),
            format!("   BV:SOURCE_0001         LX\n      Special File : -\n   SV:SOURCE_0001_SV006D  LX\n      Generation : -1\n      Status     : snap/active [{when}]\n")
        );
    }

    #[test]
    fn sv_line_matches_the_reference_layout() {
        let mut a = seed_array();
        let when = time(1_411_017_304);
        assert_eq!(
            sv_line(&a, "SOURCE_0001_SV006D"),
            format!("  LX:SOURCE_0001_SV006D       ( -1) snap/active   [{when}] unlink")
        );
        a.link("SOURCE_0001_LV00A6", "SOURCE_0001_SV006D")
            .expect("link");
        assert!(sv_line(&a, "SOURCE_0001_SV006D").ends_with("] link"));
        let info = linkinfo(&a, "SOURCE_0001_SV006D");
        assert!(
            info.contains("   State       : link (SOURCE_0001_LV00A6)\n"),
            "{info}"
        );
        assert!(
            info.ends_with("LV:SOURCE_0001_LV00A6  LX link (SOURCE_0001_SV006D)  rw\n"),
            "{info}"
        );
        let detail = query_bv_detail(&a, "SOURCE_0001", None);
        assert!(
            detail.contains(&format!("Snap State               : snap/active [{when}]")),
            "{detail}"
        );
        assert!(
            detail.contains("LV:LD Name                  : SOURCE_0001_LV00A6"),
            "{detail}"
        );
    }
}
