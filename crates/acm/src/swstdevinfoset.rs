//! swstdevinfoset — register a transaction or backup volume, or unregister it (manual
//! 8.1.1.3, spec §4.0c).

use crate::args::{flag, valued, Args, Flag};
use crate::bkp;
use crate::messages::AcmError;
use crate::{exclusive, Cx, Spec};
use arraysync_eternus::backup_repo::Mode;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-t"), flag("-b"), flag("-o")];

pub fn spec() -> Spec {
    Spec {
        name: "swstdevinfoset",
        usage: "swstdevinfoset [-h serverName] -t | -b | -o deviceName",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    exclusive(args, &[&["-t"], &["-b"], &["-o"]])?;
    let device = bkp::device(args)?;
    let mode = match args.any(&["-t", "-b", "-o"]) {
        Some("-t") => Some(Mode::Transaction),
        Some("-b") => Some(Mode::Backup),
        Some(_) => None,
        None => return Err(AcmError::usage("one of -t, -b or -o is required")),
    };
    let mut engine = cx.backup()?;
    let result = engine.set_device(device, mode);
    engine.close();
    result?;
    cx.println("swstdevinfoset completed");
    Ok(())
}
