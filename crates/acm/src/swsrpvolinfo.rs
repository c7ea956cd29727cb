//! swsrpvolinfo — display replication pairs (manual 8.3.1.2, spec §4.2). Reads the
//! replication management list only; the arrays are not asked.

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::{Gbytes, Table};
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-L"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpvolinfo",
        usage: "swsrpvolinfo [-h serverName] [-L] [-Xjson] [originalVolumeName]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if args.operands.len() > 1 {
        return Err(AcmError::usage("at most one volume operand"));
    }
    let mut engine = cx.engine()?;
    let server = engine.local_server().to_string();
    let pairs = engine.volinfo(args.operands.first().map(String::as_str))?;
    let long = args.has("-L");
    let mut header = vec![
        "Server",
        "Original-Volume",
        "Size",
        "Replica-Volume",
        "Size",
        "Copy",
        "Op-Server",
    ];
    if long {
        header.push("Group");
    }
    let mut table = Table::new(header);
    let mut sizes = Gbytes::default();
    for p in &pairs {
        let mut columns = vec![
            server.clone(),
            p.orig.qualified(),
            sizes.text(p.orig.size),
            p.rep.qualified(),
            sizes.text(p.rep.size),
            p.copy.as_str().to_string(),
            p.op_server.as_str().to_string(),
        ];
        if long {
            columns.push(p.group.clone().unwrap_or_else(|| "----".into()));
        }
        table.push(columns);
    }
    engine.close();
    cx.out.extend(table.lines(args.has("-Xjson")));
    Ok(())
}
