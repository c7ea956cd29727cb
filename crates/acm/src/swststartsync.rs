//! swststartsync — start backup synchronous processing (EC), resuming a suspended
//! session of the volume first (manual 8.1.2.8, spec §4.8).

use crate::args::{valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::SyncStart;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), valued("-Xdevmap")];

pub fn spec() -> Spec {
    Spec {
        name: "swststartsync",
        usage: "swststartsync [-h serverName] deviceName [-Xdevmap deviceMapFile]",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let device = bkp::device(args)?;
    let map = args.value("-Xdevmap").map(std::path::PathBuf::from);
    let engine = cx.backup()?;
    let started = bkp::operate(engine, device, "swststartsync", |e| {
        e.start_sync(device, map.as_deref())
    })?;
    if started == SyncStart::AlreadyInProgress {
        cx.notes
            .push("swst0301 Backup synchronous processing is already in progress.".into());
        return Ok(());
    }
    cx.println(format!("{device} swststartsync completed."));
    Ok(())
}
