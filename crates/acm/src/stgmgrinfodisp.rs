//! stgmgrinfodisp — when stgmgrinfobkup last saved each type of management information,
//! per server (manual 8.2.13), from the status files in the registered directory.

use crate::agent::{self, STATUS_FILE};
use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::stgmgrinfobkup::TYPES;
use crate::{stgmgrinfoset, Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-n")];

pub fn spec() -> Spec {
    Spec {
        name: "stgmgrinfodisp",
        usage: "stgmgrinfodisp [-n serverName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("stgmgrinfodisp takes no operand"));
    }
    let (dir, _) = stgmgrinfoset::registration(cx)?;
    let base = agent::rooted(&cx.paths, &dir);
    let servers: Vec<String> = match args.value("-n") {
        Some(name)
            if arraysync_eternus::device::valid_server_name(name) && !name.starts_with('.') =>
        {
            vec![name.to_string()]
        }
        Some(name) => return Err(AcmError::usage(format!("{name} is not a server name"))),
        None => {
            let mut names: Vec<String> = std::fs::read_dir(&base)
                .map_err(|e| agent::io_error(&base, &e))?
                .flatten()
                .filter(|e| e.path().join(STATUS_FILE).is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
    };
    for server in servers {
        let status = base.join(&server).join(STATUS_FILE);
        let mut rows = Vec::new();
        for t in TYPES {
            if let Some(when) = agent::setting(&status, "status", t)? {
                // Values from column 13, at least one space after the title.
                rows.push(format!("{:<12} {when}", format!("  {t}:")));
            }
        }
        if !rows.is_empty() {
            cx.println(format!("{:<13}{server}", "Server:"));
            cx.out.extend(rows);
        }
    }
    Ok(())
}
