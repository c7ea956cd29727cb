//! stgcmmodnode — show or change the Management Server this agent answers to: its IP
//! address, port and server name (manual 8.2.1, eternus-replication.md §8). Kept in
//! `/etc/opt/FJSVswstf/data/manager.ini`.

use crate::agent::{self, MANAGER_FILE};
use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;
use std::net::IpAddr;

const FLAGS: &[Flag] = &[valued("-i"), valued("-p"), valued("-n")];
const SECTION: &str = "manager";

pub fn spec() -> Spec {
    Spec {
        name: "stgcmmodnode",
        usage: "stgcmmodnode [-i ipAddress] [-p portNumber] [-n serverName]",
        flags: FLAGS,
        class: Class::Config,
        read_only_when: Some(|args| args.flags.is_empty()),
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("stgcmmodnode takes no operand"));
    }
    let file = cx.paths.under_root(MANAGER_FILE);
    let current = |key| agent::setting(&file, SECTION, key);
    let (ip, port, name) = (current("ip")?, current("port")?, current("name")?);
    if args.flags.is_empty() {
        let shown = |v: Option<String>| v.unwrap_or_else(|| "???".to_string());
        cx.println(format!("swstf2413 IP Address = {}", shown(ip)));
        cx.println(format!("swstf2413 PORT Number = {}", shown(port)));
        cx.println(format!(
            "swstf2413 Storage Management Server's Name = {}",
            shown(name)
        ));
        return Ok(());
    }
    // Check every value before writing any.
    let ip = match args.value("-i") {
        Some(v) => Some(check_ip(v)?),
        None => ip,
    };
    let port = match args.value("-p") {
        Some(v) => Some(check_port(v)?),
        None => port,
    };
    let name = match args.value("-n") {
        Some(v) => Some(check_name(v)?),
        None => name,
    };
    let entries: Vec<(&str, String)> = [("ip", ip), ("port", port), ("name", name)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    agent::write_settings(&file, SECTION, &entries)?;
    cx.println("swstf2401 Storage Management Server registry updated.");
    Ok(())
}

fn check_ip(value: &str) -> Result<String, AcmError> {
    value
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| {
            AcmError::new(
                "swstf2402",
                format!("The IP address is invalid. IP Address={value}"),
            )
        })
}

fn check_port(value: &str) -> Result<String, AcmError> {
    match value.parse::<u32>() {
        Ok(port) if (1024..=65535).contains(&port) => Ok(port.to_string()),
        _ => Err(AcmError::new(
            "swstf2403",
            format!("The port number must be between 1024 and 65535. PORT Number={value}"),
        )),
    }
}

fn check_name(value: &str) -> Result<String, AcmError> {
    if arraysync_eternus::device::valid_server_name(value) {
        Ok(value.to_string())
    } else {
        Err(AcmError::new(
            "swstf2404",
            format!("The server name is invalid. Server name={value}"),
        ))
    }
}
