//! `symdg` (device groups in the host's SYMAPI database), `symld` (their logical devices)
//! and `symdev` (the array's devices): the setup commands of seed 002 and the listings the
//! driver reads.
//!
//! ```text
//! symdg create [-type REGULAR] DG | delete DG [-force] | list | show DG
//! symld -g DG add dev DEV [LdevName] [-sid SID] | remove LdevName | list [-v]
//! symdev [-sid SID] list [-v] [-devs D1,D2] [-output xml_e|xml]
//! ```

use super::args::{self, Cmd};
use super::clone::{db_locked, report, Fail};
use super::format::{self, exit};
use super::model::{self, Db, Group, Symm};
use crate::clock::Clock;
use crate::invocation::{out, Invocation};

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 31
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn parse_or_report(
    inv: &mut Invocation,
    argv: &[String],
    values: &[&'static str],
    switches: &[&'static str],
) -> Result<Cmd, i32> {
    let prog = inv.prog();
    let cmd = args::parse(argv, values, switches)
        .map_err(|m| report(Fail::Msg(format!("{prog}: {m}"))))?;
    if let Some(code) = db_locked(inv) {
        return Err(code);
    }
    Ok(cmd)
}

pub fn run_symdg(inv: &mut Invocation, argv: &[String]) -> i32 {
    let cmd = match parse_or_report(
        inv,
        argv,
        &["-type", "-sid"],
        &["-force", "-v", "-noprompt"],
    ) {
        Ok(c) => c,
        Err(code) => return code,
    };
    inv.record_command(cmd.words.join(" "));
    let operand = cmd.operands().first().cloned();
    let result = match (cmd.action().as_deref(), operand) {
        (Some("create"), Some(name)) => dg_create(inv, &name, cmd.value("-type").unwrap_or("REGULAR")),
        (Some("delete"), Some(name)) => dg_delete(inv, &name, cmd.has("-force")),
        (Some("list"), _) => dg_list(inv),
        (Some("show"), Some(name)) => dg_show(inv, &name),
        _ => Err(Fail::Msg("symdg: usage: symdg create [-type REGULAR] DgName | delete DgName [-force] | list | show DgName".into())),
    };
    result.unwrap_or_else(report)
}

fn dg_create(inv: &Invocation, name: &str, kind: &str) -> Result<i32, Fail> {
    if !valid_name(name) {
        return Err(Fail::Msg(format!("Invalid device group name '{name}'")));
    }
    let kind = kind.to_ascii_uppercase();
    if !matches!(kind.as_str(), "REGULAR" | "ANY" | "RDF1" | "RDF2" | "RDF21") {
        return Err(Fail::Msg(format!("Invalid device group type '{kind}'")));
    }
    inv.store.update(model::DB_FILE, |db: &mut Db| {
        if db.groups.keys().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(Fail::Msg(format!(
                "The device group '{name}' already exists"
            )));
        }
        db.groups.insert(
            name.to_string(),
            Group {
                kind,
                symid: None,
                members: Vec::new(),
            },
        );
        Ok(exit::OK)
    })
}

fn dg_delete(inv: &Invocation, name: &str, force: bool) -> Result<i32, Fail> {
    inv.store.update(model::DB_FILE, |db: &mut Db| {
        let key = group_key(db, name)?;
        if !force && db.groups.get(&key).is_some_and(|g| !g.members.is_empty()) {
            return Err(Fail::Msg(format!(
                "The device group '{name}' is not empty: use -force to delete it"
            )));
        }
        db.groups.remove(&key);
        Ok(exit::OK)
    })
}

fn dg_list(inv: &Invocation) -> Result<i32, Fail> {
    let db = model::load_db(&inv.store)?;
    let mut text = String::from("\n\n                    D E V I C E      G R O U P S\n\n");
    text.push_str("    Name               Type     Valid  Symmetrix ID  Devs\n\n");
    for (name, g) in &db.groups {
        text.push_str(&format!(
            "    {name:<18} {:<8} Yes    {:<12}  {:>4}\n",
            g.kind,
            g.symid.as_deref().unwrap_or("N/A"),
            g.members.len()
        ));
    }
    out(&format!("{text}\n"));
    Ok(exit::OK)
}

fn no_group(name: &str) -> Fail {
    Fail::Msg(format!("The device group '{name}' does not exist"))
}

/// Group names match whatever their case: the stored name of group `name`.
fn group_key(db: &Db, name: &str) -> Result<String, Fail> {
    db.groups
        .keys()
        .find(|n| n.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| no_group(name))
}

fn group_mut<'a>(db: &'a mut Db, name: &str) -> Result<&'a mut Group, Fail> {
    db.groups
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, g)| g)
        .ok_or_else(|| no_group(name))
}

