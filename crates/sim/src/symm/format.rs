//! SYMCLI texts: control action messages (seed 002, vendor-cli.md §2.2), `query` tables
//! (§2.3), `symld list -v` records (§2.5) and `symdev list -v -output xml_e` XML (§2.4).
//!
//! The XML element names follow the `CLONE_Device` vocabulary OpenSVC reads; SYMCLI's own
//! `query -output xml` names were not found (vendor-cli.md §2.4) and are not emulated.

use super::model::{Group, Op, PairRef, Session, Symm};
use crate::clock::{local_time, Clock};

/// Exit codes: 0 ok, 1 failure, 2 the SYMAPI database is locked (`CLI_C_DB_FILE_IS_LOCKED`),
/// 4 / 5 `verify`: not all / none of the pairs in the state (values inferred, §2.7).
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAIL: i32 = 1;
    pub const DB_LOCKED: i32 = 2;
    pub const NOT_ALL: i32 = 4;
    pub const NONE: i32 = 5;
}

/// The text of a lock error; scripts retry on `locked by another process` (§2.2).
pub const DB_LOCKED: &str = "The SYMAPI database file is locked by another process";

/// What a control action names, for its messages.
pub enum Scope<'a> {
    /// One pair of a device group.
    GroupPair { group: &'a str, pair: &'a PairRef },
    /// Several pairs of a device group (or all of it).
    Group { group: &'a str, all: bool },
    /// A device file (`-f`).
    File { file: &'a str },
}

/// Printed before the operation runs.
pub fn in_progress(op: Op, scope: &Scope) -> String {
    let t = op.title();
    match scope {
        Scope::GroupPair { group, pair } => {
            let (s, g) = pair.shown();
            format!("\n'{t}' operation execution is in progress for device '{s}'\npaired with target device '{g}' in\ndevice group '{group}'. Please wait...\n")
        }
        Scope::Group { group, all: true } => format!("\n'{t}' operation execution is in progress for\ndevice group '{group}'. Please wait...\n"),
        Scope::Group { group, all: false } => {
            format!("\n'{t}' operation execution is in progress for the device list\nin device group '{group}'. Please wait...\n")
        }
        Scope::File { file } => format!("\n'{t}' operation execution is in progress for the device list\nin device file '{file}'. Please wait...\n"),
    }
}

/// Printed once the operation succeeded.
pub fn done(op: Op, scope: &Scope) -> String {
    let t = op.title();
    let how = if op.initiated() {
        "initiated"
    } else {
        "executed"
    };
    match scope {
        Scope::GroupPair { group, pair } => {
            let (s, g) = pair.shown();
            format!("'{t}' operation successfully {how} for device '{s}'\nin group '{group}' paired with target device '{g}'.\n")
        }
        Scope::Group { group, all: true } => {
            format!("'{t}' operation successfully {how} for device group\n'{group}'.\n")
        }
        Scope::Group { group, all: false } => format!(
            "'{t}' operation successfully {how} for the device list\nin device group '{group}'.\n"
        ),
        Scope::File { file } => format!(
            "'{t}' operation successfully {how} for the device list\nin device file '{file}'.\n"
        ),
    }
}

/// The confirmation asked without `-noprompt`.
pub fn prompt(op: Op, scope: &Scope) -> String {
    let t = op.title();
    match scope {
        Scope::GroupPair { group, pair } => format!(
            "Execute '{t}' operation for device '{}'\nin device group '{group}' (y/[n]) ? ",
            pair.shown().0
        ),
        Scope::Group { group, .. } => {
            format!("Execute '{t}' operation for device group\n'{group}' (y/[n]) ? ")
        }
        Scope::File { file } => format!(
            "Execute '{t}' operation for the device list\nin device file '{file}' (y/[n]) ? "
        ),
    }
}

/// `Thu Feb 25 10:20:56 2010` in the host's local time, in the emulated clock's frame.
pub fn date(stored: i64) -> String {
    let (time, _zone) = local_time(stored);
    time.format("%a %b %e %H:%M:%S %Y").to_string()
}

fn mb(tracks: u64) -> u64 {
    tracks / 16
}

/// The header of group listings.
pub fn group_header(name: &str, group: &Group) -> String {
    format!(
        "\nDevice Group (DG) Name: {name}\nDG's Type             : {}\nDG's Symmetrix ID     : {}\n",
        group.kind,
        group.symid.as_deref().unwrap_or("N/A")
    )
}

/// One row per session: the `symclone query` table (§2.3).
pub fn query(
    title: &str,
    symm: &Symm,
    clock: &Clock,
    rows: &[(&Session, Option<(String, String)>)],
    in_group: bool,
) -> String {
    let now = clock.now();
    let mut text = format!("{title}\n");
    text.push_str(
        "         Source Device                   Target Device            State     Copy\n",
    );
    text.push_str(
        "--------------------------------- ---------------------------- ------------ ----\n",
    );
    text.push_str("               Protected Modified                Modified\n");
    text.push_str(
        "Logical   Sym  Tracks    Tracks   Logical   Sym  Tracks   CGDP SRC <=> TGT  (%)\n",
    );
    text.push_str(
        "--------------------------------- ---------------------------- ------------ ----\n",
    );
    let (mut protected, mut src_mod, mut tgt_mod) = (0u64, 0u64, 0u64);
    for (s, names) in rows {
        let written = |d: &str| {
            symm.device_id(d)
                .and_then(|id| symm.devices.get(&id))
                .map_or(0, |d| d.written)
        };
        let remaining = s.remaining(now, symm.rate);
        let (sl, tl) = names
            .clone()
            .unwrap_or_else(|| ("N/A".into(), "N/A".into()));
        let flags: String = [
            !s.snap,
            in_group,
            s.differential,
            s.phase == super::model::Phase::Precopy,
        ]
        .iter()
        .map(|on| if *on { 'X' } else { '.' })
        .collect();
        text.push_str(&format!(
            "{sl:<9} {:<5}{remaining:>9} {:>8} {tl:<9} {:<5}{:>8} {flags} {:<12} {:>4}\n",
            s.src,
            written(&s.src),
            s.tgt,
            written(&s.tgt),
            s.state(now, symm.rate),
            s.percent(now, symm.rate)
        ));
        protected += remaining;
        src_mod += written(&s.src);
        tgt_mod += written(&s.tgt);
    }
    text.push_str("\nTotal               -------- --------                 --------\n");
    text.push_str(&format!(
        "  Track(s)           {protected:>8} {src_mod:>8}                 {tgt_mod:>8}\n"
    ));
    text.push_str(&format!(
        "  MB(s)              {:>8} {:>8}                 {:>8}\n",
        mb(protected),
        mb(src_mod),
        mb(tgt_mod)
    ));
    text
}

/// One verbose device record (`symld list -v`, `symdev list -v`): identity, then one
/// `Clone Device Information` block per session the device takes part in.
pub fn device_record(
    symm: &Symm,
    clock: &Clock,
    dev: &str,
    group: Option<(&str, &Group)>,
) -> String {
    let now = clock.now();
    let device = symm.device_id(dev).and_then(|id| symm.devices.get(&id));
    let mut text = format!(
        "\n    Device Physical Name     : {}\n\n    Device Symmetrix Name    : {dev}\n",
        device
            .and_then(|d| d.pd_name.as_deref())
            .unwrap_or("Not Visible")
    );
    if let Some((_, g)) = group {
        text.push_str(&format!(
            "    Device Logical Name      : {}\n",
            g.ld_of(dev).unwrap_or("N/A")
        ));
    }
    text.push_str(&format!(
        "    Symmetrix ID             : {}\n    Product Revision         : 5978\n    Device Configuration     : TDEV\n    Device Capacity (MB)     : {}\n",
        symm.symid,
        mb(device.map_or(0, |d| d.tracks))
    ));
    for s in symm.sessions_of(dev) {
        let kind = if s.snap { "Snap" } else { "Clone" };
        let ld = |d: &str| {
            group
                .and_then(|(_, g)| g.ld_of(d))
                .unwrap_or("N/A")
                .to_string()
        };
        let written = |d: &str| {
            symm.device_id(d)
                .and_then(|id| symm.devices.get(&id))
                .map_or(0, |d| d.written)
        };
        text.push_str(&format!(
            "\n    {kind} Device Information :\n        {{\n        Source (SRC) Device Symmetrix Name   : {}\n        Source (SRC) Device Logical Name     : {}\n        Target (TGT) Device Symmetrix Name   : {}\n        Target (TGT) Device Logical Name     : {}\n        State of Session (SRC ====> TGT)     : {}\n        Percent Copied                       : {}%\n        Changed Tracks for SRC Device        : {}\n        Changed Tracks for TGT Device        : {}\n        Time of Last {kind} Action            : {}\n        }}\n",
            s.src,
            ld(&s.src),
            s.tgt,
            ld(&s.tgt),
            s.state(now, symm.rate),
            s.percent(now, symm.rate),
            written(&s.src),
            written(&s.tgt),
            date(s.last_action)
        ));
    }
    text
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `symdev list -v -output xml_e` for `devs`.
pub fn device_xml(symm: &Symm, clock: &Clock, devs: &[String]) -> String {
    let now = clock.now();
    let mut text = String::from("<?xml version=\"1.0\" standalone=\"yes\" ?>\n<SymCLI_ML>\n  <Symmetrix>\n    <Symm_Info>\n");
    text.push_str(&format!(
        "      <symid>{}</symid>\n    </Symm_Info>\n",
        symm.symid
    ));
    for requested in devs {
        // Devices that do not exist are left out of the listing.
        let Some(dev) = symm.device_id(requested) else {
            continue;
        };
        let Some(device) = symm.devices.get(&dev) else {
            continue;
        };
        text.push_str(&format!(
            "    <Device>\n      <Dev_Info>\n        <pd_name>{}</pd_name>\n        <dev_name>{dev}</dev_name>\n        <configuration>TDEV</configuration>\n        <status>Ready</status>\n      </Dev_Info>\n",
            xml_escape(device.pd_name.as_deref().unwrap_or("Not Visible"))
        ));
        for s in symm.sessions_of(&dev) {
            text.push_str(&format!(
                "      <CLONE_Device>\n        <SRC>\n          <dev_name>{}</dev_name>\n        </SRC>\n        <TGT>\n          <dev_name>{}</dev_name>\n        </TGT>\n        <state>{}</state>\n        <percent>{}</percent>\n        <last_action>{}</last_action>\n      </CLONE_Device>\n",
                s.src,
                s.tgt,
                s.state(now, symm.rate),
                s.percent(now, symm.rate),
                date(s.last_action)
            ));
        }
        text.push_str("    </Device>\n");
    }
    text.push_str("  </Symmetrix>\n</SymCLI_ML>\n");
    text
}

/// The text of an injected failure that names no message.
pub fn injected(command: Option<&str>, pair: Option<&str>) -> String {
    match (command, pair) {
        (Some(c), Some(p)) => {
            format!("The '{c}' operation failed for device pair '{p}' (injected fault)")
        }
        (Some(c), None) => format!("The '{c}' operation failed (injected fault)"),
        _ => "The operation failed (injected fault)".into(),
    }
}
