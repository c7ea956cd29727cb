//! Argument parsing and dispatch for `arraysync` and `syncresync`. Errors are printed
//! once and mapped to the exit codes of DESIGN §3 (Nagios codes for `check`).

use crate::output::{self, Format};
use arraysync_core::config::list_services;
use arraysync_core::duration::{parse_duration, Unit};
use arraysync_core::log::{Level, Logger};
use arraysync_core::paths::PathOverrides;
use arraysync_core::service::{Action, ActionOptions, Service};
use arraysync_core::signals;
use arraysync_core::{Error, Paths};
use clap::Parser;
use std::path::PathBuf;

/// Options shared by both binaries.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// Service name(s), comma-separated.
    #[arg(short = 's', long = "service", value_delimiter = ',')]
    pub services: Vec<String>,
    /// Every service configured in the etc directory.
    #[arg(long)]
    pub all: bool,
    /// Resource id(s) to act on (sync#1), comma-separated.
    #[arg(long = "rid", value_delimiter = ',')]
    pub rids: Vec<String>,
    /// Bypass the sync_min_delay protection (and only that).
    #[arg(long)]
    pub force: bool,
    /// Log what would be done; run queries only.
    #[arg(long)]
    pub dry_run: bool,
    /// How long to wait for the service lock: seconds, or 1m30s.
    #[arg(long, value_name = "DURATION", default_value = "60")]
    pub waitlock: String,
    /// Configuration directory (default /etc/arraysync under ARRAYSYNC_ROOT; env ARRAYSYNC_ETC).
    #[arg(long, value_name = "DIR")]
    pub etc: Option<PathBuf>,
    /// State directory (default /var/lib/arraysync under ARRAYSYNC_ROOT; env ARRAYSYNC_VAR).
    #[arg(long, value_name = "DIR")]
    pub var: Option<PathBuf>,
    /// Also echo DEBUG lines (vendor queries) on stderr.
    #[arg(long)]
    pub debug: bool,
}

/// `arraysync -s SVC <action>`: drive the sync resources of OpenSVC-style services.
#[derive(Debug, Parser)]
#[command(name = "arraysync", version, about, after_help = ACTIONS_HELP)]
pub struct ArraysyncArgs {
    #[command(flatten)]
    pub common: Common,
    /// Output format of print status, print config and validate config.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// The action: sync resync, syncresync, sync break, sync update, sync restore, start,
    /// stop, print status, print config, validate config, check.
    #[arg(required = true, value_name = "ACTION")]
    pub action: Vec<String>,
}

const ACTIONS_HELP: &str = "Actions:
  sync resync | syncresync     refresh the copies (service must be down)
  sync update | syncupdate     same, as run by a scheduler
  sync break  | syncbreak      split the copies (clone types)
  sync restore | syncrestore   copy the targets back onto the sources (service must be down)
  start | stop                 the resources' part of a service start or stop
  print status [--format json] status computed from the arrays
  print config [--format json] effective settings
  validate config              check configs, auth.conf and password files
  check                        monitoring check: one line, exit 0 ok, 1 warning, 2 critical, 3 unknown";

/// `syncresync -s SVC [--force]`: the resync action alone, for cron lines.
#[derive(Debug, Parser)]
#[command(name = "syncresync", version, about)]
pub struct SyncresyncArgs {
    #[command(flatten)]
    pub common: Common,
}

/// What the action words ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Act(Action),
    PrintStatus,
    PrintConfig,
    ValidateConfig,
    Check,
}

/// Parses the seeds' spellings of an action.
pub fn parse_action(words: &[String]) -> Result<Command, Error> {
    let joined = words.join(" ").to_lowercase();
    let command = match joined.as_str() {
        "sync resync" | "syncresync" => Command::Act(Action::Resync),
        "sync update" | "syncupdate" => Command::Act(Action::Update),
        "sync break" | "syncbreak" => Command::Act(Action::Break),
        "sync restore" | "syncrestore" => Command::Act(Action::Restore),
        "start" => Command::Act(Action::Start),
        "stop" => Command::Act(Action::Stop),
        "print status" | "status" => Command::PrintStatus,
        "print config" => Command::PrintConfig,
        "validate config" => Command::ValidateConfig,
        "check" => Command::Check,
        _ => {
            return Err(Error::Usage(format!(
                "unknown action '{joined}' (see arraysync --help for the list)"
            )))
        }
    };
    Ok(command)
}

/// Entry point of `arraysync`.
pub fn arraysync_main() -> i32 {
    timed(|| {
        let args = ArraysyncArgs::parse();
        let command = match parse_action(&args.action) {
            Ok(c) => c,
            Err(e) => return report("arraysync", &e),
        };
        run(&args.common, command, args.format)
    })
}

/// Entry point of `syncresync`.
pub fn syncresync_main() -> i32 {
    timed(|| {
        let args = SyncresyncArgs::parse();
        run(&args.common, Command::Act(Action::Resync), Format::Text)
    })
}

/// With `ARRAYSYNC_TIMING` set, reports on stderr the wall time, the time spent waiting
/// on vendor commands and the rest, the tool's own overhead (for scripts/bench).
fn timed(body: impl FnOnce() -> i32) -> i32 {
    let started = std::time::Instant::now();
    if let Err(e) = signals::install() {
        eprintln!("arraysync: cannot install signal handlers: {e}");
        return 1;
    }
    let code = output::stdout_status("arraysync", body());
    if std::env::var_os("ARRAYSYNC_TIMING").is_some() {
        let wall = started.elapsed();
        let vendor = arraysync_core::runner::vendor_wall_time();
        eprintln!(
            "arraysync timing: wall_ms={:.3} vendor_ms={:.3} own_ms={:.3}",
            wall.as_secs_f64() * 1000.0,
            vendor.as_secs_f64() * 1000.0,
            wall.saturating_sub(vendor).as_secs_f64() * 1000.0
        );
    }
    code
}

