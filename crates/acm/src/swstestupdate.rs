//! swstestupdate — measure the update volume of a volume, to size Snap Data Volumes
//! (manual 8.5.1, spec §4.13): `start`, `status` (512-byte blocks updated since the
//! start, each block once), `stop`.

use crate::args::{Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[];

pub fn spec() -> Spec {
    Spec {
        name: "swstestupdate",
        usage: "swstestupdate {start | status | stop} volumeName",
        flags: FLAGS,
        class: Class::Operation,
        read_only_when: Some(|args| args.operands.first().is_some_and(|a| a == "status")),
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let [action, volume] = args.operands.as_slice() else {
        return Err(AcmError::usage(
            "give one of start, status, stop and a volume name".to_string(),
        ));
    };
    if !matches!(action.as_str(), "start" | "status" | "stop") {
        return Err(AcmError::usage(format!(
            "'{action}' is not start, status or stop"
        )));
    }
    let mut engine = cx.engine()?;
    let result = (|| {
        let target = engine.resolve(volume)?;
        match action.as_str() {
            "status" => engine.update_status(&target).map(Some),
            other => engine
                .update_measurement(&target, other == "start")
                .map(|_| None),
        }
    })();
    engine.close();
    match result? {
        Some(blocks) => {
            cx.println("Volume-Name Update");
            cx.println(format!(
                "{volume} {}",
                blocks.map_or("----".to_string(), |b| b.to_string())
            ));
        }
        None => cx.println(format!("{volume} swstestupdate completed")),
    }
    Ok(())
}
