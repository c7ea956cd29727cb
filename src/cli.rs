//! Argument parsing and dispatch for `arraysync` and `syncresync`. Errors are printed
//! once and mapped to the exit codes of DESIGN §3 (Nagios codes for `check`).

use crate::output::{self, Format};
use arraysync_core::config::list_services;
use arraysync_core::duration::{parse_duration, Unit};
use arraysync_core::log::{self, Level, LogOptions, Logger};
use arraysync_core::paths::PathOverrides;
use arraysync_core::service::{Action, ActionOptions, Service, ServiceReport};
use arraysync_core::settings::{self, Settings};
use arraysync_core::signals;
use arraysync_core::{Error, Paths};
use clap::Parser;
use std::path::PathBuf;

/// Options shared by both binaries.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// Service name(s), comma-separated.
    #[arg(short = 's', long = "service", value_delimiter = ',',
          add = crate::complete::service_names())]
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
    /// How long to wait for the service lock: seconds, or 1m30s (default: the node
    /// settings' timeouts.waitlock, 1m).
    #[arg(long, value_name = "DURATION")]
    pub waitlock: Option<String>,
    /// Configuration directory (default /etc/arraysync under ARRAYSYNC_ROOT; env ARRAYSYNC_ETC).
    #[arg(long, value_name = "DIR")]
    pub etc: Option<PathBuf>,
    /// State directory (default /var/lib/arraysync under ARRAYSYNC_ROOT; env ARRAYSYNC_VAR).
    #[arg(long, value_name = "DIR")]
    pub var: Option<PathBuf>,
    /// Echo everything on stderr, DEBUG lines (vendor queries, timings) included.
    #[arg(long)]
    pub debug: bool,
    /// Errors only on stderr (without it: INFO and up at a terminal, WARNING and up
    /// otherwise, so a successful cron run prints nothing).
    #[arg(short = 'q', long, conflicts_with = "debug")]
    pub quiet: bool,
}

/// `arraysync -s SVC <action>`: drive the sync resources of OpenSVC-style services.
#[derive(Debug, Parser)]
#[command(name = "arraysync", version = crate::VERSION, about, after_help = ACTIONS_HELP)]
pub struct ArraysyncArgs {
    #[command(flatten)]
    pub common: Common,
    /// Output format of print status, print config, print settings, validate config and check.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// print metrics: write `arraysync_<svc>.prom` files atomically in DIR (node_exporter's
    /// textfile collector) instead of printing; without DIR, the node settings'
    /// metrics.textfile_dir.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "")]
    pub textfile: Option<PathBuf>,
    /// The action: sync resync, syncresync, sync break, sync update, sync restore, start,
    /// stop, print status, print config, print settings, print metrics, validate config, check.
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
  print settings               the node settings (/etc/arraysync/arraysync.toml), every key
  print metrics [--textfile [DIR]]
                               Prometheus text format (status, last sync, last action)
  validate config              check configs, auth.conf and password files
  check [--format json]        monitoring check: one line with perfdata, exit 0 ok, 1 warning,
                               2 critical, 3 unknown";

/// `syncresync -s SVC [--force]`: the resync action alone, for cron lines.
#[derive(Debug, Parser)]
#[command(name = "syncresync", version = crate::VERSION, about)]
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
    PrintSettings,
    PrintMetrics,
    ValidateConfig,
    Check,
}

/// Every accepted spelling of an action, for "did you mean".
const ACTION_SPELLINGS: &[&str] = &[
    "sync resync",
    "syncresync",
    "sync update",
    "syncupdate",
    "sync break",
    "syncbreak",
    "sync restore",
    "syncrestore",
    "start",
    "stop",
    "print status",
    "status",
    "print config",
    "print settings",
    "print metrics",
    "validate config",
    "check",
];

/// The closest of `candidates` to `word`, when close enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
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
        "print settings" => Command::PrintSettings,
        "print metrics" => Command::PrintMetrics,
        "validate config" => Command::ValidateConfig,
        "check" => Command::Check,
        _ => {
            let hint = match did_you_mean(&joined, ACTION_SPELLINGS.iter().copied()) {
                Some(close) => format!("did you mean '{close}'? "),
                None => String::new(),
            };
            return Err(Error::Usage(format!(
                "unknown action '{joined}' ({hint}see arraysync --help for the list)"
            )));
        }
    };
    Ok(command)
}

