//! swsrprecbuffstat — the REC buffers of the storage system of a replication volume
//! (manual 8.3.1.4, spec §4.4).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-L")];

pub fn spec() -> Spec {
    Spec {
        name: "swsrprecbuffstat",
        usage: "swsrprecbuffstat [-h serverName] [-L] volumeName",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let [volume] = args.operands.as_slice() else {
        return Err(AcmError::usage("give one volume name"));
    };
    let mut engine = cx.engine()?;
    let result = engine
        .replication_volume(volume)
        .and_then(|v| Ok((engine.recbuffstat(&v)?, v)));
    engine.close();
    let (buffers, volume) = result?;
    let long = args.has("-L");
    cx.println(format!("BoxID = {}", volume.box_id));
    cx.println(if long {
        "ID Use Rate RemoteBoxID DiskBuff DiskRate"
    } else {
        "ID Use Rate RemoteBoxID"
    });
    for b in buffers {
        let mut line = format!("{} {} {} {}", b.id, b.usage, b.rate, b.remote_box);
        if long {
            line.push_str(&format!(" {} {}", b.disk_buffer, b.disk_rate));
        }
        cx.println(line);
    }
    Ok(())
}
