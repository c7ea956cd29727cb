//! swsrpvolinfo — display replication pairs (manual 8.3.1.2, spec §4.2). Reads the
//! replication management list only; the arrays are not asked.

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::{gbytes, row};
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-L")];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpvolinfo",
        usage: "swsrpvolinfo [-h serverName] [-L] [originalVolumeName]",
        flags: FLAGS,
        class: Class::Display,
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
    let mut lines = Vec::with_capacity(pairs.len() + 1);
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
    lines.push(row(&header));
    for p in &pairs {
        let (orig, rep) = (p.orig.qualified(), p.rep.qualified());
        let (osize, rsize) = (gbytes(p.orig.size), gbytes(p.rep.size));
        let mut columns = vec![
            server.as_str(),
            &orig,
            &osize,
            &rep,
            &rsize,
            p.copy.as_str(),
            p.op_server.as_str(),
        ];
        if long {
            columns.push(p.group.as_deref().unwrap_or("----"));
        }
        lines.push(row(&columns));
    }
    engine.close();
    cx.out.extend(lines);
    Ok(())
}
