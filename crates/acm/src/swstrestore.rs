//! swstrestore — restore a generation to the transaction volume or, with `-r`, to another
//! device (manual 8.1.2.3, spec §4.3).

use crate::args::{valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), valued("-g"), valued("-v"), valued("-r")];

pub fn spec() -> Spec {
    Spec {
        name: "swstrestore",
        usage: "swstrestore [-h serverName] [-g generationNo | -v versionNo] [-r restoreDeviceName] deviceName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let which = bkp::generation(args)?;
    let device = bkp::device(args)?;
    let to = args.value("-r");
    let engine = cx.backup()?;
    bkp::operate(engine, device, "swstrestore", |e| {
        e.restore(device, which, to)
    })?;
    cx.println(format!("{device} swstrestore completed"));
    Ok(())
}
