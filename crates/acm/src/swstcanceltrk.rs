//! swstcanceltrk — stop QuickOPC tracking (manual 8.1.2.12, spec §4.12).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{exclusive, Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-copy"),
    flag("-emergency"),
    valued("-bd"),
    flag("-all"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swstcanceltrk",
        usage: "swstcanceltrk [-h serverName] [-copy | -emergency] deviceName (-bd backupDeviceName | -all)",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    exclusive(args, &[&["-bd"], &["-all"]])?;
    exclusive(args, &[&["-copy"], &["-emergency"]])?;
    if args.any(&["-bd", "-all"]).is_none() {
        return Err(AcmError::usage("one of -bd or -all is required"));
    }
    let device = bkp::device(args)?;
    let bv = args.value("-bd");
    let (copy, emergency) = (args.has("-copy"), args.has("-emergency"));
    let engine = cx.backup()?;
    bkp::operate(engine, device, "swstcanceltrk", |e| {
        e.cancel_tracking(device, bv, copy, emergency)
    })?;
    cx.println(format!("{device} swstcanceltrk completed."));
    Ok(())
}
