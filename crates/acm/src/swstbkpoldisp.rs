//! swstbkpoldisp — display backup policies (manual 8.1.1.6, spec §4.0f).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table, MOUNT};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup_repo::Mode;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstbkpoldisp",
        usage: "swstbkpoldisp [-h serverName] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let only = bkp::optional_device(args)?;
    let mut engine = cx.backup()?;
    if let Some(d) = only {
        engine.registered(d, Mode::Transaction)?;
    }
    let server = engine.server().to_string();
    let policies = engine.policies()?;
    engine.close();
    let mut table = Table::new(&[
        "Server",
        "Device",
        "Interval-Days",
        "Save-Number",
        "Mount-Point (Method)",
    ]);
    for (device, p) in policies {
        if only.is_some_and(|d| d != device) {
            continue;
        }
        table.push(vec![
            server.clone(),
            device,
            p.interval_days.to_string(),
            p.save_number.to_string(),
            MOUNT.into(),
        ]);
    }
    table.print(args, cx);
    Ok(())
}
