//! swsrpsetvol — register a replication pair (manual 8.3.1.1, spec §4.1).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{operands, Cx, Spec};
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::replication::SetvolOptions;
use arraysync_eternus::repo::OpServer;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-n"),
    flag("-u"),
    valued("-o"),
    valued("-Xgroup"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpsetvol",
        usage: "swsrpsetvol [-h serverName] [-n] [-u] [-o ORG|REP|BOTH] [-Xgroup groupName] originalVolumeName replicaVolumeName",
        flags: FLAGS,
        class: Class::Config,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if args.operands.len() != 2 {
        return Err(AcmError::usage(format!(
            "2 volume operands expected, {} given",
            args.operands.len()
        )));
    }
    let op_server = match args.value("-o") {
        None => None,
        Some("ORG") => Some(OpServer::Original),
        Some("REP") => Some(OpServer::Replica),
        Some("BOTH") => Some(OpServer::Both),
        Some(other) => {
            return Err(AcmError::usage(format!(
                "-o {other}: expected ORG, REP or BOTH"
            )))
        }
    };
    let _ = operands;
    let options = SetvolOptions {
        no_size_check: args.has("-n"),
        unidirectional: args.has("-u"),
        op_server,
        group: args.value("-Xgroup").map(str::to_string),
    };
    let mut engine = cx.engine_creating()?;
    let result = engine.setvol(&args.operands[0], &args.operands[1], &options);
    engine.close();
    result?;
    cx.println("swsrpsetvol completed");
    Ok(())
}