/// Prints an error once and returns its exit code.
fn report(program: &str, error: &Error) -> i32 {
    eprintln!("{program}: {error}");
    error.exit_code()
}

fn services(common: &Common, paths: &Paths) -> Result<Vec<String>, Error> {
    if common.all {
        let all = list_services(paths.etc());
        if all.is_empty() {
            return Err(Error::Usage(format!(
                "--all: no service configured in {}",
                paths.etc().display()
            )));
        }
        return Ok(all);
    }
    if common.services.is_empty() {
        return Err(Error::Usage(
            "no service given: use -s SVC[,SVC] or --all".into(),
        ));
    }
    Ok(common.services.clone())
}

fn run(common: &Common, command: Command, format: Format) -> i32 {
    let paths = Paths::from_env(&PathOverrides {
        etc: common.etc.clone(),
        var: common.var.clone(),
    });
    let setup = services(common, &paths).and_then(|names| {
        let waitlock = parse_duration(&common.waitlock, Unit::Seconds)
            .map_err(|e| Error::Usage(format!("--waitlock: {e}")))?;
        Ok((names, waitlock))
    });
    let (names, waitlock) = match setup {
        Ok(v) => v,
        Err(e) if command == Command::Check => return output::check_unknown(&e.to_string()),
        Err(e) => return report("arraysync", &e),
    };
    let registry = crate::registry();
    match command {
        Command::Act(action) => {
            let opts = ActionOptions {
                rids: common.rids.clone(),
                force: common.force,
                dry_run: common.dry_run,
                waitlock,
            };
            names
                .iter()
                .map(|name| act(&paths, &registry, name, action, &opts, common.debug))
                .max()
                .unwrap_or(0)
        }
        Command::PrintStatus | Command::Check => {
            let reports = names.iter().map(|name| {
                let service = Service::load(&paths, &registry, name)?;
                warn_all(&service.warnings);
                service.status(&paths, &common.rids, &stderr_logger(name, common.debug))
            });
            let reports: Result<Vec<_>, Error> = reports.collect();
            match (command, reports) {
                (Command::Check, Ok(reports)) => output::check(&reports),
                (Command::Check, Err(e)) => output::check_unknown(&e.to_string()),
                (_, Ok(reports)) => output::print_status(&reports, format),
                (_, Err(e)) => report("arraysync", &e),
            }
        }
        Command::PrintConfig | Command::ValidateConfig => {
            let mut code = 0;
            let mut loaded = Vec::new();
            for name in &names {
                match Service::load(&paths, &registry, name) {
                    Ok(service) => {
                        warn_all(&service.warnings);
                        loaded.push(service);
                    }
                    Err(e) => code = code.max(report("arraysync", &e)),
                }
            }
            if command == Command::PrintConfig {
                output::print_config(&loaded, format);
            } else {
                output::print_validation(&loaded, format);
            }
            code
        }
    }
}

fn warn_all(warnings: &[String]) {
    for warning in warnings {
        eprintln!("arraysync: warning: {warning}");
    }
}

fn stderr_logger(name: &str, debug: bool) -> Logger {
    Logger::stderr_only(name, if debug { Level::Debug } else { Level::Error })
}

/// Runs one action on one service: configuration errors are printed (exit 2); action
/// errors are logged to stderr and the service log (exit 1).
fn act(
    paths: &Paths,
    registry: &arraysync_core::Registry,
    name: &str,
    action: Action,
    opts: &ActionOptions,
    debug: bool,
) -> i32 {
    let service = match Service::load(paths, registry, name) {
        Ok(s) => s,
        Err(e) => return report("arraysync", &e),
    };
    warn_all(&service.warnings);
    let log_file = paths.log_dir().join(format!("{name}.log"));
    let stderr_level = if debug { Level::Debug } else { Level::Info };
    let log = match Logger::open(name, Some(&log_file), stderr_level) {
        Ok(log) => log,
        Err(e) => return report("arraysync", &Error::io(&log_file, e)),
    };
    let result = service.run_action(paths, action, opts, &log);
    // The lock is released (run_action returned) only after the vendor commands are gone.
    if let Some(signal) = signals::received() {
        let reason = result.err().map(|e| format!(": {e}")).unwrap_or_default();
        log.error(&format!(
            "{action} interrupted by signal {}{reason}; rerun it to finish the job",
            signals::name(signal)
        ));
        return signals::exit_code(signal);
    }
    match result {
        Ok(()) => 0,
        Err(e @ (Error::Usage(_) | Error::Config(_) | Error::ConfigList(_))) => {
            report("arraysync", &e)
        }
        Err(e) => {
            log.error(&format!("{action} failed: {e}"));
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn seed_spellings_of_actions() {
        assert_eq!(
            parse_action(&words("sync resync")).ok(),
            Some(Command::Act(Action::Resync))
        );
        assert_eq!(
            parse_action(&words("syncresync")).ok(),
            Some(Command::Act(Action::Resync))
        );
        assert_eq!(
            parse_action(&words("SYNC BREAK")).ok(),
            Some(Command::Act(Action::Break))
        );
        assert_eq!(
            parse_action(&words("print status")).ok(),
            Some(Command::PrintStatus)
        );
        assert_eq!(
            parse_action(&words("validate config")).ok(),
            Some(Command::ValidateConfig)
        );
        let err = parse_action(&words("sync split")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
