//! swstcancelsync — cancel backup synchronous processing (manual 8.1.2.9, spec §4.9).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{exclusive, Cx, Spec};
use arraysync_eternus::backup::SyncTarget;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-emergency"),
    valued("-bd"),
    flag("-all"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swstcancelsync",
        usage:
            "swstcancelsync [-h serverName] [-emergency] [-bd backupDeviceName | -all] deviceName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    exclusive(args, &[&["-bd"], &["-all"]])?;
    let device = bkp::device(args)?;
    let target = match (args.value("-bd"), args.has("-all")) {
        (Some(bv), _) => SyncTarget::Volume(bv.to_string()),
        (None, true) => SyncTarget::All,
        (None, false) => SyncTarget::Active,
    };
    let emergency = args.has("-emergency");
    let engine = cx.backup()?;
    bkp::operate(engine, device, "swstcancelsync", |e| {
        e.cancel_sync(device, &target, emergency)
    })?;
    cx.println(format!("{device} swstcancelsync completed."));
    Ok(())
}
