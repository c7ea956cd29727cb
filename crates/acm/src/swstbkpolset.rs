//! swstbkpolset — set the backup policy of one or every transaction volume (manual
//! 8.1.1.5, spec §4.0e).

use crate::args::{valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup_repo::Mode;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), valued("-i"), valued("-s")];

pub fn spec() -> Spec {
    Spec {
        name: "swstbkpolset",
        usage: "swstbkpolset [-h serverName] [-i intervalDays] [-s saveNumber] [deviceName]",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let interval = bkp::number(args, "-i", 1, 366)?.map(|n| n as u32);
    let save = bkp::number(args, "-s", 1, 31)?.map(|n| n as u32);
    let only = bkp::optional_device(args)?;
    let mut engine = cx.backup()?;
    let devices: Vec<String> = match only {
        Some(d) => vec![d.to_string()],
        None => engine
            .volumes()?
            .into_iter()
            .filter(|v| v.mode == Mode::Transaction)
            .map(|v| v.device)
            .collect(),
    };
    if devices.is_empty() {
        engine.close();
        return Err(AcmError::new(
            "swst0605",
            "No transaction volume is registered.",
        ));
    }
    let markers: Vec<bool> = devices
        .iter()
        .map(|d| engine.begin(d, "swstbkpolset").unwrap_or(false))
        .collect();
    let result = engine.set_policies(&devices, interval, save);
    if markers.iter().any(|m| *m) {
        engine.finish(None);
        if result.is_ok() {
            for device in &devices {
                engine.finish(Some(device));
            }
        }
    }
    engine.close();
    result?;
    for device in devices {
        cx.println(format!("{device} swstbkpolset completed"));
    }
    Ok(())
}
