//! swsrpdelvol — delete a replication pair (manual 8.3.1.3, spec §4.3).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-e"), flag("-d")];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpdelvol",
        usage: "swsrpdelvol [-h serverName] [-e] [-d] originalVolumeName replicaVolumeName",
        flags: FLAGS,
        class: Class::Config,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if args.operands.len() != 2 {
        return Err(AcmError::usage(format!(
            "2 volume operands expected, {} given",
            args.operands.len()
        )));
    }
    let mut engine = cx.engine()?;
    let result = engine.delvol(
        &args.operands[0],
        &args.operands[1],
        args.has("-e"),
        args.has("-d"),
    );
    engine.close();
    result?;
    cx.println("swsrpdelvol completed");
    Ok(())
}
