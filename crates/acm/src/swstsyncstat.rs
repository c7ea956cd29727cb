//! swstsyncstat — backup synchronous processing status (manual 8.1.2.11, spec §4.10): one
//! row per EC session (active, suspended with or without history), `---- ---- ----` for
//! a volume with none.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::sync_view;
use arraysync_eternus::backup_repo::Kind;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstsyncstat",
        usage: "swstsyncstat [-h serverName] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let data = bkp::status(args, cx, true)?;
    let mut table = Table::new(&[
        "Server",
        "Transaction-Disk",
        "Backup-Disk",
        "Status",
        "Execute",
    ]);
    bkp::session_rows(
        &data,
        &mut table,
        false,
        Kind::EcSuspend,
        3,
        |bv, session| {
            let view = sync_view(session);
            vec![bv.to_string(), view.status, view.execute]
        },
    );
    table.print(args, cx);
    Ok(())
}
