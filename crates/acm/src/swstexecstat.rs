//! swstexecstat — execution status of every transaction volume (manual 8.1.2.10, spec
//! §4.11): last backup and interval, the command running on it, the copy in progress.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table, MOUNT, NONE};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::{snapshot_view, sync_view};
use arraysync_eternus::backup_repo::{Bound, Kind};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-j"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstexecstat",
        usage: "swstexecstat [-j] [-h serverName] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

fn progress(kind: &str, status: &str, execute: &str) -> Option<String> {
    match status {
        "executing" => Some(format!("{kind}({execute})")),
        "equivalent" => Some(format!("{kind}(100%)")),
        "failed" | "halt" => Some(format!("{kind}({status})")),
        "?????" => Some("?????".to_string()),
        _ => None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let data = bkp::status(args, cx, true)?;
    let job = args.has("-j");
    let header: &[&'static str] = if job {
        &[
            "Server",
            "Device",
            "Execute-Date",
            "Status",
            "Mount-Point (Method)",
            "Execute",
        ]
    } else {
        &[
            "Server",
            "Device",
            "Last-Backup-Date",
            "Interval",
            "Status",
            "Mount-Point (Method)",
            "Execute",
        ]
    };
    let mut table = Table::new(header);
    let now = arraysync_core::clock::timestamp();
    for tv in &data.tvs {
        let state = data
            .list
            .states
            .get(&tv.device)
            .cloned()
            .unwrap_or_default();
        let running = data.running.get(&tv.device);
        let session_of = |bv: &str| data.volume(bv).and_then(|b| data.sessions.between(tv, b));
        // A command name beats copy progress; EC progress beats the snapshot's.
        let sync = data
            .list
            .bindings
            .iter()
            .filter(|b| b.tv == tv.device && b.kind == Bound::Sync)
            .find_map(|b| {
                let v = sync_view(session_of(&b.bv));
                progress("sync", &v.status, &v.execute)
            });
        let snapshot = data
            .list
            .history_of(&tv.device)
            .iter()
            .filter(|h| matches!(h.kind, Kind::Opc | Kind::QuickOpc))
            .find_map(|h| {
                let session = data.sessions.get(&tv.array, tv.number, h.bv_number?)?;
                let v = snapshot_view(Some(session));
                progress("snapshot", &v.status, &v.execute)
            });
        let restore = data
            .list
            .restores
            .iter()
            .filter(|r| r.tv == tv.device)
            .find_map(|r| {
                let bv = data.volume(&r.bv)?;
                let session = data.sessions.get(&tv.array, bv.number, r.dest_number)?;
                let v = snapshot_view(Some(session));
                progress("restore", &v.status, &v.execute)
            });
        let execute = running
            .cloned()
            .or(sync)
            .or(snapshot)
            .or(restore)
            .unwrap_or_else(|| NONE.to_string());
        let status = if running.is_some() { "EXEC" } else { "IDLE" };
        let mut row = vec![data.server.clone(), tv.device.clone()];
        if job {
            row.push(bkp::date(state.exec_date));
        } else {
            row.push(bkp::date(state.last_backup));
            let interval = match (state.last_backup, data.list.policies.get(&tv.device)) {
                (Some(last), Some(p)) => {
                    let delay = (now - last) / 86_400 - i64::from(p.interval_days);
                    if delay > 0 {
                        format!("DELAY={delay}")
                    } else {
                        "OK".to_string()
                    }
                }
                _ => "OK".to_string(),
            };
            row.push(interval);
        }
        row.extend([status.to_string(), MOUNT.to_string(), execute]);
        table.push(row);
    }
    table.print(args, cx);
    Ok(())
}
