//! swsrpstat — operation status (manual 8.3.2.3, spec §4.8): one array query per array,
//! whatever the number of pairs.

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::Table;
use crate::{exclusive, Cx, Spec};
use arraysync_eternus::copy::{view, ViewOptions};
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::replication::Engine;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-L"),
    flag("-Xdate"),
    flag("-Xda"),
    flag("-Xall"),
    flag("-E"),
    flag("-H"),
    flag("-O"),
    valued("-Xgroup"),
    flag("-Xjson"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpstat",
        usage: "swsrpstat [-h serverName] [[-L] [-Xdate] [-Xda] | [-Xall]] [-E] [-H] [-O] [-Xjson] [originalVolumeName | -Xgroup groupName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    exclusive(args, &[&["-L", "-Xdate", "-Xda"], &["-Xall"]])?;
    if args.operands.len() > 1 || (args.has("-Xgroup") && !args.operands.is_empty()) {
        return Err(AcmError::usage(
            "give at most one original volume, or -Xgroup",
        ));
    }
    let all = args.has("-Xall");
    let (long, da, date) = (
        all || args.has("-L"),
        all || args.has("-Xda"),
        all || args.has("-Xdate"),
    );
    let options = ViewOptions {
        reverse_only: args.has("-E"),
        halt_detail: args.has("-H"),
        failed_detail: args.has("-O"),
    };
    let mut engine = cx.engine()?;
    let columns = Columns { long, da, date };
    let table = status_table(
        &mut engine,
        args.value("-Xgroup"),
        args.operands.first().map(String::as_str),
        columns,
        options,
    );
    engine.close();
    let table = table?;
    cx.out.extend(table.lines(args.has("-Xjson")));
    Ok(())
}

/// Which optional column sets a status table has (`-L`, `-Xda`, `-Xdate`; all with `-Xall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub long: bool,
    pub da: bool,
    pub date: bool,
}

/// The status table of the pairs of `group`, of `original`, or of every pair: one array
/// query per array.
pub fn status_table(
    engine: &mut Engine<'_>,
    group: Option<&str>,
    original: Option<&str>,
    columns: Columns,
    options: ViewOptions,
) -> Result<Table, AcmError> {
    let server = engine.local_server().to_string();
    let pairs = match (group, original) {
        (Some(group), _) => engine
            .group(group, false)?
            .into_iter()
            .map(|(p, _)| p)
            .collect(),
        (None, Some(orig)) => engine.volinfo(Some(orig))?,
        (None, None) => engine.volinfo(None)?,
    };
    let sessions = if pairs.is_empty() {
        Vec::new()
    } else {
        engine.pair_sessions(&pairs)?
    };
    let mut header = vec![
        "Server",
        "Original-Volume",
        "Replica-Volume",
        "Direction",
        "Status",
        "Execute",
    ];
    if columns.long {
        header.extend(["Trk", "Update", "Rcv", "Split", "Xfer", "Snap-Gen"]);
    }
    if columns.da {
        header.push("Copy-DA");
    }
    if columns.date {
        header.push("Date");
    }
    let mut table = Table::new(header);
    for (pair, s) in pairs.iter().zip(&sessions) {
        // The view is the row's own: its strings move into the row.
        let v = view(s, options);
        let date = columns.date.then(|| v.date());
        let mut row = vec![
            server.clone(),
            pair.orig.qualified(),
            pair.rep.qualified(),
            v.direction.to_string(),
            v.status,
            v.execute,
        ];
        if columns.long {
            row.extend([
                v.trk.to_string(),
                v.update,
                v.rcv.to_string(),
                v.split.to_string(),
                v.xfer.to_string(),
                v.snap_gen,
            ]);
        }
        if columns.da {
            row.push(v.copy_da.to_string());
        }
        if let Some(date) = date {
            row.push(date);
        }
        table.push(row);
    }
    Ok(table)
}
