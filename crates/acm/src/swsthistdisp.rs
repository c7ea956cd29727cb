//! swsthistdisp — backup history (manual 8.1.2.6, spec §4.6): one block per transaction
//! volume, the `Server=` line, then (when it has history) the column header and one row
//! per generation, newest first.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, MOUNT};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::snapshot_view;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swsthistdisp",
        usage: "swsthistdisp [-h serverName] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let data = bkp::status(args, cx, true)?;
    let json = args.has("-Xjson");
    let mut blocks = Vec::new();
    let mut lines = Vec::new();
    for tv in &data.tvs {
        let history = data.list.history_of(&tv.device);
        let mut rows = Vec::new();
        for (i, h) in history.iter().enumerate() {
            let session = h
                .bv_number
                .and_then(|n| data.sessions.get(&tv.array, tv.number, n));
            let view = snapshot_view(session);
            rows.push([
                (i + 1).to_string(),
                h.version.to_string(),
                bkp::date(Some(h.date)),
                h.bv.clone(),
                view.status,
                view.execute,
            ]);
        }
        if json {
            let names = [
                "Generation",
                "Version",
                "Backup-Date",
                "Backup-Disk",
                "Status",
                "Execute",
            ];
            let history: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        names
                            .iter()
                            .zip(r)
                            .map(|(n, v)| (n.to_string(), serde_json::Value::String(v.clone())))
                            .collect(),
                    )
                })
                .collect();
            blocks.push(serde_json::json!({
                "Server": data.server,
                "Device": tv.device,
                "Mount-Point": MOUNT,
                "History": history,
            }));
            continue;
        }
        lines.push(format!(
            "Server={} Device={} Mount-Point={MOUNT}",
            data.server, tv.device
        ));
        if !rows.is_empty() {
            lines.push("Generation Version Backup-Date Backup-Disk Status Execute".to_string());
            for r in rows {
                lines.push(r.join(" "));
            }
        }
    }
    if json {
        cx.println(serde_json::to_string_pretty(&blocks).unwrap_or_default());
    } else {
        cx.out.extend(lines);
    }
    Ok(())
}
