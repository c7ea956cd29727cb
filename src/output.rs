//! Human and JSON renderings of status, config and validation, and the monitoring check.

use arraysync_core::duration::format_duration;
use arraysync_core::resource::State;
use arraysync_core::service::{Service, ServiceReport};
use serde_json::json;

/// Where stdout writes go: a closed pipe (`arraysync ... | head`) ends the output quietly
/// and the command keeps its exit status; any other write error (a full disk) is kept for
/// [`stdout_status`] to report. Never a panic (`println!` panics on both).
static STDOUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

#[doc(hidden)]
pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let Ok(mut failed) = STDOUT_ERROR.lock() else {
        return;
    };
    if failed.is_some() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        *failed = Some(e);
    }
}

/// `println!` without the panic: see [`write_line`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// Flushes stdout and folds its fate into the exit code: a closed reader changes nothing,
/// another write error is reported and makes the run fail.
pub fn stdout_status(program: &str, code: i32) -> i32 {
    use std::io::Write;
    let flushed = std::io::stdout().lock().flush();
    let Ok(mut failed) = STDOUT_ERROR.lock() else {
        return code;
    };
    match failed.take().map_or(flushed, Err) {
        Ok(()) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "{program}: cannot write to standard output: {e}"
            );
            code.max(1)
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Nagios plugin exit codes.
pub const CHECK_OK: i32 = 0;
pub const CHECK_WARNING: i32 = 1;
pub const CHECK_CRITICAL: i32 = 2;
pub const CHECK_UNKNOWN: i32 = 3;

fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => outln!("{text}"),
        Err(e) => eprintln!("arraysync: cannot encode JSON: {e}"),
    }
}

/// `print status`: exit 0 whatever the states (use `check` for monitoring).
pub fn print_status(reports: &[ServiceReport], format: Format) -> i32 {
    if format == Format::Json {
        print_json(&json!(reports));
        return 0;
    }
    for report in reports {
        outln!("{:<32} {}", report.service, report.state);
        for r in &report.resources {
            let last = r
                .status
                .last_sync
                .map(|d| format!("last sync {}", d.format("%Y-%m-%d %H:%M:%S")))
                .unwrap_or_default();
            outln!(
                "  {:<10} {:<5} {:<11} {} {}",
                r.rid,
                r.status.state,
                r.rtype,
                r.label,
                last
            );
            for reason in &r.status.reasons {
                outln!("  {:<10} warn: {reason}", "");
            }
            for info in &r.status.info {
                outln!("  {:<10} info: {info}", "");
            }
        }
    }
    0
}

/// `check`: one summary line, Nagios exit code.
pub fn check(reports: &[ServiceReport]) -> i32 {
    let unknown = reports
        .iter()
        .flat_map(|r| &r.resources)
        .any(|r| r.query_error.is_some());
    let worst = reports
        .iter()
        .map(|r| r.state)
        .max()
        .unwrap_or(State::NotApplicable);
    let (word, code) = match (unknown, worst) {
        (true, _) => ("UNKNOWN", CHECK_UNKNOWN),
        (false, State::Down) => ("CRITICAL", CHECK_CRITICAL),
        (false, State::Warn) => ("WARNING", CHECK_WARNING),
        (false, _) => ("OK", CHECK_OK),
    };
    let parts: Vec<String> = reports
        .iter()
        .flat_map(|svc| {
            svc.resources.iter().map(move |r| {
                let detail = if r.status.reasons.is_empty() {
                    r.status
                        .last_sync
                        .map(|d| format!("last sync {}", d.format("%Y-%m-%d %H:%M:%S")))
                        .unwrap_or_default()
                } else {
                    r.status.reasons.join(", ")
                };
                format!("{} {} {} ({detail})", svc.service, r.rid, r.status.state)
            })
        })
        .collect();
    outln!("ARRAYSYNC {word} - {}", parts.join("; "));
    code
}

/// `check` when the configuration cannot even be read.
pub fn check_unknown(message: &str) -> i32 {
    outln!(
        "ARRAYSYNC UNKNOWN - {}",
        message.lines().next().unwrap_or(message)
    );
    CHECK_UNKNOWN
}

fn resource_json(service: &Service) -> serde_json::Value {
    let resources: Vec<serde_json::Value> = service
        .resources
        .iter()
        .map(|l| {
            let settings: serde_json::Map<String, serde_json::Value> = l
                .resource
                .settings()
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            json!({
                "rid": l.common.rid,
                "type": l.common.rtype,
                "label": l.resource.label(),
                "sync_max_delay": format_duration(l.common.sync_max_delay),
                "sync_min_delay": format_duration(l.common.sync_min_delay),
                "timeout": format_duration(l.common.timeout),
                "disabled": l.common.disabled,
                "settings": settings,
            })
        })
        .collect();
    json!({"service": service.name(), "file": service.config.path(), "resources": resources, "warnings": service.warnings})
}

/// `print config`: the effective settings of every resource.
pub fn print_config(services: &[Service], format: Format) {
    if format == Format::Json {
        print_json(&json!(services
            .iter()
            .map(resource_json)
            .collect::<Vec<_>>()));
        return;
    }
    for service in services {
        outln!("# {} ({})", service.name(), service.config.path().display());
        for l in &service.resources {
            outln!("[{}]", l.common.rid);
            outln!("type = {}", l.common.rtype);
            for (key, value) in l.resource.settings() {
                outln!("{key} = {value}");
            }
            outln!(
                "sync_max_delay = {}",
                format_duration(l.common.sync_max_delay)
            );
            outln!(
                "sync_min_delay = {}",
                format_duration(l.common.sync_min_delay)
            );
            outln!("timeout = {}", format_duration(l.common.timeout));
            if l.common.disabled {
                outln!("disable = true");
            }
            outln!("");
        }
    }
}

/// `validate config`: one line per valid service (errors were printed by the loader).
pub fn print_validation(services: &[Service], format: Format) {
    if format == Format::Json {
        let list: Vec<serde_json::Value> = services
            .iter()
            .map(|s| json!({"service": s.name(), "valid": true, "resources": s.resources.len(), "warnings": s.warnings}))
            .collect();
        print_json(&json!(list));
        return;
    }
    for service in services {
        outln!(
            "{}: configuration ok ({} sync resource(s), {} warning(s))",
            service.name(),
            service.resources.len(),
            service.warnings.len()
        );
    }
}
