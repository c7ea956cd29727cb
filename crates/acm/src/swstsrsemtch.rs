//! swstsrsemtch — resource match (manual 8.1.3.1, spec §4.14): reconciles the backup
//! management list with the array after a crash or a failed script. `swstsrsemth` (the
//! spelling of the manual's section) is the same command.

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-x")];

pub fn spec() -> Spec {
    Spec {
        name: "swstsrsemtch",
        usage: "swstsrsemtch [-x] [-h serverName]",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("swstsrsemtch takes no operand"));
    }
    let mut engine = cx.backup()?;
    let result = engine.resource_match(args.has("-x"));
    engine.close();
    result?;
    // The alias prints its own name, as the manual's example shows.
    let invoked = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .filter(|n| n == "swstsrsemth")
        .unwrap_or_else(|| "swstsrsemtch".to_string());
    cx.println(format!("{invoked} completed"));
    Ok(())
}
