//! swstsyncstat — backup synchronous processing status (manual 8.1.2.11, spec §4.10): one
//! row per EC session (active, suspended with or without history), `---- ---- ----` for
//! a volume with none.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table, NONE};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::sync_view;
use arraysync_eternus::backup_repo::{Bound, Kind};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstsyncstat",
        usage: "swstsyncstat [-h serverName] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
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
        let mut bvs: Vec<&str> = data
            .list
            .bindings
            .iter()
            .filter(|b| b.tv == tv.device && b.kind != Bound::Tracking)
            .map(|b| b.bv.as_str())
            .collect();
        bvs.extend(
            data.list
                .history_of(&tv.device)
                .iter()
                .filter(|h| h.kind == Kind::EcSuspend)
                .map(|h| h.bv.as_str()),
        );
        let mut rows: Vec<(i64, Vec<String>)> = bvs
            .into_iter()
            .map(|bv| {
                let volume = data.volume(bv);
                let session = volume.and_then(|b| data.sessions.between(tv, b));
                let view = sync_view(session);
                (
                    volume.map_or(i64::MAX, |v| v.seq),
                    vec![
                        data.server.clone(),
                        tv.device.clone(),
                        bv.to_string(),
                        view.status,
                        view.execute,
                    ],
                )
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        if rows.is_empty() {
            table.push(vec![
                data.server.clone(),
                tv.device.clone(),
                NONE.into(),
                NONE.into(),
                NONE.into(),
            ]);
        }
        for (_, r) in rows {
            table.push(r);
        }
    }
    table.print(args, cx);
    Ok(())
}
