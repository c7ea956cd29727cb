//! swsrprecbuffset — change the use of a REC buffer of the storage system of a
//! replication volume (manual 8.3.1.5, spec §4.5).

use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), valued("-Xbuffid"), valued("-Xbuffuse")];

pub fn spec() -> Spec {
    Spec {
        name: "swsrprecbuffset",
        usage:
            "swsrprecbuffset [-h serverName] -Xbuffid buffer-id -Xbuffuse {SEND|RECV} volumeName",
        flags: FLAGS,
        // Exclusive with every operation and with swsrpstat (spec §6.1).
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let [volume] = args.operands.as_slice() else {
        return Err(AcmError::usage("give one volume name"));
    };
    let id: u32 = match args.value("-Xbuffid").map(str::parse) {
        Some(Ok(id)) => id,
        Some(Err(_)) => return Err(AcmError::usage("-Xbuffid takes a buffer number")),
        None => return Err(AcmError::usage("-Xbuffid is required")),
    };
    let send = match args.value("-Xbuffuse") {
        Some("SEND") => true,
        Some("RECV") => false,
        Some(other) => {
            return Err(AcmError::usage(format!(
                "-Xbuffuse takes SEND or RECV, not '{other}'"
            )))
        }
        None => return Err(AcmError::usage("-Xbuffuse is required")),
    };
    let mut engine = cx.engine()?;
    let result = engine
        .replication_volume(volume)
        .and_then(|v| engine.recbuffset(&v, id, send));
    engine.close();
    result?;
    cx.println("swsrprecbuffset completed");
    Ok(())
}
