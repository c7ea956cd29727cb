//! stgxfwcmdispsrv — the Managed Servers this agent reaches (manual 8.2.7 names the
//! command, a Management Server one documented elsewhere; on this agent it shows the
//! server table, `/etc/opt/FJSVswsrp/data/DEFAULT/servers.conf`, docs/compat.md). The
//! names it shows are the ones `-h serverName` and `Volume@SERVER` take, case included.
//!
//! `Server Access Address Agent`, this server first (`local`), then each declared server
//! (`ssh` or `command`); `-Xcheck` opens one session to each and adds `Status` (`ok`, or
//! why not), exit 1 if any is unreachable.

use crate::args::{flag, Args, Flag};
use crate::messages::AcmError;
use crate::output::Table;
use crate::{Cx, Spec};
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::remote::RemoteSession;
use arraysync_eternus::replication::local_server_name;
use arraysync_eternus::servers::{Reach, ServerTable};

const FLAGS: &[Flag] = &[flag("-Xcheck"), flag("-Xjson")];

pub fn spec() -> Spec {
    Spec {
        name: "stgxfwcmdispsrv",
        usage: "stgxfwcmdispsrv [-Xcheck] [-Xjson]",
        flags: FLAGS,
        class: Class::Display,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("stgxfwcmdispsrv takes no operand"));
    }
    let local = local_server_name(&cx.paths)?;
    let table = ServerTable::load(&cx.paths)
        .map_err(|e| AcmError::from(arraysync_eternus::EternusError::from(e)))?;
    let check = args.has("-Xcheck");
    let mut header = vec!["Server", "Access", "Address", "Agent"];
    if check {
        header.push("Status");
    }
    let mut out = Table::new(header);
    let mut row = vec![local, "local".into(), "----".into(), "----".into()];
    if check {
        row.push("ok".into());
    }
    out.push(row);
    let mut unreachable = Vec::new();
    for server in &table.servers {
        let access = match server.reach {
            Reach::Ssh { .. } => "ssh",
            Reach::Prefix { .. } => "command",
        };
        let mut row = vec![
            server.name.clone(),
            access.to_string(),
            server.address_text(),
            server.agent.clone(),
        ];
        if check {
            row.push(match RemoteSession::open(server, &cx.log) {
                Ok(session) => {
                    session.close();
                    "ok".to_string()
                }
                Err(e) => {
                    unreachable.push(e.to_string());
                    "unreachable".to_string()
                }
            });
        }
        out.push(row);
    }
    cx.out.extend(out.lines(args.has("-Xjson")));
    match unreachable.first() {
        None => Ok(()),
        Some(first) => Err(AcmError::new(
            "swsrp0603",
            format!(
                "{} of {} Managed Servers cannot be reached: {first}",
                unreachable.len(),
                table.servers.len()
            ),
        )),
    }
}
