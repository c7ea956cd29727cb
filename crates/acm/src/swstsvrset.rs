//! swstsvrset — set the Managed Server configuration (manual 8.1.1.1, spec §4.0).

use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h")];

pub fn spec() -> Spec {
    Spec {
        name: "swstsvrset",
        usage: "swstsvrset [-h serverName]",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("swstsvrset takes no operand"));
    }
    let mut engine = cx.backup_unchecked()?;
    let result = engine.set_server();
    engine.close();
    result?;
    cx.println("swstsvrset completed");
    Ok(())
}
