//! Metrics in the Prometheus text exposition format (version 0.0.4), for
//! `arraysync print metrics` and node_exporter's textfile collector.
//!
//! Each resource's status comes from the arrays (the status query); the last action's
//! duration, outcome and vendor calls come from a small record the service layer writes
//! after each action, `<var>/state/<svc>/<rid>.last_action.json`.

use crate::error::Error;
use crate::paths::Paths;
use crate::resource::State;
use crate::service::ServiceReport;
use crate::state::{write_file, Durability};
use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The last action run on a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastAction {
    /// `sync_resync`, `sync_break`, ...
    pub action: String,
    pub started: DateTime<Local>,
    pub duration_seconds: f64,
    pub success: bool,
    pub vendor_calls: u64,
}

impl LastAction {
    /// The record of an action that started at `started` (wall clock, for the record) and
    /// has run for `elapsed` (measured on the monotonic clock, which no clock step or
    /// emulated clock advance stretches).
    pub fn finished(
        action: &str,
        started: DateTime<Local>,
        elapsed: Duration,
        success: bool,
        vendor_calls: u64,
    ) -> LastAction {
        LastAction {
            action: action.to_string(),
            started,
            duration_seconds: elapsed.as_millis() as f64 / 1000.0,
            success,
            vendor_calls,
        }
    }

    fn path(paths: &Paths, service: &str, rid: &str) -> PathBuf {
        paths
            .service_state_dir(service)
            .join(format!("{}.last_action.json", rid.replace('#', "_")))
    }

    pub fn save(&self, paths: &Paths, service: &str, rid: &str) -> Result<(), Error> {
        let path = Self::path(paths, service, rid);
        let bytes = serde_json::to_vec(self).map_err(|e| {
            Error::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })?;
        write_file(&path, &bytes, Durability::Atomic)
    }

    /// The record, if any (an unreadable one counts as none: metrics are advisory).
    pub fn load(paths: &Paths, service: &str, rid: &str) -> Option<LastAction> {
        let text = std::fs::read(Self::path(paths, service, rid)).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

/// One gauge family: `# HELP`, `# TYPE` and its samples.
pub struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<String>,
}

impl Family {
    pub fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        self.samples.push(format!(
            "{}{{{}}} {}",
            self.name,
            labels.join(","),
            format_value(value)
        ));
    }

    /// Appends the family to `out`; nothing when it has no sample.
    pub fn render(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for sample in &self.samples {
            out.push_str(sample);
            out.push('\n');
        }
    }
}

/// Label values escape backslash, double quote and newline.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

