//! The call log (`calls.jsonl`): one JSON line per personality invocation.
//!
//! `{"ts": RFC3339, "prog": "dscli", "argv": [...], "commands": [...], "exit": N,
//! "duration_ms": N}`. `exit` is `null` for an invocation that was made to hang (the line is
//! written before it starts hanging, so hung calls are counted too). Secrets (dscli `-passwd`,
//! `-pw`) are masked by the personality before they reach the log.

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const CALLS_FILE: &str = "calls.jsonl";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallRecord {
    pub ts: String,
    pub prog: String,
    pub argv: Vec<String>,
    #[serde(default)]
    pub commands: Vec<String>,
    pub exit: Option<i32>,
    pub duration_ms: u64,
}

impl CallRecord {
    /// Whether one of the commands is `name` (its first word, case-insensitive).
    pub fn has_command(&self, name: &str) -> bool {
        self.commands.iter().any(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(name))
        })
    }
}

pub fn append(store: &Store, rec: &CallRecord) -> Result<(), StoreError> {
    let line = serde_json::to_string(rec).map_err(|source| StoreError::Corrupt {
        path: store.path(CALLS_FILE),
        source,
    })?;
    store.append_line(CALLS_FILE, &line)
}

/// All records; lines that do not parse are skipped (a crash could leave a partial line).
pub fn read(store: &Store) -> Result<Vec<CallRecord>, StoreError> {
    let _guard = store.lock(CALLS_FILE)?;
    let path = store.path(CALLS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(StoreError::Io { path, source }),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

pub fn clear(store: &Store) -> Result<(), StoreError> {
    let _guard = store.lock(CALLS_FILE)?;
    crate::store::write_atomic(&store.path(CALLS_FILE), b"")
}

/// Number of invocations, optionally of one program and/or containing one command.
pub fn count(records: &[CallRecord], prog: Option<&str>, command: Option<&str>) -> usize {
    records
        .iter()
        .filter(|r| prog.is_none_or_eq(&r.prog))
        .filter(|r| command.is_none_or_has(r))
        .count()
}

trait OptFilter {
    fn is_none_or_eq(&self, v: &str) -> bool;
    fn is_none_or_has(&self, r: &CallRecord) -> bool;
}

impl OptFilter for Option<&str> {
    fn is_none_or_eq(&self, v: &str) -> bool {
        match self {
            None => true,
            Some(p) => *p == v,
        }
    }
    fn is_none_or_has(&self, r: &CallRecord) -> bool {
        match self {
            None => true,
            Some(c) => r.has_command(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(prog: &str, cmds: &[&str]) -> CallRecord {
        CallRecord {
            ts: "2024-01-01T00:00:00Z".into(),
            prog: prog.into(),
            argv: vec![prog.into()],
            commands: cmds.iter().map(|s| s.to_string()).collect(),
            exit: Some(0),
            duration_ms: 1,
        }
    }

    #[test]
    fn append_read_count_clear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        append(&store, &rec("dscli", &["lsflash -l 0001:0002"])).expect("append");
        append(
            &store,
            &rec("dscli", &["setenv -banner off", "resyncflash 0001:0002"]),
        )
        .expect("append");
        append(&store, &rec("symclone", &[])).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(store.path(CALLS_FILE))
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"{partial"))
            .expect("garble");
        let all = read(&store).expect("read");
        assert_eq!(all.len(), 3);
        assert_eq!(count(&all, None, None), 3);
        assert_eq!(count(&all, Some("dscli"), None), 2);
        assert_eq!(count(&all, Some("dscli"), Some("resyncflash")), 1);
        assert_eq!(count(&all, None, Some("RESYNCFLASH")), 1);
        clear(&store).expect("clear");
        assert!(read(&store).expect("read").is_empty());
    }
}
