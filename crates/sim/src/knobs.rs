//! Framework knobs (`knobs.json`): per-personality start-up latency.
//!
//! `arraysim latency MS` sets the default for every personality, `--prog dscli` one
//! personality (which wins over the default). Copy rates are per array and live in the array's
//! own state file (see each vendor module).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const KNOBS_FILE: &str = "knobs.json";
const ANY: &str = "*";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Knobs {
    /// Milliseconds slept at each invocation, by program name (`*` = default).
    #[serde(default)]
    pub latency_ms: BTreeMap<String, u64>,
}

impl Knobs {
    pub fn latency_for(&self, prog: &str) -> u64 {
        self.latency_ms
            .get(prog)
            .or_else(|| self.latency_ms.get(ANY))
            .copied()
            .unwrap_or(0)
    }
}

pub fn load(store: &Store) -> Result<Knobs, StoreError> {
    if !store.path(KNOBS_FILE).exists() {
        return Ok(Knobs::default());
    }
    store.load(KNOBS_FILE)
}

pub fn set_latency(store: &Store, prog: Option<&str>, ms: u64) -> Result<(), StoreError> {
    store.update(KNOBS_FILE, |k: &mut Knobs| {
        k.latency_ms.insert(prog.unwrap_or(ANY).to_string(), ms);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_prog_wins_over_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        assert_eq!(load(&store).expect("load").latency_for("dscli"), 0);
        set_latency(&store, None, 10).expect("set");
        set_latency(&store, Some("dscli"), 500).expect("set");
        let k = load(&store).expect("load");
        assert_eq!(k.latency_for("dscli"), 500);
        assert_eq!(k.latency_for("symclone"), 10);
    }
}
