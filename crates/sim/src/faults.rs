//! Fault rules (`faults.json`): make an invocation, a command or one pair fail, hang, or print
//! noise on stderr.
//!
//! A rule's scope follows from what it names:
//! - no `command`, no `pair`, no `kind`: the whole invocation (checked before any command runs);
//! - `command` only: every execution of that command;
//! - `pair` (optionally with `command`): that pair inside any (or that) command, so the other
//!   pairs of a batch still succeed;
//! - `kind` (personality specific, e.g. dscli `auth`, `hmc-unreachable` with optional `hmc`):
//!   interpreted by the personality at the matching step.
//!
//! Effects: `hang` sleeps until killed before answering; `stderr_noise` prints its text on stderr
//! and otherwise succeeds; `exit`/`message` make the scope fail with that message on stderr and
//! that exit code (a missing exit code is the personality's default, a missing message its
//! default text). `times` limits how many matches fire (default unlimited); each firing is
//! counted in `fired`.

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const FAULTS_FILE: &str = "faults.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultRule {
    pub id: u32,
    pub prog: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub hang: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_noise: Option<String>,
    /// How many matches may fire; `None` is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    #[serde(default)]
    pub fired: u32,
}

impl FaultRule {
    /// Whether the rule makes its scope fail (as opposed to only hanging or adding noise).
    pub fn fails(&self) -> bool {
        self.exit.is_some() || self.message.is_some()
    }

    fn exhausted(&self) -> bool {
        self.times.is_some_and(|t| self.fired >= t)
    }

    /// Does the rule apply to `scope` of program `prog`?
    pub fn matches(&self, prog: &str, scope: &Scope<'_>) -> bool {
        if self.prog != prog {
            return false;
        }
        let cmd_eq = |c: &str| match self.command.as_deref() {
            None => true,
            Some(rc) => rc.eq_ignore_ascii_case(c),
        };
        match scope {
            Scope::Invocation => {
                self.command.is_none() && self.pair.is_none() && self.kind.is_none()
            }
            Scope::Command(c) => {
                self.command.is_some() && cmd_eq(c) && self.pair.is_none() && self.kind.is_none()
            }
            Scope::Pair(c, p) => {
                self.kind.is_none()
                    && cmd_eq(c)
                    && self
                        .pair
                        .as_deref()
                        .is_some_and(|rp| rp.eq_ignore_ascii_case(p))
            }
            Scope::Kind(k, target) => {
                self.kind
                    .as_deref()
                    .is_some_and(|rk| rk.eq_ignore_ascii_case(k))
                    && match (&self.hmc, target) {
                        (None, _) => true,
                        (Some(h), Some(t)) => h.eq_ignore_ascii_case(t),
                        (Some(_), None) => false,
                    }
            }
        }
    }
}

