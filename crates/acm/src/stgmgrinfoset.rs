//! stgmgrinfoset — register, delete or show this agent as the management information
//! package backup execution server: the directory stgmgrinfobkup writes to and the
//! Management Server's encoding (manual 8.2.11). Kept in
//! `/etc/opt/FJSVswstf/data/stgmgrinfo.ini`; the directory is resolved under
//! `ARRAYSYNC_ROOT` like every absolute path of ours.

use crate::agent::{self, MGRINFO_FILE};
use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[flag("-del"), valued("-d"), valued("-c")];
pub const SECTION: &str = "mgrinfo";

pub fn spec() -> Spec {
    Spec {
        name: "stgmgrinfoset",
        usage: "stgmgrinfoset [-del | -d directoryName -c managementServerEncoding]",
        flags: FLAGS,
        class: Class::Config,
        read_only_when: Some(|args| args.flags.is_empty()),
    }
}

/// The registered backup data directory (as given) and encoding.
pub fn registration(cx: &Cx) -> Result<(String, String), AcmError> {
    let file = cx.paths.under_root(MGRINFO_FILE);
    let dir = agent::setting(&file, SECTION, "directory")?;
    let code = agent::setting(&file, SECTION, "code")?;
    match (dir, code) {
        (Some(dir), Some(code)) => Ok((dir, code)),
        _ => Err(AcmError::new(
            "swstf3003",
            "The server which performs package backup of the management information on AdvancedCopy Manager is not registered.",
        )),
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("stgmgrinfoset takes no operand"));
    }
    crate::exclusive(args, &[&["-del"], &["-d", "-c"]])?;
    let file = cx.paths.under_root(MGRINFO_FILE);
    if args.has("-del") {
        let (dir, _) = registration(cx)?;
        std::fs::remove_file(&file).map_err(|e| agent::io_error(&file, &e))?;
        cx.println(format!("swstf3001 The server which performs package backup of the management information on AdvancedCopy Manager was deleted. Delete a directory. Directory={dir}"));
        return Ok(());
    }
    match (args.value("-d"), args.value("-c")) {
        (None, None) => {
            let (dir, code) = registration(cx)?;
            cx.println(format!("Directory      : {dir}"));
            cx.println(format!("Manager code   : {code}"));
            Ok(())
        }
        (Some(dir), Some(code)) => register(cx, &file, dir, code),
        _ => Err(AcmError::usage("-d and -c must be given together")),
    }
}

fn register(cx: &mut Cx, file: &std::path::Path, dir: &str, code: &str) -> Result<(), AcmError> {
    if code != "ASCII" {
        return Err(AcmError::new(
            "swstf3005",
            format!("The encoding of the Management Server must be ASCII. Code={code}"),
        ));
    }
    let valid = dir.starts_with('/')
        && dir.len() > 1
        && dir[1..].split('/').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid {
        return Err(AcmError::new(
            "swstf3002",
            format!("The directory name must be an absolute path of alphanumeric characters and underscores. Directory={dir}"),
        ));
    }
    if !agent::rooted(&cx.paths, dir).is_dir() {
        return Err(AcmError::new(
            "swstf3002",
            format!("The directory does not exist. Directory={dir}"),
        ));
    }
    if registration(cx).is_ok() {
        return Err(AcmError::new(
            "swstf3004",
            "The server which performs package backup of the management information is already registered. Delete it with -del first.",
        ));
    }
    agent::write_settings(
        file,
        SECTION,
        &[("directory", dir.to_string()), ("code", code.to_string())],
    )?;
    cx.println("swstf3000 The server which performs package backup of the management information on AdvancedCopy Manager was registered.");
    Ok(())
}
