//! swsttrkstat — QuickOPC tracking status (manual 8.1.2.13, spec §4.13): one row per
//! tracking session, `---- ---- ---- ----` for a volume with none.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::tracking_view;
use arraysync_eternus::backup_repo::Kind;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swsttrkstat",
        usage: "swsttrkstat [-h serverName] [-Xjson] [deviceName]",
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
        "Update",
    ]);
    bkp::session_rows(&data, &mut table, true, Kind::QuickOpc, 4, |bv, session| {
        let (status, execute, update) = tracking_view(session);
        vec![bv.to_string(), status, execute, update]
    });
    table.print(args, cx);
    Ok(())
}
