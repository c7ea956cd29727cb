//! swstresback — save the backup management list into a directory (manual 8.1.3.2, spec
//! §4.15). No `-h`.

use crate::args::{Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[];

pub fn spec() -> Spec {
    Spec {
        name: "swstresback",
        usage: "swstresback backupDirectory",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let [dir] = args.operands.as_slice() else {
        return Err(AcmError::usage("one backup directory is required"));
    };
    backup::save_list(&cx.paths, std::path::Path::new(dir))?;
    cx.println("swstresback completed");
    Ok(())
}
