//! swsrpchsync (alias swsrpchsnc) — change the transfer, split or recovery mode of REC
//! pairs (manual 8.3.2.5, spec §4.10).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::output::{group_completed, pair_completed};
use crate::{operands, Cx, Spec};
use arraysync_eternus::cli::RecModes;
use arraysync_eternus::copy::Direction;
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[
    valued("-h"),
    valued("-F"),
    valued("-R"),
    valued("-S"),
    flag("-Xreverse"),
    valued("-Xgroup"),
];

const USAGE: &str = "swsrpchsync [-h serverName] [-F {Sync|Async|Stack|Consist}] [-R {Auto|Manual}] [-S {Auto|Manual}] {fromVolumeName toVolumeName | [-Xreverse] -Xgroup groupName}";

pub fn spec() -> Spec {
    Spec {
        name: "swsrpchsync",
        usage: USAGE,
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: None,
    }
}

/// The manual's other spelling of the command (its reference page title).
pub fn alias_spec() -> Spec {
    Spec {
        name: "swsrpchsnc",
        ..spec()
    }
}

fn auto_manual(args: &Args, option: &str) -> Result<Option<&'static str>, AcmError> {
    match args.value(option) {
        None => Ok(None),
        Some("Auto") => Ok(Some("auto")),
        Some("Manual") => Ok(Some("manual")),
        Some(other) => Err(AcmError::usage(format!(
            "{option} takes Auto or Manual, not '{other}'"
        ))),
    }
}

/// The modes asked, in the array's words.
fn modes(args: &Args) -> Result<RecModes, AcmError> {
    let transfer = match args.value("-F") {
        None => None,
        Some("Sync") => Some("sync"),
        Some("Async") => Some("through"),
        Some("Stack") => Some("stack"),
        Some("Consist") => Some("consistency"),
        Some(other) => {
            return Err(AcmError::usage(format!(
                "-F takes Sync, Async, Stack or Consist, not '{other}'"
            )))
        }
    };
    let modes = RecModes {
        transfer,
        split: auto_manual(args, "-S")?,
        recovery: auto_manual(args, "-R")?,
    };
    if modes == RecModes::default() {
        return Err(AcmError::usage("give at least one of -F, -R and -S"));
    }
    Ok(modes)
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    operands(args, 2)?;
    let modes = modes(args)?;
    let mut engine = cx.engine()?;
    if let Some(group) = args.value("-Xgroup") {
        let pairs = engine.group(group, args.has("-Xreverse"))?;
        let ids: Vec<i64> = pairs.iter().map(|(p, _)| p.id).collect();
        let _pair_locks = cx.lock_pairs(&ids)?;
        let result = engine.chsync(&pairs, modes);
        engine.close();
        result?;
        cx.println(group_completed(group, cx.name));
        return Ok(());
    }
    let (pair, direction) = engine.find(&args.operands[0], &args.operands[1])?;
    let _pair_lock = cx.lock_pairs(&[pair.id])?;
    let result = engine.chsync(&[(pair.clone(), direction)], modes);
    engine.close();
    result?;
    let (from, to) = match direction {
        Direction::Regular => (pair.orig.qualified(), pair.rep.qualified()),
        Direction::Reverse => (pair.rep.qualified(), pair.orig.qualified()),
    };
    cx.println(pair_completed(&from, &to, cx.name));
    Ok(())
}
