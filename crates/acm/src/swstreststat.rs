//! swstreststat — restore status (manual 8.1.2.5, spec §4.5): one row per restore, all
//! dashes after the device for a volume with none.

use crate::args::{flag, valued, Args, Flag};
use crate::bkp::{self, Table, NONE};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::backup::{snapshot_view, Generation};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), valued("-g"), valued("-v"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstreststat",
        usage:
            "swstreststat [-h serverName] [-g generationNo | -v versionNo] [-Xjson] [deviceName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let which = bkp::generation(args)?;
    let data = bkp::status(args, cx, true)?;
    let mut table = Table::new(&[
        "Server",
        "Transaction-Disk",
        "Generation",
        "Version",
        "Backup-Disk",
        "Restore-Device",
        "Status",
        "Execute",
    ]);
    for tv in &data.tvs {
        let history = data.list.history_of(&tv.device);
        let mut shown = 0;
        for r in data.list.restores.iter().filter(|r| r.tv == tv.device) {
            let Some(position) = history.iter().position(|h| h.version == r.version) else {
                continue;
            };
            let generation = position as i64 + 1;
            let wanted = match which {
                Generation::Latest => true,
                Generation::Relative(g) => g == generation,
                Generation::Absolute(v) => v == r.version,
            };
            if !wanted {
                continue;
            }
            let session = data
                .volume(&r.bv)
                .and_then(|bv| data.sessions.get(&tv.array, bv.number, r.dest_number));
            let view = snapshot_view(session);
            shown += 1;
            table.push(vec![
                data.server.clone(),
                tv.device.clone(),
                generation.to_string(),
                r.version.to_string(),
                r.bv.clone(),
                if r.dest.is_empty() {
                    NONE.to_string()
                } else {
                    r.dest.clone()
                },
                view.status,
                view.execute,
            ]);
        }
        if shown == 0 {
            let mut row = vec![data.server.clone(), tv.device.clone()];
            row.extend(std::iter::repeat_n(NONE.to_string(), 6));
            table.push(row);
        }
    }
    table.print(args, cx);
    Ok(())
}
