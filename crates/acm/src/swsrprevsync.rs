//! swsrprevsync — reverse the direction of a suspended EC (manual 8.3.2.6, spec §4.11).
//! The operands name the current source and destination; the completion line prints the
//! new direction.

use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::{group_completed, pair_completed};
use crate::{operands, Cx, Spec};
use arraysync_eternus::copy::Direction;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    crate::args::flag("-Xreverse"),
    valued("-Xgroup"),
];

pub fn spec() -> Spec {
    Spec {
        name: "swsrprevsync",
        usage: "swsrprevsync [-h serverName] {fromVolumeName toVolumeName | [-Xreverse] -Xgroup groupName}",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    operands(args, 2)?;
    let mut engine = cx.engine()?;
    if let Some(group) = args.value("-Xgroup") {
        let pairs = engine.group(group, args.has("-Xreverse"))?;
        let ids: Vec<i64> = pairs.iter().map(|(p, _)| p.id).collect();
        let _pair_locks = cx.lock_pairs(&ids)?;
        let result = engine.revsync(&pairs, true);
        engine.close();
        result?;
        cx.println(group_completed(group, "swsrprevsync"));
        return Ok(());
    }
    let (pair, direction) = engine.find(&args.operands[0], &args.operands[1])?;
    let _pair_lock = cx.lock_pairs(&[pair.id])?;
    let result = engine.revsync(&[(pair.clone(), direction)], false);
    engine.close();
    result?;
    // The new direction: the former destination is now the source.
    let (from, to) = match direction {
        Direction::Regular => (pair.rep.qualified(), pair.orig.qualified()),
        Direction::Reverse => (pair.orig.qualified(), pair.rep.qualified()),
    };
    cx.println(pair_completed(&from, &to, "swsrprevsync"));
    Ok(())
}