/// Entry point of `arraysync`.
pub fn arraysync_main() -> i32 {
    crate::complete::answer::<ArraysyncArgs>("arraysync");
    timed(|| {
        let args = match parse_args::<ArraysyncArgs>("arraysync") {
            Ok(args) => args,
            Err(code) => return code,
        };
        let command = match parse_action(&args.action) {
            Ok(c) => c,
            Err(e) => return report("arraysync", &e),
        };
        let program = Program {
            name: "arraysync",
            common: &args.common,
            format: args.format,
            textfile: args.textfile.clone(),
        };
        program.run(command)
    })
}

/// Entry point of `syncresync`.
pub fn syncresync_main() -> i32 {
    crate::complete::answer::<SyncresyncArgs>("syncresync");
    timed(|| {
        let args = match parse_args::<SyncresyncArgs>("syncresync") {
            Ok(args) => args,
            Err(code) => return code,
        };
        let program = Program {
            name: "syncresync",
            common: &args.common,
            format: Format::Text,
            textfile: None,
        };
        program.run(Command::Act(Action::Resync))
    })
}

/// Parses the command line; on an error prints it prefixed by the program name (with a
/// hint for the usual mistakes) and returns the exit code. Help and version go to stdout.
fn parse_args<T: Parser>(program: &str) -> Result<T, i32> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    T::try_parse_from(&argv).map_err(|e| {
        use clap::error::ErrorKind;
        if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
            let _ = e.print();
            return 0;
        }
        if argv.iter().skip(1).any(|a| a == "--json" || a == "-json") {
            eprintln!("{program}: unknown option --json: use --format json");
            return 2;
        }
        let rendered = e.render().to_string();
        let text = rendered.trim_start_matches("error: ");
        eprint!("{program}: {text}");
        2
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
            "arraysync timing: wall_ms={:.3} vendor_ms={:.3} own_ms={:.3} cpu_ms={:.3}",
            wall.as_secs_f64() * 1000.0,
            vendor.as_secs_f64() * 1000.0,
            wall.saturating_sub(vendor).as_secs_f64() * 1000.0,
            arraysync_core::timing::process_cpu_time().as_secs_f64() * 1000.0
        );
    }
    code
}

/// Prints an error once and returns its exit code.
fn report(program: &str, error: &Error) -> i32 {
    eprintln!("{program}: {error}");
    error.exit_code()
}

/// What the user meets first deserves a next step: the configured services when a name
/// does not match, the template when auth.conf is missing.
fn hint(error: &Error, paths: &Paths) -> Option<String> {
    let text = error.to_string();
    if let Some(rest) = text.split("service '").nth(1) {
        if text.contains("' not found") {
            let name = rest.split('\'').next().unwrap_or_default();
            let configured = list_services(paths.etc());
            if configured.is_empty() {
                return Some(format!(
                    "no service is configured in {}",
                    paths.etc().display()
                ));
            }
            let close = did_you_mean(name, configured.iter().map(String::as_str))
                .map(|c| format!("did you mean '{c}'? "))
                .unwrap_or_default();
            return Some(format!(
                "{close}configured services: {}",
                configured.join(", ")
            ));
        }
    }
    let auth = paths.auth_conf();
    if text.contains(&auth.display().to_string()) && text.contains("does not exist") {
        return Some(format!(
            "create it from the template: install -m 600 etc-templates/auth.conf {} \
             (one section per array: type, hmc1, hmc2, username)",
            auth.display()
        ));
    }
    None
}

/// One run of a front end.
struct Program<'a> {
    name: &'static str,
    common: &'a Common,
    format: Format,
    textfile: Option<PathBuf>,
}

