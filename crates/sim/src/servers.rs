//! Emulated Managed Servers: what `ssh` to another server is to the replication commands.
//!
//! ```text
//! arraysim server add NAME --root DIR [--agent-bin PATH]
//! arraysim server exec NAME [--] PROGRAM [ARGS...]
//! arraysim server fault NAME down|slow|garbage|ok
//! arraysim server list
//! ```
//!
//! `add` gives the server its own root, `<state dir>/servers/NAME` (etc, var, repository,
//! scripts, devices file, `swnode.ini` naming it), links PATH (the remote agent) at
//! `/opt/FJSVswsrp/bin/<name>` in it, gives it DIR's array credentials (the same boxes,
//! reached through this state directory), and declares it in DIR's server table
//! (`/etc/opt/FJSVswsrp/data/DEFAULT/servers.conf`, mode 0600) with the command prefix
//! `/opt/arraysim/arraysim server exec NAME --` in place of ssh.
//!
//! `exec` runs PROGRAM with `ARRAYSYNC_ROOT` set to that server's root (an absolute PROGRAM
//! is looked up under it, as a path on that host) and the arrays of this state directory,
//! stdin and stdout passed through; each run is one line of the call log (prog `server`,
//! argv `[NAME, PROGRAM, ...]`). Faults: `down` is ssh's refusal (exit 255, ssh's message
//! on stderr), `slow` never answers (it sleeps until killed), `garbage` prints a line that
//! is not the agent's protocol and exits, `ok` clears the fault.

use anyhow::{bail, Context};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::calllog::{self, CallRecord};
use crate::invocation::outln;
use crate::store::{self, Store};

/// The admin hooks (`arraysim server ...`; there is no `setup server`).
pub const VENDOR: crate::Vendor = crate::Vendor {
    name: "server",
    setup: |_| bail!("use: arraysim server add NAME --root DIR"),
    admin,
    set_rate: |_, _, _| Ok(false),
    get_rate: |_, _| Ok(None),
};

const USAGE: &str = "usage: arraysim server add NAME --root DIR [--agent-bin PATH] | exec NAME [--] PROGRAM [ARGS...] | fault NAME down|slow|garbage|ok | list";
const SERVERS_CONF: &str = "etc/opt/FJSVswsrp/data/DEFAULT/servers.conf";

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The root of an emulated server.
pub fn server_root(store: &Store, name: &str) -> PathBuf {
    store.path(&format!("servers/{name}"))
}

fn fault_file(store: &Store, name: &str) -> PathBuf {
    store.path(&format!("servers/{name}.fault"))
}

fn admin(store: &Store, args: &[String]) -> anyhow::Result<()> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["add", name, rest @ ..] => add(store, name, rest),
        ["exec", name, rest @ ..] => {
            let rest = rest.strip_prefix(&["--"]).unwrap_or(rest);
            let code = exec(store, name, rest)?;
            std::process::exit(code);
        }
        ["fault", name, kind] => fault(store, name, kind),
        ["list"] => {
            for name in store.list("servers")? {
                outln(&name);
            }
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

fn known(store: &Store, name: &str) -> anyhow::Result<PathBuf> {
    if !valid_name(name) {
        bail!("invalid server name {name:?}");
    }
    let root = server_root(store, name);
    if !root.is_dir() {
        bail!("no emulated server {name} (arraysim server add {name} --root DIR)");
    }
    Ok(root)
}

fn add(store: &Store, name: &str, rest: &[&str]) -> anyhow::Result<()> {
    if !valid_name(name) {
        bail!("invalid server name {name:?}");
    }
    let mut near: Option<PathBuf> = None;
    let mut agent: Option<PathBuf> = None;
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            ("--root", Some(v)) => near = Some(PathBuf::from(v)),
            ("--agent-bin", Some(v)) => agent = Some(PathBuf::from(v)),
            _ => bail!("{USAGE}"),
        }
        i += 2;
    }
    let Some(near) = near else { bail!("{USAGE}") };
    let near = std::path::absolute(&near)?;
    let root = server_root(store, name);
    let node = root.join("etc/opt/swstorage/swnode.ini");
    fs::create_dir_all(node.parent().unwrap_or(&root))?;
    fs::write(&node, format!("[node]\nname = {name}\n"))?;
    for dir in [
        "etc/opt/FJSVswsrp/sh",
        "etc/opt/FJSVswstf",
        "var/opt/FJSVswsrp/log",
    ] {
        fs::create_dir_all(root.join(dir))?;
    }
    if let Some(agent) = agent {
        let agent = std::path::absolute(&agent)?;
        let file = agent
            .file_name()
            .context("--agent-bin names no file")?
            .to_owned();
        let link = root.join("opt/FJSVswsrp/bin").join(file);
        relink(&agent, &link)?;
    }
    let exe = std::env::current_exe().context("locating the arraysim executable")?;
    relink(&exe, &near.join("opt/arraysim/arraysim"))?;
    // The same boxes, reached the same way from that server: its own copy of the
    // credentials and the CLI endpoint under its root.
    let auth = near.join("etc/arraysync/auth.conf");
    if let Ok(text) = fs::read(&auth) {
        store::write_atomic_mode(&root.join("etc/arraysync/auth.conf"), &text, 0o600)?;
        relink(&exe, &root.join("opt/arraysim/eternus-cli"))?;
    }
    let conf = near.join(SERVERS_CONF);
    let mut text = fs::read_to_string(&conf).unwrap_or_default();
    if !text.lines().any(|l| l.trim() == format!("[{name}]")) {
        text.push_str(&format!(
            "[{name}]\ncommand = /opt/arraysim/arraysim server exec {name} --\n"
        ));
        store::write_atomic_mode(&conf, text.as_bytes(), 0o600)?;
    }
    outln(&format!("server {name}: root {}", root.display()));
    Ok(())
}

