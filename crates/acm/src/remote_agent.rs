//! `swsrp-remote`: the hidden remote agent another Managed Server's command talks to over
//! ssh (one session per server per command; protocol in arraysync_eternus::remote). It
//! runs on this server's root: device lookup, the pre/post scripts of its own volumes, and
//! the ACM commands `-h thisServer` sends here (found beside this executable). Not an
//! operator command: it reads requests on stdin until `bye` or end of input.

use crate::messages::Family;
use arraysync_core::log::{Level, Logger};
use arraysync_core::paths::PathOverrides;
use arraysync_core::Paths;

/// Serves one session; returns the exit code.
pub fn main() -> i32 {
    if let Err(e) = arraysync_core::signals::install() {
        eprintln!("swsrp-remote: cannot install signal handlers: {e}");
        return 1;
    }
    let paths = Paths::from_env(&PathOverrides::default());
    let log_file = paths.under_root(Family::Replication.log_file());
    // stdout is the protocol: the log goes to the file, and to stderr (which ssh carries
    // back to the command that opened the session) for errors only.
    let log = Logger::open("swsrp-remote", Some(&log_file), Level::Error)
        .unwrap_or_else(|_| Logger::stderr_only("swsrp-remote", Level::Error));
    let bin_dir = match std::env::current_exe() {
        Ok(exe) => exe.parent().map(|p| p.to_path_buf()).unwrap_or_default(),
        Err(e) => {
            eprintln!("swsrp-remote: cannot locate its own directory: {e}");
            return 1;
        }
    };
    let commands: Vec<&str> = crate::COMMANDS.iter().map(|spec| spec().name).collect();
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match arraysync_eternus::remote::serve(&paths, &log, stdin, stdout, &commands, &bin_dir) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("swsrp-remote: {e}");
            1
        }
    }
}
