//! Prometheus metrics of the ACM replication pairs, from the same table as `swsrpstat
//! -Xall`: each pair's status, copy progress and last copy (make) time. Used by
//! `arraysync --all print metrics` on a node with an ACM replication repository.

use crate::messages::AcmError;
use crate::output::Table;
use crate::swsrpstat::{status_table, Columns};
use arraysync_core::log::{Level, Logger};
use arraysync_core::metrics::Family;
use arraysync_core::Paths;
use arraysync_eternus::copy::ViewOptions;
use arraysync_eternus::exclusion::{self, Class};
use arraysync_eternus::replication::Engine;
use arraysync_eternus::repo::Repository;
use arraysync_eternus::transport::Options;
use chrono::{Local, NaiveDateTime, TimeZone};

/// The metrics of every replication pair, or `None` when this node has no ACM
/// replication repository (nothing is created).
pub fn pair_metrics(paths: &Paths) -> Result<Option<String>, AcmError> {
    if !Repository::path(paths).exists() {
        return Ok(None);
    }
    let _lock = exclusion::acquire(paths, "swsrpstat", Class::Display, &[])?;
    let log = Logger::stderr_only("swsrpstat", Level::Error);
    let mut engine = Engine::open(paths, &log, Options::default())?;
    let all = Columns {
        long: true,
        da: true,
        date: true,
    };
    let table = status_table(&mut engine, None, None, all, ViewOptions::default());
    engine.close();
    Ok(Some(render(&table?)))
}

/// The families of a `swsrpstat -Xall` table.
pub fn render(table: &Table) -> String {
    let mut status = Family::new(
        "arraysync_acm_pair_status",
        "ACM replication pair status as swsrpstat shows it (label status): always 1.",
    );
    let mut progress = Family::new(
        "arraysync_acm_pair_copy_progress_ratio",
        "Copy progress of the pair (swsrpstat Execute column), 0 to 1.",
    );
    let mut made = Family::new(
        "arraysync_acm_pair_last_copy_timestamp_seconds",
        "Time of the pair's last copy (swsrpstat Date column: start of the session or of the replica's point in time).",
    );
    let keys = table.keys();
    let column = |row: &[String], name: &str| {
        keys.iter()
            .position(|k| k == name)
            .and_then(|i| row.get(i))
            .cloned()
            .unwrap_or_default()
    };
    for row in &table.rows {
        let (server, original, replica, direction) = (
            column(row, "Server"),
            column(row, "Original-Volume"),
            column(row, "Replica-Volume"),
            column(row, "Direction"),
        );
        let base = [
            ("server", server.as_str()),
            ("original", original.as_str()),
            ("replica", replica.as_str()),
        ];
        let state = column(row, "Status");
        let mut labels = base.to_vec();
        labels.push(("direction", direction.as_str()));
        labels.push(("status", state.as_str()));
        status.push(&labels, 1.0);
        if let Some(percent) = column(row, "Execute")
            .strip_suffix('%')
            .and_then(|p| p.parse::<f64>().ok())
        {
            progress.push(&base, percent / 100.0);
        }
        if let Some(time) = NaiveDateTime::parse_from_str(&column(row, "Date"), "%Y/%m/%d %H:%M:%S")
            .ok()
            .and_then(|t| Local.from_local_datetime(&t).earliest())
        {
            made.push(&base, time.timestamp() as f64);
        }
    }
    let mut out = String::new();
    for family in [&status, &progress, &made] {
        family.render(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_status_progress_and_copy_time() {
        let mut table = Table::new(vec![
            "Server",
            "Original-Volume",
            "Replica-Volume",
            "Direction",
            "Status",
            "Execute",
            "Date",
        ]);
        for (status, execute, date) in [
            ("snap", "45%", "2026/11/28 20:23:02"),
            ("----", "----", "----/--/-- --:--:--"),
        ] {
            table.push(
                [
                    "SV1",
                    "/dev/a@SV1",
                    "/dev/b@SV1",
                    "regular",
                    status,
                    execute,
                    date,
                ]
                .map(String::from)
                .to_vec(),
            );
        }
        let text = render(&table);
        assert!(text.contains("arraysync_acm_pair_status{server=\"SV1\",original=\"/dev/a@SV1\",replica=\"/dev/b@SV1\",direction=\"regular\",status=\"snap\"} 1\n"), "{text}");
        assert!(text.contains("arraysync_acm_pair_copy_progress_ratio{server=\"SV1\",original=\"/dev/a@SV1\",replica=\"/dev/b@SV1\"} 0.45\n"), "{text}");
        assert_eq!(
            text.matches("arraysync_acm_pair_last_copy_timestamp_seconds{")
                .count(),
            1,
            "{text}"
        );
        assert_eq!(
            text.matches("arraysync_acm_pair_status{").count(),
            2,
            "{text}"
        );
    }
}
