//! swstsvrdisp — display the Managed Server configuration (manual 8.1.1.2, spec §4.0b).

use crate::args::{flag, valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[valued("-h"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "swstsvrdisp",
        usage: "swstsvrdisp [-h serverName] [-Xjson]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("swstsvrdisp takes no operand"));
    }
    let engine = cx.backup()?;
    let server = engine.server().to_string();
    engine.close();
    if args.has("-Xjson") {
        cx.println(serde_json::json!({ "Storage-Server": server }).to_string());
    } else {
        cx.println(format!("Storage-Server = {server}"));
    }
    Ok(())
}
