//! swstbackup — back up a transaction volume: an OPC snapshot, a QuickOPC differential
//! snapshot (`-T`), or the detach (suspend with `-suspend`) of equivalent synchronous
//! processing (manual 8.1.2.1, spec §4.1).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{exclusive, Cx, Spec};
use arraysync_eternus::backup::BackupOptions;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-suspend"),
    flag("-T"),
    valued("-Xdevmap"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swstbackup",
        usage: "swstbackup [-h serverName] [-suspend | -T] deviceName [-Xdevmap deviceMapFile]",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    exclusive(args, &[&["-suspend"], &["-T"]])?;
    let device = bkp::device(args)?;
    let opts = BackupOptions {
        suspend: args.has("-suspend"),
        tracking: args.has("-T"),
        devmap: args.value("-Xdevmap").map(std::path::PathBuf::from),
    };
    let engine = cx.backup()?;
    bkp::operate(engine, device, "swstbackup", |e| e.backup(device, &opts))?;
    cx.println(format!("{device} swstbackup completed"));
    Ok(())
}
