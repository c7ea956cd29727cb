//! swstresrst — restore the backup management list saved by swstresback (manual
//! 8.1.3.3, spec §4.16). No `-h`; swstsvrset must have been run.

use crate::args::{Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[];

pub fn spec() -> Spec {
    Spec {
        name: "swstresrst",
        usage: "swstresrst backupDirectory",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let [dir] = args.operands.as_slice() else {
        return Err(AcmError::usage("one backup directory is required"));
    };
    backup::restore_list(&cx.paths, std::path::Path::new(dir))?;
    cx.println("swstresrst completed");
    Ok(())
}