fn timestamp(time: DateTime<Local>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

/// What the metrics of one resource need beside its status.
pub struct ResourceExtra {
    pub sync_max_delay: Duration,
    pub last_action: Option<LastAction>,
}

/// Renders the metrics of `reports`; `extra(service, rid)` gives each resource's delay
/// bound and last action. `now` is the time ages are computed against.
pub fn render(
    reports: &[ServiceReport],
    extra: impl Fn(&str, &str) -> ResourceExtra,
    now: DateTime<Local>,
) -> String {
    let mut status = Family::new(
        "arraysync_resource_status",
        "Resource status computed from the array: 1 for the current status, 0 for the others.",
    );
    let mut query_ok = Family::new(
        "arraysync_resource_query_ok",
        "1 when the array answered the status query, 0 when it could not be queried.",
    );
    let mut last_sync = Family::new(
        "arraysync_resource_last_sync_timestamp_seconds",
        "Time of the last sync (copy point in time) as the array reports it.",
    );
    let mut age = Family::new(
        "arraysync_resource_last_sync_age_seconds",
        "Seconds since the last sync.",
    );
    let mut max_delay = Family::new(
        "arraysync_resource_sync_max_delay_seconds",
        "The resource's sync_max_delay: older syncs make it warn.",
    );
    let mut action_time = Family::new(
        "arraysync_resource_last_action_timestamp_seconds",
        "Start time of the last action run on the resource by arraysync.",
    );
    let mut duration = Family::new(
        "arraysync_resource_last_action_duration_seconds",
        "Duration of the last action run on the resource.",
    );
    let mut success = Family::new(
        "arraysync_resource_last_action_success",
        "1 when the last action succeeded, 0 when it failed.",
    );
    let mut calls = Family::new(
        "arraysync_resource_last_action_vendor_calls",
        "Vendor commands run by the last action.",
    );
    for report in reports {
        for r in &report.resources {
            let base = [
                ("service", report.service.as_str()),
                ("rid", r.rid.as_str()),
                ("type", r.rtype.as_str()),
            ];
            for state in [State::Up, State::Warn, State::Down, State::NotApplicable] {
                let name = state.to_string();
                let mut labels = base.to_vec();
                labels.push(("status", name.as_str()));
                status.push(&labels, f64::from(u8::from(r.status.state == state)));
            }
            query_ok.push(&base, f64::from(u8::from(r.query_error.is_none())));
            if let Some(last) = r.status.last_sync {
                last_sync.push(&base, timestamp(last));
                let seconds = now.signed_duration_since(last).num_milliseconds() as f64 / 1000.0;
                age.push(&base, seconds.max(0.0));
            }
            let extra = extra(&report.service, &r.rid);
            max_delay.push(&base, extra.sync_max_delay.as_secs() as f64);
            if let Some(last) = extra.last_action {
                let mut labels = base.to_vec();
                labels.push(("action", last.action.as_str()));
                action_time.push(&labels, timestamp(last.started));
                duration.push(&labels, last.duration_seconds);
                success.push(&labels, f64::from(u8::from(last.success)));
                calls.push(&labels, last.vendor_calls as f64);
            }
        }
    }
    let mut out = String::new();
    for family in [
        &status,
        &query_ok,
        &last_sync,
        &age,
        &max_delay,
        &action_time,
        &duration,
        &success,
        &calls,
    ] {
        family.render(&mut out);
    }
    out
}

/// Writes `text` to `<dir>/<name>` atomically (temp file and rename in the same
/// directory), so node_exporter never reads half a file. The directory must exist.
pub fn write_textfile(dir: &Path, name: &str, text: &str) -> Result<PathBuf, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--textfile {}: not a directory",
            dir.display()
        )));
    }
    let path = dir.join(name);
    write_file(&path, text.as_bytes(), Durability::Atomic)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Status;
    use crate::service::ResourceReport;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn families_have_help_type_and_one_hot_status() {
        let now = Local::now();
        let report = ServiceReport {
            service: "svc".into(),
            state: State::Warn,
            resources: vec![ResourceReport {
                rid: "sync#1".into(),
                rtype: "ibmdssnap".into(),
                label: "x".into(),
                status: Status {
                    state: State::Warn,
                    reasons: vec![],
                    info: vec![],
                    last_sync: Some(now - chrono::Duration::seconds(90)),
                },
                query_error: None,
            }],
        };
        let text = render(
            &[report],
            |_, _| ResourceExtra {
                sync_max_delay: Duration::from_secs(3600),
                last_action: Some(LastAction {
                    action: "sync_resync".into(),
                    started: now,
                    duration_seconds: 2.5,
                    success: true,
                    vendor_calls: 3,
                }),
            },
            now,
        );
        assert!(text.contains(
            "arraysync_resource_status{service=\"svc\",rid=\"sync#1\",type=\"ibmdssnap\",status=\"warn\"} 1\n"
        ), "{text}");
        assert!(text.contains(
            "arraysync_resource_last_sync_age_seconds{service=\"svc\",rid=\"sync#1\",type=\"ibmdssnap\"} 90\n"
        ), "{text}");
        assert!(text.contains("arraysync_resource_last_action_vendor_calls{service=\"svc\",rid=\"sync#1\",type=\"ibmdssnap\",action=\"sync_resync\"} 3\n"), "{text}");
        assert_eq!(text.matches("# TYPE ").count(), 9, "{text}");
    }
}
