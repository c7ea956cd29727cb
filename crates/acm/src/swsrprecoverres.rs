//! swsrprecoverres — resource adjustment (manual 8.3.2.x, spec §4.12): runs the
//! post-processing an interrupted swsrpmake left pending (`-p`: drops it without running
//! it); `-r` first rebuilds the device information from the arrays. It excludes every
//! other replication command while it runs (spec §6.1).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-r"), flag("-p")];

pub fn spec() -> Spec {
    Spec {
        name: "swsrprecoverres",
        usage: "swsrprecoverres [-h serverName] [-r] [-p]",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if let Some(extra) = args.operands.first() {
        return Err(AcmError::usage(format!("unexpected operand '{extra}'")));
    }
    let mut engine = cx.engine()?;
    let result = engine.recover(args.has("-r"), args.has("-p"));
    engine.close();
    for done in result? {
        cx.log.info(&format!("pending post-processing run: {done}"));
    }
    cx.println("swsrprecoverres completed");
    Ok(())
}
