//! swsrpmake — make a replica: a snapshot (OPC, QuickOPC with -T), or the suspend of an
//! equivalent EC pair (manual 8.3.2.2, spec §4.7, Table 8.6).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::{group_completed, pair_completed};
use crate::{exclusive, operands, Cx, Spec};
use arraysync_eternus::copy::Direction;
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::replication::{Concurrent, OpOptions, Snap};
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
        read_only_when: None,
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
    // -Xconcur (Concurrent Suspend) is in both synopses; -Xconcur-opc only in the group one.
    if args.has("-Xconcur-opc") && !args.has("-Xgroup") {
        return Err(AcmError::usage(
            "-Xconcur-opc can only be given with -Xgroup".to_string(),
        ));
    }
    let concurrent = if args.has("-Xconcur") {
        Concurrent::Suspend
    } else if args.has("-Xconcur-opc") {
        Concurrent::Opc
    } else {
        Concurrent::No
    };
    let forced = args.has("-j");
    let opts = OpOptions {
        suppress: Suppress {
            source: args.has("-f"),
            destination: args.has("-t"),
            all: forced || args.has("-Xgroup"),
        },
        tracking: args.has("-T"),
        snap: if args.has("-C") {
            Snap::SnapOpc
        } else if args.has("-P") {
            Snap::SnapOpcPlus
        } else {
            Snap::No
        },
        forced,
        ..Default::default()
    };
    let mut engine = cx.engine()?;
    if args.has("-m") {
        engine.skip_partner();
    }
    if let Some(group) = args.value("-Xgroup") {
        let pairs = engine.group(group, args.has("-Xreverse"))?;
        let ids: Vec<i64> = pairs.iter().map(|(p, _)| p.id).collect();
        let _pair_locks = cx.lock_pairs(&ids)?;
        let result = engine.make_group(&pairs, opts, concurrent);
        engine.close();
        result?;
        cx.println(group_completed(group, "swsrpmake"));
        return Ok(());
    }
    let (pair, direction) = engine.find(&args.operands[0], &args.operands[1])?;
    let _pair_lock = cx.lock_pairs(&[pair.id])?;
    let result = engine.make_with(&pair, direction, opts, concurrent);
    engine.close();
    result?;
    let (from, to) = match direction {
        Direction::Regular => (pair.orig.qualified(), pair.rep.qualified()),
        Direction::Reverse => (pair.rep.qualified(), pair.orig.qualified()),
    };
    cx.println(pair_completed(&from, &to, "swsrpmake"));
    Ok(())
}
