//! swsrpmake — make a replica: a snapshot (OPC, QuickOPC with -T), or the suspend of an
//! equivalent EC pair (manual 8.3.2.2, spec §4.7, Table 8.6).

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
    flag("-m"),
    flag("-f"),
    flag("-t"),
    flag("-j"),
    flag("-Xconcur"),
    flag("-T"),
    flag("-C"),
    flag("-P"),
    flag("-Xconcur-opc"),
    flag("-Xreverse"),
    valued("-Xgroup"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swsrpmake",
        usage: "swsrpmake [-h serverName] [-m] [-f] [-t] [-j | -Xconcur | -T | -C | -P] [-Xconcur-opc] {fromVolumeName toVolumeName | [-Xreverse] -Xgroup groupName}",
        flags: FLAGS,
        class: Class::Operation,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    operands(args, 2)?;
    exclusive(args, &[&["-T"], &["-C"], &["-P"]])?;
    exclusive(args, &[&["-j"], &["-Xconcur"]])?;
    exclusive(
        args,
        &[&["-j", "-Xconcur"], &["-T", "-C", "-P", "-Xconcur-opc"]],
    )?;
    if (args.has("-Xconcur") || args.has("-Xconcur-opc")) && !args.has("-Xgroup") {
        return Err(AcmError::usage(format!(
            "{} can only be given with -Xgroup",
            args.any(&["-Xconcur", "-Xconcur-opc"])
                .unwrap_or("-Xconcur")
        )));
    }
    if let Some(snap) = args.any(&["-C", "-P"]) {
        return Err(AcmError::new(
            "swsrp0700",
            format!(
                "The operation cannot be performed: {snap} (SnapOPC/SnapOPC+) is not supported"
            ),
        ));
    }
    let forced = args.has("-j");
    let opts = OpOptions {
        suppress: Suppress {
            source: args.has("-f"),
            destination: args.has("-t"),
            all: forced || args.has("-Xgroup"),
        },
        tracking: args.has("-T"),
        forced,
        ..Default::default()
    };
    let mut engine = cx.engine()?;
    if let Some(group) = args.value("-Xgroup") {
        let pairs = engine.group(group, args.has("-Xreverse"))?;
        let ids: Vec<i64> = pairs.iter().map(|(p, _)| p.id).collect();
        let _pair_locks = cx.lock_pairs(&ids)?;
        let result = engine.make_group(
            &pairs,
            opts,
            args.has("-Xconcur") || args.has("-Xconcur-opc"),
        );
        engine.close();
        result?;
        cx.println(group_completed(group, "swsrpmake"));
        return Ok(());
    }
    let (pair, direction) = engine.find(&args.operands[0], &args.operands[1])?;
    let _pair_lock = cx.lock_pairs(&[pair.id])?;
    let result = engine.make(&pair, direction, opts);
    engine.close();
    result?;
    let (from, to) = match direction {
        Direction::Regular => (pair.orig.qualified(), pair.rep.qualified()),
        Direction::Reverse => (pair.rep.qualified(), pair.orig.qualified()),
    };
    cx.println(pair_completed(&from, &to, "swsrpmake"));
    Ok(())
}