/// What is being checked.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Invocation,
    Command(&'a str),
    /// (command, pair)
    Pair(&'a str, &'a str),
    /// (kind, target such as an HMC address)
    Kind(&'a str, Option<&'a str>),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaultSet {
    #[serde(default)]
    pub next_id: u32,
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultSet {
    /// Fire every live rule matching `scope`: count the firing and return copies.
    pub fn fire(&mut self, prog: &str, scope: &Scope<'_>) -> Vec<FaultRule> {
        let mut out = Vec::new();
        for r in &mut self.rules {
            if !r.exhausted() && r.matches(prog, scope) {
                r.fired = r.fired.saturating_add(1);
                out.push(r.clone());
            }
        }
        out
    }
}

pub fn add(store: &Store, mut rule: FaultRule) -> Result<FaultRule, StoreError> {
    store.update(FAULTS_FILE, |s: &mut FaultSet| {
        s.next_id = s.next_id.saturating_add(1);
        rule.id = s.next_id;
        rule.fired = 0;
        s.rules.push(rule.clone());
        Ok(rule)
    })
}

pub fn list(store: &Store) -> Result<Vec<FaultRule>, StoreError> {
    Ok(store.load::<FaultSet>(FAULTS_FILE)?.rules)
}

pub fn clear(store: &Store) -> Result<(), StoreError> {
    store.update(FAULTS_FILE, |s: &mut FaultSet| {
        s.rules.clear();
        Ok(())
    })
}

/// Fire the rules matching `scope` (read-modify-write under the lock). Cheap when there is no
/// faults file: nothing is written then.
pub fn fire(store: &Store, prog: &str, scope: &Scope<'_>) -> Result<Vec<FaultRule>, StoreError> {
    if !store.path(FAULTS_FILE).exists() {
        return Ok(Vec::new());
    }
    let _guard = store.lock(FAULTS_FILE)?;
    let Some(mut set) = store.read_json::<FaultSet>(FAULTS_FILE)? else {
        return Ok(Vec::new());
    };
    let fired = set.fire(prog, scope);
    // Only a firing changes the file (its counters): checks stay cheap in big batches.
    if !fired.is_empty() {
        store.write_json(FAULTS_FILE, &set)?;
    }
    Ok(fired)
}

/// One line per rule for `arraysim fault list`.
pub fn describe(r: &FaultRule) -> String {
    let mut parts = vec![format!("#{}", r.id), format!("prog={}", r.prog)];
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    };
    opt("kind", &r.kind);
    opt("hmc", &r.hmc);
    opt("command", &r.command);
    opt("pair", &r.pair);
    opt("message", &r.message.as_ref().map(|m| format!("{m:?}")));
    opt(
        "stderr-noise",
        &r.stderr_noise.as_ref().map(|m| format!("{m:?}")),
    );
    if let Some(e) = r.exit {
        parts.push(format!("exit={e}"));
    }
    if r.hang {
        parts.push("hang".into());
    }
    parts.push(match r.times {
        Some(t) => format!("fired={}/{t}", r.fired),
        None => format!("fired={}", r.fired),
    });
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> FaultRule {
        FaultRule {
            prog: "dscli".into(),
            ..Default::default()
        }
    }

    #[test]
    fn scopes() {
        let inv = rule();
        assert!(inv.matches("dscli", &Scope::Invocation));
        assert!(!inv.matches("dscli", &Scope::Command("lsflash")));
        assert!(!inv.matches("symclone", &Scope::Invocation));

        let cmd = FaultRule {
            command: Some("resyncflash".into()),
            ..rule()
        };
        assert!(cmd.matches("dscli", &Scope::Command("RESYNCFLASH")));
        assert!(!cmd.matches("dscli", &Scope::Command("mkflash")));
        assert!(!cmd.matches("dscli", &Scope::Invocation));
        assert!(!cmd.matches("dscli", &Scope::Pair("resyncflash", "0001:0002")));

        let pair = FaultRule {
            pair: Some("0101:0102".into()),
            ..rule()
        };
        assert!(pair.matches("dscli", &Scope::Pair("mkflash", "0101:0102")));
        assert!(!pair.matches("dscli", &Scope::Pair("mkflash", "0001:0002")));
        assert!(!pair.matches("dscli", &Scope::Command("mkflash")));
        let pair_cmd = FaultRule {
            command: Some("resyncflash".into()),
            ..pair.clone()
        };
        assert!(pair_cmd.matches("dscli", &Scope::Pair("resyncflash", "0101:0102")));
        assert!(!pair_cmd.matches("dscli", &Scope::Pair("mkflash", "0101:0102")));

        let hmc = FaultRule {
            kind: Some("hmc-unreachable".into()),
            hmc: Some("10.0.0.1".into()),
            ..rule()
        };
        assert!(hmc.matches("dscli", &Scope::Kind("hmc-unreachable", Some("10.0.0.1"))));
        assert!(!hmc.matches("dscli", &Scope::Kind("hmc-unreachable", Some("10.0.0.2"))));
        assert!(!hmc.matches("dscli", &Scope::Invocation));
        let any_hmc = FaultRule { hmc: None, ..hmc };
        assert!(any_hmc.matches("dscli", &Scope::Kind("hmc-unreachable", Some("x"))));
    }

    #[test]
    fn times_limit_firing() {
        let mut set = FaultSet {
            next_id: 1,
            rules: vec![FaultRule {
                command: Some("lsflash".into()),
                exit: Some(4),
                times: Some(2),
                ..rule()
            }],
        };
        let s = Scope::Command("lsflash");
        assert_eq!(set.fire("dscli", &s).len(), 1);
        assert_eq!(set.fire("dscli", &s).len(), 1);
        assert!(set.fire("dscli", &s).is_empty());
        assert_eq!(set.rules[0].fired, 2);
    }

    #[test]
    fn persisted_rules_fire_once_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        assert!(fire(&store, "dscli", &Scope::Invocation)
            .expect("fire")
            .is_empty());
        let r = add(
            &store,
            FaultRule {
                times: Some(1),
                stderr_noise: Some("noise".into()),
                ..rule()
            },
        )
        .expect("add");
        assert_eq!(r.id, 1);
        assert_eq!(
            fire(&store, "dscli", &Scope::Invocation).expect("f").len(),
            1
        );
        assert!(fire(&store, "dscli", &Scope::Invocation)
            .expect("f")
            .is_empty());
        assert_eq!(list(&store).expect("list")[0].fired, 1);
        clear(&store).expect("clear");
        assert!(list(&store).expect("list").is_empty());
    }
}
