//! swstbackstat — backup copy status (manual 8.1.2.2, spec §4.2): one row per history,
//! newest first; `---- ---- ----` for a volume without history.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table, NONE};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::snapshot_view;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstbackstat",
        usage: "swstbackstat [-h serverName] [-Xjson] [deviceName]",
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
    for tv in &data.tvs {
        let history = data.list.history_of(&tv.device);
        if history.is_empty() {
            table.push(vec![
                data.server.clone(),
                tv.device.clone(),
                NONE.into(),
                NONE.into(),
                NONE.into(),
            ]);
        }
        for h in history {
            let session = h
                .bv_number
                .and_then(|n| data.sessions.get(&tv.array, tv.number, n));
            let view = snapshot_view(session);
            table.push(vec![
                data.server.clone(),
                tv.device.clone(),
                h.bv.clone(),
                view.status,
                view.execute,
            ]);
        }
    }
    table.print(args, cx);
    Ok(())
}