impl Program<'_> {
    fn report(&self, paths: &Paths, error: &Error) -> i32 {
        let code = report(self.name, error);
        if let Some(hint) = hint(error, paths) {
            eprintln!("{}: hint: {hint}", self.name);
        }
        code
    }

    fn run(&self, command: Command) -> i32 {
        let common = self.common;
        let paths = Paths::from_env(&PathOverrides {
            etc: common.etc.clone(),
            var: common.var.clone(),
        });
        let node = match Settings::load(&paths) {
            Ok(s) => s,
            Err(e) if command == Command::Check => {
                return output::check_unknown(&e.to_string(), self.format)
            }
            Err(e) => return self.report(&paths, &e),
        };
        log::init(
            self.name,
            LogOptions {
                stderr: log::stderr_level(common.debug, common.quiet, node.stderr_level()),
                file: if common.debug {
                    Level::Debug
                } else {
                    node.file_level()
                },
                syslog: node.logs_to_syslog(),
            },
        );
        settings::install(node.clone());
        if command == Command::PrintSettings {
            return output::print_settings(&node, self.format);
        }
        // ACM replication pairs are node-wide: in `--all print metrics` only.
        let acm_metrics = if command == Command::PrintMetrics && common.all {
            match arraysync_acm::metrics::pair_metrics(&paths) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("{}: {}", self.name, e.line());
                    return e.code.max(1);
                }
            }
        } else {
            None
        };
        let setup = self
            .services(&paths, acm_metrics.is_some())
            .and_then(|names| {
                let waitlock = match &common.waitlock {
                    Some(text) => parse_duration(text, Unit::Seconds)
                        .map_err(|e| Error::Usage(format!("--waitlock: {e}")))?,
                    None => node.waitlock(),
                };
                Ok((names, waitlock))
            });
        let (names, waitlock) = match setup {
            Ok(v) => v,
            Err(e) if command == Command::Check => {
                return output::check_unknown(&e.to_string(), self.format)
            }
            Err(e) => return self.report(&paths, &e),
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
                    .map(|name| self.act(&paths, &node, &registry, name, action, &opts))
                    .max()
                    .unwrap_or(0)
            }
            Command::PrintStatus | Command::Check | Command::PrintMetrics => {
                let reports = names.iter().map(|name| {
                    let service = Service::load(&paths, &registry, name)?;
                    warn_all(self.name, &service.warnings);
                    let report =
                        service.status(&paths, &common.rids, &stderr_logger(name, common.debug))?;
                    Ok((service, report))
                });
                let reports: Result<Vec<_>, Error> = reports.collect();
                match (command, reports) {
                    (Command::Check, Ok(reports)) => output::check(&reports, self.format),
                    (Command::Check, Err(e)) => output::check_unknown(&e.to_string(), self.format),
                    (Command::PrintMetrics, Ok(reports)) => {
                        self.metrics(&paths, &node, &reports, acm_metrics.as_deref())
                    }
                    (_, Ok(reports)) => {
                        let reports: Vec<_> = reports.into_iter().map(|(_, r)| r).collect();
                        output::print_status(&reports, self.format)
                    }
                    (_, Err(e)) => self.report(&paths, &e),
                }
            }
            Command::PrintConfig | Command::ValidateConfig => {
                let mut code = 0;
                let mut loaded = Vec::new();
                for name in &names {
                    match Service::load(&paths, &registry, name) {
                        Ok(service) => {
                            warn_all(self.name, &service.warnings);
                            loaded.push(service);
                        }
                        Err(e) => code = code.max(self.report(&paths, &e)),
                    }
                }
                if command == Command::PrintConfig {
                    output::print_config(&loaded, self.format);
                } else {
                    output::print_validation(&loaded, self.format);
                }
                code
            }
            Command::PrintSettings => 0,
        }
    }

    /// The services named on the command line, or every configured one with `--all`
    /// (none is fine when `none_ok`: metrics of a node with ACM pairs only).
    fn services(&self, paths: &Paths, none_ok: bool) -> Result<Vec<String>, Error> {
        let common = self.common;
        if common.all {
            let all = list_services(paths.etc());
            if all.is_empty() && !none_ok {
                return Err(Error::Usage(format!(
                    "--all: no service configured in {}",
                    paths.etc().display()
                )));
            }
            return Ok(all);
        }
        if common.services.is_empty() {
            let configured = list_services(paths.etc());
            let list = if configured.is_empty() {
                format!("none configured in {}", paths.etc().display())
            } else {
                format!("configured: {}", configured.join(", "))
            };
            return Err(Error::Usage(format!(
                "no service given: use -s SVC[,SVC] or --all ({list})"
            )));
        }
        Ok(common.services.clone())
    }

    /// `print metrics`: to stdout, or one `arraysync_<svc>.prom` per service in the
    /// textfile directory.
    fn metrics(
        &self,
        paths: &Paths,
        node: &Settings,
        reports: &[(Service, ServiceReport)],
        acm: Option<&str>,
    ) -> i32 {
        let render = |pairs: &[(Service, ServiceReport)]| {
            let plain: Vec<ServiceReport> = pairs.iter().map(|(_, r)| r.clone()).collect();
            arraysync_core::metrics::render(
                &plain,
                |service, rid| metrics_extra(paths, pairs, service, rid),
                arraysync_core::clock::now(),
            )
        };
        let dir = match &self.textfile {
            None => {
                let text = format!("{}{}", render(reports), acm.unwrap_or_default());
                if !text.is_empty() {
                    let text = text.trim_end_matches('\n');
                    crate::output::write_line(format_args!("{text}"));
                }
                return 0;
            }
            Some(dir) if dir.as_os_str().is_empty() => {
                if node.metrics.textfile_dir.is_empty() {
                    return self.report(
                        paths,
                        &Error::Usage(
                            "--textfile without DIR needs metrics.textfile_dir in the node settings"
                                .into(),
                        ),
                    );
                }
                PathBuf::from(&node.metrics.textfile_dir)
            }
            Some(dir) => dir.clone(),
        };
        for pair in reports {
            let text = render(std::slice::from_ref(pair));
            let name = format!("arraysync_{}.prom", pair.1.service);
            if let Err(e) = arraysync_core::metrics::write_textfile(&dir, &name, &text) {
                return self.report(paths, &e);
            }
        }
        if let Some(text) = acm {
            if let Err(e) =
                arraysync_core::metrics::write_textfile(&dir, "arraysync_acm.prom", text)
            {
                return self.report(paths, &e);
            }
        }
        0
    }

    /// Runs one action on one service: configuration errors are printed (exit 2); action
    /// errors are logged to stderr and the service log (exit 1).
    fn act(
        &self,
        paths: &Paths,
        node: &Settings,
        registry: &arraysync_core::Registry,
        name: &str,
        action: Action,
        opts: &ActionOptions,
    ) -> i32 {
        let service = match Service::load(paths, registry, name) {
            Ok(s) => s,
            Err(e) => return self.report(paths, &e),
        };
        warn_all(self.name, &service.warnings);
        let log_file = paths.log_dir().join(format!("{name}.log"));
        let file = node.logs_to_file().then_some(log_file.as_path());
        let log = match Logger::open(name, file, Level::Debug) {
            Ok(log) => log,
            Err(e) => return self.report(paths, &Error::io(&log_file, e)),
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
                self.report(paths, &e)
            }
            Err(e) => {
                log.error(&format!("{action} failed: {e}"));
                e.exit_code()
            }
        }
    }
}

