//! swstbkpoldel — delete a backup policy (manual 8.1.1.7, spec §4.0g).

use crate::args::{valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h")];

pub fn spec() -> Spec {
    Spec {
        name: "swstbkpoldel",
        usage: "swstbkpoldel [-h serverName] deviceName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let device = bkp::device(args)?;
    let engine = cx.backup()?;
    bkp::operate(engine, device, "swstbkpoldel", |e| e.delete_policy(device))?;
    cx.println(format!("{device} swstbkpoldel completed"));
    Ok(())
}
