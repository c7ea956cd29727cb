//! swsrpcancel — stop a copy, or only its QuickOPC tracking with -T (manual 8.3.2.4,
//! spec §4.9, Tables 8.8 and 8.9).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::{group_completed, pair_completed};
use crate::{exclusive, operands, Cx, Spec};
use arraysync_eternus::copy::Direction;
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::replication::OpOptions;
use arraysync_eternus::scripts::Suppress;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-c"),
    flag("-f"),
    flag("-t"),
    flag("-m"),
    flag("-b"),
    flag("-T"),
    flag("-Xforce"),
    flag("-Xreverse"),
    valued("-Xgroup"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpcancel",
        usage: "swsrpcancel [-h serverName] [-c] {[-f] [-t] [-m] [-b] | -T | -Xforce} {fromVolumeName toVolumeName | [-Xreverse] -Xgroup groupName}",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    operands(args, 2)?;
    exclusive(args, &[&["-f", "-t", "-m", "-b"], &["-T"], &["-Xforce"]])?;
    let opts = OpOptions {
        suppress: Suppress {
            source: args.has("-f"),
            destination: args.has("-t"),
            all: args.has("-c") || args.has("-Xgroup"),
        },
        tracking: args.has("-T"),
        force: args.has("-Xforce"),
        halt_stop: args.has("-b"),
        ..Default::default()
    };
    let mut engine = cx.engine()?;
    if args.has("-m") {
        engine.skip_partner();
    }
    if let Some(group) = args.value("-Xgroup") {
        let pairs = engine.group(group, args.has("-Xreverse"))?;
        check_c(args, &engine, pairs.iter().map(|(p, _)| p))?;
        let ids: Vec<i64> = pairs.iter().map(|(p, _)| p.id).collect();
        let _pair_locks = cx.lock_pairs(&ids)?;
        let result = engine.cancel_group(&pairs, opts, args.has("-c") || args.has("-b"));
        engine.close();
        result?;
        cx.println(group_completed(group, "swsrpcancel"));
        return Ok(());
    }
    let (pair, direction) = engine.find(&args.operands[0], &args.operands[1])?;
    check_c(args, &engine, std::iter::once(&pair))?;
    let _pair_lock = cx.lock_pairs(&[pair.id])?;
    let result = engine.cancel(&pair, direction, opts, args.has("-c") || args.has("-b"));
    engine.close();
    result?;
    let (from, to) = match direction {
        Direction::Regular => (pair.orig.qualified(), pair.rep.qualified()),
        Direction::Reverse => (pair.rep.qualified(), pair.orig.qualified()),
    };
    cx.println(pair_completed(&from, &to, "swsrpcancel"));
    Ok(())
}

/// `-c` is for the non-operation server only.
fn check_c<'p>(
    args: &Args,
    engine: &arraysync_eternus::replication::Engine,
    mut pairs: impl Iterator<Item = &'p arraysync_eternus::repo::Pair>,
) -> Result<(), AcmError> {
    if args.has("-c") && pairs.any(|p| engine.check_operation_server(p).is_ok()) {
        return Err(AcmError::new("swsrp0700", "The operation cannot be performed: -c can only be used on the non-operation server of an inter-server pair"));
    }
    Ok(())
}