fn metrics_extra(
    paths: &Paths,
    pairs: &[(Service, ServiceReport)],
    service: &str,
    rid: &str,
) -> arraysync_core::metrics::ResourceExtra {
    let sync_max_delay = pairs
        .iter()
        .filter(|(s, _)| s.name() == service)
        .flat_map(|(s, _)| &s.resources)
        .find(|l| l.common.rid == rid)
        .map(|l| l.common.sync_max_delay)
        .unwrap_or_default();
    arraysync_core::metrics::ResourceExtra {
        sync_max_delay,
        last_action: arraysync_core::metrics::LastAction::load(paths, service, rid),
    }
}

fn warn_all(program: &str, warnings: &[String]) {
    for warning in warnings {
        eprintln!("{program}: warning: {warning}");
    }
}

fn stderr_logger(name: &str, debug: bool) -> Logger {
    Logger::stderr_only(name, if debug { Level::Debug } else { Level::Error })
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
        assert_eq!(
            parse_action(&words("print metrics")).ok(),
            Some(Command::PrintMetrics)
        );
        assert_eq!(
            parse_action(&words("print settings")).ok(),
            Some(Command::PrintSettings)
        );
    }

    #[test]
    fn typos_get_the_closest_spelling_and_strangers_nothing() {
        assert_eq!(
            did_you_mean("sync resyn", ACTION_SPELLINGS.iter().copied()),
            Some("sync resync")
        );
        assert_eq!(
            did_you_mean("prnt status", ACTION_SPELLINGS.iter().copied()),
            Some("print status")
        );
        assert_eq!(
            did_you_mean("iiststibmd", ["iiststibmds", "iiststnec02", "aastmphpux"]),
            Some("iiststibmds")
        );
        assert_eq!(did_you_mean("zzz", ["iiststibmds", "aastmphpux"]), None);
        let err = parse_action(&words("sync resyn")).unwrap_err().to_string();
        assert!(err.contains("did you mean 'sync resync'?"), "{err}");
    }
}