fn find_group(db: &Db, name: &str) -> Result<(String, Group), Fail> {
    db.groups
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, g)| (n.clone(), g.clone()))
        .ok_or_else(|| no_group(name))
}

/// Group `name` (its stored name) and the array it is bound to, if any and still there.
fn group_and_array(inv: &Invocation, name: &str) -> Result<(String, Group, Option<Symm>), Fail> {
    let (name, group) = find_group(&model::load_db(&inv.store)?, name)?;
    let symm = group
        .symid
        .as_deref()
        .map(|id| model::load(&inv.store, id))
        .transpose()?
        .flatten();
    Ok((name, group, symm))
}

fn dg_show(inv: &Invocation, name: &str) -> Result<i32, Fail> {
    let (name, group, symm) = group_and_array(inv, name)?;
    out(&member_table(&name, &group, symm.as_ref()));
    Ok(exit::OK)
}

fn member_table(name: &str, group: &Group, symm: Option<&Symm>) -> String {
    let mut text = format::group_header(name, group);
    text.push_str(&format!(
        "    Number of STD Devices in Group : {:>5}\n\n",
        group.members.len()
    ));
    text.push_str("Logical                   Sym               Cap\nDevice Name               Dev   Config Sts   (MB)\n");
    text.push_str("------------------------- ----- ------ ----  --------\n");
    for (ld, dev) in &group.members {
        let mb = symm
            .and_then(|s| s.devices.get(dev))
            .map_or(0, |d| d.tracks / 16);
        text.push_str(&format!("{ld:<25} {dev:<5} TDEV   RW    {mb:>8}\n"));
    }
    text.push('\n');
    text
}

pub fn run_symld(inv: &mut Invocation, argv: &[String]) -> i32 {
    let cmd = match parse_or_report(
        inv,
        argv,
        &["-g", "-sid", "-i", "-c"],
        &["-v", "-noprompt", "-force"],
    ) {
        Ok(c) => c,
        Err(code) => return code,
    };
    inv.record_command(cmd.words.join(" "));
    let Some(name) = cmd.value("-g").map(str::to_string) else {
        return report(Fail::Msg(
            "symld: a device group (-g DgName) is required".into(),
        ));
    };
    let ops = cmd.operands().to_vec();
    let result = match (cmd.action().as_deref(), ops.as_slice()) {
        (Some("add"), [kw, dev, rest @ ..]) if kw.eq_ignore_ascii_case("dev") && rest.len() <= 1 => {
            ld_add(inv, &name, dev, rest.first().map(String::as_str), cmd.value("-sid"))
        }
        (Some("remove"), [ld]) => ld_remove(inv, &name, ld),
        (Some("list"), []) => ld_list(inv, &name, cmd.has("-v")),
        _ => Err(Fail::Msg("symld: usage: symld -g DgName add dev SymDevName [LdevName] [-sid SymmID] | remove LdevName | list [-v]".into())),
    };
    result.unwrap_or_else(report)
}

/// The array of a new member: the group's, else `-sid`, else the only emulated array.
fn member_symid(inv: &Invocation, group: &Group, sid: Option<&str>) -> Result<String, Fail> {
    if let Some(id) = &group.symid {
        return Ok(id.clone());
    }
    if let Some(sid) = sid {
        return model::resolve(&inv.store, sid)?
            .ok_or_else(|| Fail::Msg(format!("Symmetrix '{sid}' was not found")));
    }
    match model::list(&inv.store)?.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Fail::Msg("No Symmetrix is visible from this host".into())),
        _ => Err(Fail::Msg(
            "Several Symmetrix arrays are visible: specify one with -sid".into(),
        )),
    }
}

fn ld_add(
    inv: &Invocation,
    name: &str,
    dev: &str,
    ld: Option<&str>,
    sid: Option<&str>,
) -> Result<i32, Fail> {
    if !model::valid_device_id(dev) {
        return Err(Fail::Msg(format!("Invalid Symmetrix device name '{dev}'")));
    }
    if let Some(ld) = ld.filter(|l| !valid_name(l)) {
        return Err(Fail::Msg(format!("Invalid logical device name '{ld}'")));
    }
    let (_, group) = find_group(&model::load_db(&inv.store)?, name)?;
    let symid = member_symid(inv, &group, sid)?;
    let symm = model::load(&inv.store, &symid)?
        .ok_or_else(|| Fail::Msg(format!("Symmetrix '{symid}' was not found")))?;
    let dev = symm.device_id(dev).ok_or_else(|| {
        Fail::Msg(format!(
            "Device '{dev}' was not found in Symmetrix '{symid}'"
        ))
    })?;
    inv.store.update(model::DB_FILE, |db: &mut Db| {
        let group = group_mut(db, name)?;
        if let Some(existing) = group.ld_of(&dev) {
            return Err(Fail::Msg(format!(
                "Device '{dev}' is already a member of the group (as '{existing}')"
            )));
        }
        let ld = match ld {
            Some(l) if group.member(l).is_some() => {
                return Err(Fail::Msg(format!(
                    "The logical device name '{l}' is already in use in the group"
                )))
            }
            Some(l) => l.to_string(),
            None => (1..)
                .map(|n| format!("DEV{n:03}"))
                .find(|l| group.member(l).is_none())
                .unwrap_or_default(),
        };
        group.symid = Some(symid.clone());
        group.members.push((ld, dev.clone()));
        Ok(exit::OK)
    })
}

