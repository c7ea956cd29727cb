//! Human and JSON renderings of status, config and validation, and the monitoring check.

use arraysync_core::duration::format_duration;
use arraysync_core::resource::State;
use arraysync_core::service::{Service, ServiceReport};
use arraysync_core::settings::Settings;
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

/// `check`: one summary line with performance data (Nagios plugin guidelines), or JSON;
/// the Nagios exit code either way.
pub fn check(reports: &[(Service, ServiceReport)], format: Format) -> i32 {
    let now = arraysync_core::clock::now();
    let unknown = reports
        .iter()
        .flat_map(|(_, r)| &r.resources)
        .any(|r| r.query_error.is_some());
    let worst = reports
        .iter()
        .map(|(_, r)| r.state)
        .max()
        .unwrap_or(State::NotApplicable);
    let (word, code) = match (unknown, worst) {
        (true, _) => ("UNKNOWN", CHECK_UNKNOWN),
        (false, State::Down) => ("CRITICAL", CHECK_CRITICAL),
        (false, State::Warn) => ("WARNING", CHECK_WARNING),
        (false, _) => ("OK", CHECK_OK),
    };
    let rows: Vec<CheckRow> = reports
        .iter()
        .flat_map(|(service, svc)| {
            svc.resources.iter().map(move |r| CheckRow {
                service: svc.service.clone(),
                rid: r.rid.clone(),
                rtype: r.rtype.clone(),
                state: r.status.state,
                reasons: r.status.reasons.clone(),
                last_sync: r.status.last_sync,
                age: r
                    .status
                    .last_sync
                    .map(|d| now.signed_duration_since(d).num_seconds().max(0)),
                max_delay: service
                    .resources
                    .iter()
                    .find(|l| l.common.rid == r.rid)
                    .map(|l| l.common.sync_max_delay.as_secs()),
                query_error: r.query_error.clone(),
            })
        })
        .collect();
    let parts: Vec<String> = rows.iter().map(CheckRow::summary).collect();
    let summary = format!("ARRAYSYNC {word} - {}", parts.join("; "));
    if format == Format::Json {
        print_json(&json!({
            "status": word,
            "code": code,
            "summary": summary,
            "resources": rows.iter().map(CheckRow::json).collect::<Vec<_>>(),
        }));
        return code;
    }
    let perfdata: Vec<String> = rows.iter().map(CheckRow::perfdata).collect();
    if perfdata.is_empty() {
        outln!("{summary}");
    } else {
        outln!("{summary} | {}", perfdata.join(" "));
    }
    code
}

/// One resource in the check.
struct CheckRow {
    service: String,
    rid: String,
    rtype: String,
    state: State,
    reasons: Vec<String>,
    last_sync: Option<chrono::DateTime<chrono::Local>>,
    /// Seconds since the last sync.
    age: Option<i64>,
    /// sync_max_delay in seconds.
    max_delay: Option<u64>,
    query_error: Option<String>,
}

impl CheckRow {
    fn summary(&self) -> String {
        let detail = if self.reasons.is_empty() {
            self.last_sync
                .map(|d| format!("last sync {}", d.format("%Y-%m-%d %H:%M:%S")))
                .unwrap_or_default()
        } else {
            self.reasons.join(", ")
        };
        format!("{} {} {} ({detail})", self.service, self.rid, self.state)
    }

    /// `'svc sync#1 age'=90s;3600;;0;` — the age against sync_max_delay as the warning
    /// threshold; `U` when the array gave no last sync time.
    fn perfdata(&self) -> String {
        let label = format!("{} {} age", self.service, self.rid).replace(['\'', '='], "_");
        let value = self
            .age
            .map(|a| format!("{a}s"))
            .unwrap_or_else(|| "U".into());
        let warn = self.max_delay.map(|d| d.to_string()).unwrap_or_default();
        format!("'{label}'={value};{warn};;0;")
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "service": self.service,
            "rid": self.rid,
            "type": self.rtype,
            "status": self.state,
            "reasons": self.reasons,
            "last_sync": self.last_sync,
            "age_seconds": self.age,
            "sync_max_delay_seconds": self.max_delay,
            "query_error": self.query_error,
        })
    }
}

/// `print settings`: the effective node settings, every key.
pub fn print_settings(settings: &Settings, format: Format) -> i32 {
    if format == Format::Json {
        print_json(&json!(settings));
    } else {
        outln!("{}", settings.to_toml().trim_end_matches('\n'));
    }
    0
}

/// `check` when the configuration cannot even be read.
pub fn check_unknown(message: &str, format: Format) -> i32 {
    let first = message.lines().next().unwrap_or(message);
    if format == Format::Json {
        print_json(&json!({
            "status": "UNKNOWN",
            "code": CHECK_UNKNOWN,
            "summary": format!("ARRAYSYNC UNKNOWN - {first}"),
            "resources": [],
        }));
    } else {
        outln!("ARRAYSYNC UNKNOWN - {first}");
    }
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