fn relink(target: &Path, link: &Path) -> anyhow::Result<()> {
    if let Some(dir) = link.parent() {
        fs::create_dir_all(dir)?;
    }
    if fs::symlink_metadata(link).is_ok() {
        fs::remove_file(link).with_context(|| format!("replacing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(target, link).with_context(|| format!("linking {}", link.display()))
}

fn fault(store: &Store, name: &str, kind: &str) -> anyhow::Result<()> {
    known(store, name)?;
    let file = fault_file(store, name);
    match kind {
        "ok" => match fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        },
        "down" | "slow" | "garbage" => store::write_atomic(&file, kind.as_bytes())?,
        other => bail!("unknown fault {other:?} (down, slow, garbage or ok)"),
    }
    outln(&format!("server {name}: {kind}"));
    Ok(())
}

fn exec(store: &Store, name: &str, argv: &[&str]) -> anyhow::Result<i32> {
    let root = known(store, name)?;
    let Some((program, args)) = argv.split_first() else {
        bail!("{USAGE}");
    };
    let started = Instant::now();
    let mut record = CallRecord {
        ts: chrono::Utc::now().to_rfc3339(),
        prog: "server".into(),
        argv: std::iter::once(name.to_string())
            .chain(argv.iter().map(|a| a.to_string()))
            .collect(),
        commands: Vec::new(),
        exit: None,
        duration_ms: 0,
    };
    let fault = fs::read_to_string(fault_file(store, name)).unwrap_or_default();
    let code = match fault.trim() {
        "down" => {
            eprintln!("ssh: connect to host {name} port 22: Connection refused");
            255
        }
        "slow" => {
            // Counted before it hangs: the caller's timeout kills it.
            calllog::append(store, &record)?;
            std::thread::sleep(std::time::Duration::from_secs(3600));
            return Ok(255);
        }
        "garbage" => {
            println!("Last login: Sat Nov 28 22:00:00 2026 from 10.1.1.10 \x1b[0m#%&*");
            0
        }
        _ => {
            // The far host does not share this host's descriptors (the command's locks,
            // which the ssh process itself keeps, as here): none reaches the program.
            keep_descriptors_here();
            let path = if program.starts_with('/') {
                root.join(program.trim_start_matches('/'))
            } else {
                PathBuf::from(program)
            };
            let status = Command::new(&path)
                .args(args)
                .env("ARRAYSYNC_ROOT", &root)
                .env("ARRAYSIM_STATE", store.root())
                .env_remove("ARRAYSYNC_ETC")
                .env_remove("ARRAYSYNC_VAR")
                .status();
            match status {
                Ok(s) => s.code().unwrap_or(255),
                Err(_) => {
                    eprintln!("sh: {program}: command not found");
                    127
                }
            }
        }
    };
    record.exit = Some(code);
    record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    calllog::append(store, &record)?;
    Ok(code)
}

/// Marks every descriptor above stderr close-on-exec.
fn keep_descriptors_here() {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    let Ok(dir) = fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    }
}
