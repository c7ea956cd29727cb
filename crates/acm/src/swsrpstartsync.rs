//! swsrpstartsync — start or resume EC (manual 8.3.2.1, spec §4.6).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::{self, AcmError};
use crate::output::{group_completed, pair_completed};
use crate::{exclusive, operands, Cx, Spec};
use arraysync_eternus::cli::RecModes;
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::replication::{OpOptions, RecStart, Started};
use arraysync_eternus::scripts::Suppress;

const FLAGS: &[Flag] = &[
    valued("-h"),
    flag("-y"),
    flag("-a"),
    flag("-v"),
    flag("-k"),
    flag("-i"),
    flag("-g"),
    flag("-m"),
    flag("-Xskip"),
    flag("-Xremain"),
    flag("-t"),
    flag("-Xda"),
    flag("-Xreverse"),
    valued("-Xgroup"),
];

/// The REC options (spec §2.4): transfer `-y` (sync, split `-a`/`-v`), `-k` (stack),
/// `-i` (consistency), none (through, on a start); `-g` manual recovery. On a resume the
/// modes given must be the pair's (the engine checks); on an intra-box pair any is refused.
fn rec_start(args: &Args) -> RecStart {
    let transfer = if args.has("-y") {
        Some("sync")
    } else if args.has("-k") {
        Some("stack")
    } else if args.has("-i") {
        Some("consistency")
    } else {
        None
    };
    let split = if args.has("-a") {
        Some("auto")
    } else if args.has("-v") {
        Some("manual")
    } else {
        None
    };
    RecStart {
        modes: RecModes {
            transfer,
            split,
            recovery: args.has("-g").then_some("manual"),
        },
        skip: args.has("-Xskip"),
        remain: args.has("-Xremain"),
    }
}

pub fn spec() -> Spec {
    Spec {
        name: "swsrpstartsync",
        usage: "swsrpstartsync [-h serverName] [-y [-a | -v] | -k | -i] [-g] [-m] [-Xskip | -Xremain] [-t] [-Xda] {fromVolumeName toVolumeName | [-Xreverse] -Xgroup groupName}",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    operands(args, 2)?;
    exclusive(args, &[&["-y"], &["-k"], &["-i"]])?;
    exclusive(args, &[&["-a"], &["-v"]])?;
    exclusive(args, &[&["-Xskip"], &["-Xremain"]])?;
    if (args.has("-a") || args.has("-v")) && !args.has("-y") {
        return Err(AcmError::usage("-a and -v can only be given with -y"));
    }
    let opts = OpOptions {
        rec: rec_start(args),
        suppress: Suppress {
            destination: args.has("-t"),
            all: args.has("-Xgroup"),
            ..Default::default()
        },
        no_access: args.has("-Xda"),
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
        let result = engine.startsync_group(&pairs, opts);
        engine.close();
        result?;
        cx.println(group_completed(group, "swsrpstartsync"));
        return Ok(());
    }
    let (pair, direction) = engine.find(&args.operands[0], &args.operands[1])?;
    let _pair_lock = cx.lock_pairs(&[pair.id])?;
    let result = engine.startsync(&pair, direction, opts);
    engine.close();
    let (from, to) = match direction {
        arraysync_eternus::copy::Direction::Regular => {
            (pair.orig.qualified(), pair.rep.qualified())
        }
        arraysync_eternus::copy::Direction::Reverse => {
            (pair.rep.qualified(), pair.orig.qualified())
        }
    };
    if result? == Started::AlreadySynchronizing {
        cx.notes.push(messages::already_synchronizing(&from, &to));
    }
    cx.println(pair_completed(&from, &to, "swsrpstartsync"));
    Ok(())
}
