//! swstcancelrest — cancel a restore (manual 8.1.2.4, spec §4.4). No restore running from
//! the history is the informational swst0303 with exit 0.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::CancelRestore;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    valued("-g"),
    valued("-v"),
    valued("-r"),
    flag("-emergency"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swstcancelrest",
        usage: "swstcancelrest [-h serverName] [-g generationNo | -v versionNo] [-r restoreDeviceName] [-emergency] deviceName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let which = bkp::generation(args)?;
    let device = bkp::device(args)?;
    let to = args.value("-r");
    let emergency = args.has("-emergency");
    let engine = cx.backup()?;
    let done = bkp::operate(engine, device, "swstcancelrest", |e| {
        e.cancel_restore(device, which, to, emergency)
    })?;
    if done == CancelRestore::NotPerformed {
        cx.notes
            .push("swst0303 Restoration for specified restoration device is not performed".into());
        return Ok(());
    }
    cx.println(format!("{device} swstcancelrest completed."));
    Ok(())
}
