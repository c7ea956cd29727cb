//! swstdevdisp — device usage (manual 8.1.1.4, spec §4.0d).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table, MOUNT};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup_repo::Mode;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-t"),
    flag("-b"),
    flag("-u"),
    flag("-o"),
    flag("-Xjson"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swstdevdisp",
        usage: "swstdevdisp [-h serverName] [-t] [-b [-u]] [-o] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if args.has("-u") && !args.has("-b") {
        return Err(AcmError::usage("-u can only be given with -b"));
    }
    let only = bkp::optional_device(args)?;
    let none = !args.has("-t") && !args.has("-b") && !args.has("-o");
    let (t, b, o) = (args.has("-t") || none, args.has("-b"), args.has("-o"));
    let mut engine = cx.backup()?;
    let server = engine.server().to_string();
    let volumes = engine.volumes()?;
    let usage = engine.usage()?;
    let others = if o {
        engine.other_devices()?
    } else {
        Vec::new()
    };
    engine.close();
    let mut table = Table::new(&[
        "Server",
        "Device",
        "Size",
        "Device-Mode",
        "Mount-Point (Method)",
        "Backup-Engine",
    ]);
    let mut found = false;
    for v in &volumes {
        if only.is_some_and(|d| d != v.device) {
            continue;
        }
        let mode = match v.mode {
            Mode::Transaction if t => "Transaction".to_string(),
            Mode::Backup if b => {
                let used = usage.get(&v.device).copied().unwrap_or("free");
                let shown = match used {
                    "used-S" | "used-T" if !args.has("-u") => "used",
                    other => other,
                };
                format!("Backup ({shown})")
            }
            _ => continue,
        };
        found = true;
        table.push(vec![
            server.clone(),
            v.device.clone(),
            bkp::size(v.size),
            mode,
            MOUNT.into(),
            "AdvancedCopy".into(),
        ]);
    }
    for v in &others {
        if only.is_some_and(|d| d != v.device) {
            continue;
        }
        found = true;
        table.push(vec![
            server.clone(),
            v.device.clone(),
            bkp::size(v.size),
            "Other".into(),
            MOUNT.into(),
            "AdvancedCopy".into(),
        ]);
    }
    if let Some(device) = only {
        if !found {
            return Err(AcmError::new(
                "swst0605",
                format!("The specified device is not registered. Device={device}"),
            ));
        }
    }
    table.print(args, cx);
    Ok(())
}
