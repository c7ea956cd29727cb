//! stgenvdisp — the agent's environment as `title : value` lines, `???` for what cannot
//! be known (manual 8.2.10). Reads only.

use crate::agent::{self, MANAGER_FILE};
use crate::args::{Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;

const FLAGS: &[Flag] = &[];
const UNKNOWN: &str = "???";

pub fn spec() -> Spec {
    Spec {
        name: "stgenvdisp",
        usage: "stgenvdisp",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("stgenvdisp takes no operand"));
    }
    let manager = cx.paths.under_root(MANAGER_FILE);
    // An unreadable setting is shown as ??? (manual: "for any information that cannot be
    // displayed because of an error").
    let ip = agent::setting(&manager, "manager", "ip").ok().flatten();
    let port = communication_port(&cx.paths.under_root("/etc/services"));
    let paths = cx.paths.clone();
    let dir = |d: &str| paths.under_root(d).display().to_string();
    let rows = [
        ("Server type", "Server".to_string()),
        (
            "Manager IP address",
            ip.unwrap_or_else(|| UNKNOWN.to_string()),
        ),
        ("Communication", port.unwrap_or_else(|| UNKNOWN.to_string())),
    ];
    for (title, value) in rows {
        cx.println(format!("{title:<21}: {value}"));
    }
    cx.println("-----");
    cx.println(format!(
        "{:<21}: arraysync {}",
        "Version",
        env!("CARGO_PKG_VERSION")
    ));
    cx.println(format!("{:<21}: ENGLISH", "Language"));
    cx.println(format!("Program install directory : {}", dir("/opt")));
    cx.println(format!(
        "Fixed configuration directory : {}",
        dir("/etc/opt")
    ));
    cx.println(format!(
        "Modifying configuration directory : {}",
        dir("/var/opt")
    ));
    Ok(())
}

/// The port of the `stgxfws` service in the services file (`stgxfws 1226/tcp`).
fn communication_port(services: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(services).ok()?;
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        (words.next() == Some("stgxfws")).then_some(())?;
        let port = words.next()?.split('/').next()?;
        port.parse::<u16>().ok().map(|p| p.to_string())
    })
}
