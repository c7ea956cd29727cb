//! swsthistdel — delete backup history (manual 8.1.2.7, spec §4.7, §3.9).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{exclusive, Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    valued("-g"),
    valued("-v"),
    flag("-z"),
    flag("-emergency"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swsthistdel",
        usage: "swsthistdel [-h serverName] -g generationNo | -v versionNo | -z [-emergency] deviceName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    exclusive(args, &[&["-g"], &["-v"], &["-z"]])?;
    if args.any(&["-g", "-v", "-z"]).is_none() {
        return Err(AcmError::usage("one of -g, -v or -z is required"));
    }
    let which = if args.has("-z") {
        None
    } else {
        Some(bkp::generation(args)?)
    };
    let device = bkp::device(args)?;
    let emergency = args.has("-emergency");
    let engine = cx.backup()?;
    bkp::operate(engine, device, "swsthistdel", |e| {
        e.delete_history(device, which, emergency)
    })?;
    cx.println(format!("{device} swsthistdel completed"));
    Ok(())
}
