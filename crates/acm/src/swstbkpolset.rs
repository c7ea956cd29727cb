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
    let mut done = Vec::new();
    let mut failed = None;
    for device in devices {
        let marked = engine.begin(&device, "swstbkpolset").unwrap_or(false);
        let result = engine.set_policy(&device, interval, save);
        if marked {
            engine.finish(result.as_ref().ok().map(|_| device.as_str()));
        }
        match result {
            Ok(()) => done.push(format!("{device} swstbkpolset completed")),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    engine.close();
    cx.out.extend(done);
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