fn ld_remove(inv: &Invocation, name: &str, ld: &str) -> Result<i32, Fail> {
    inv.store.update(model::DB_FILE, |db: &mut Db| {
        let group = group_mut(db, name)?;
        let before = group.members.len();
        group.members.retain(|(l, _)| !l.eq_ignore_ascii_case(ld));
        if group.members.len() == before {
            return Err(Fail::Msg(format!(
                "Device '{ld}' is not a member of device group '{name}'"
            )));
        }
        if group.members.is_empty() {
            group.symid = None;
        }
        Ok(exit::OK)
    })
}

fn ld_list(inv: &Invocation, name: &str, verbose: bool) -> Result<i32, Fail> {
    let (name, group, symm) = group_and_array(inv, name)?;
    let symm = match symm {
        Some(symm) if verbose => symm,
        other => {
            out(&member_table(&name, &group, other.as_ref()));
            return Ok(exit::OK);
        }
    };
    let clock = Clock::load(&inv.store)?;
    let mut text = format::group_header(&name, &group);
    for (_, dev) in &group.members {
        text.push_str(&format::device_record(
            &symm,
            &clock,
            dev,
            Some((&name, &group)),
        ));
    }
    out(&format!("{text}\n"));
    Ok(exit::OK)
}

pub fn run_symdev(inv: &mut Invocation, argv: &[String]) -> i32 {
    let cmd = match parse_or_report(inv, argv, &["-sid", "-devs", "-output"], &["-v"]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    inv.record_command(cmd.action().unwrap_or_default());
    let result = match cmd.action().as_deref() {
        Some("list") => dev_list(inv, &cmd),
        _ => Err(Fail::Msg(
            "symdev: usage: symdev -sid SymmID list [-v] [-devs SymDevName,...] [-output xml_e]"
                .into(),
        )),
    };
    result.unwrap_or_else(report)
}

fn dev_list(inv: &Invocation, cmd: &Cmd) -> Result<i32, Fail> {
    let symid = match cmd.value("-sid") {
        Some(sid) => model::resolve(&inv.store, sid)?
            .ok_or_else(|| Fail::Msg(format!("Symmetrix '{sid}' was not found")))?,
        None => member_symid(
            inv,
            &Group {
                kind: String::new(),
                symid: None,
                members: Vec::new(),
            },
            None,
        )?,
    };
    let symm = model::load(&inv.store, &symid)?
        .ok_or_else(|| Fail::Msg(format!("Symmetrix '{symid}' was not found")))?;
    let clock = Clock::load(&inv.store)?;
    let devs: Vec<String> = match cmd.value("-devs") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        None => symm.devices.keys().cloned().collect(),
    };
    match cmd.value("-output").map(str::to_ascii_lowercase).as_deref() {
        Some("xml_e" | "xml" | "xml_element") => out(&format::device_xml(&symm, &clock, &devs)),
        Some(other) => {
            return Err(Fail::Msg(format!(
                "Invalid output format '{other}' (xml, xml_e)"
            )))
        }
        None if cmd.has("-v") => {
            let mut text = format!("\nSymmetrix ID: {symid}\n");
            for dev in devs.iter().filter_map(|d| symm.device_id(d)) {
                text.push_str(&format::device_record(&symm, &clock, &dev, None));
            }
            out(&format!("{text}\n"));
        }
        None => out(&device_table(&symm, &devs)),
    }
    Ok(exit::OK)
}

fn device_table(symm: &Symm, devs: &[String]) -> String {
    let mut text = format!("\nSymmetrix ID: {}\n\n", symm.symid);
    text.push_str("        Device Name                                  Cap\nSym   Physical                 Config        Sts   (MB)\n");
    text.push_str("----- ------------------------ ------------- ----  --------\n");
    for dev in devs.iter().filter_map(|d| symm.device_id(d)) {
        if let Some(d) = symm.devices.get(&dev) {
            text.push_str(&format!(
                "{dev:<5} {:<24} TDEV          RW    {:>8}\n",
                d.pd_name.as_deref().unwrap_or("Not Visible"),
                d.tracks / 16
            ));
        }
    }
    text.push('\n');
    text
}
