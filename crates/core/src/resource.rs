//! The SyncResource trait: one implementation per resource type.
//!
//! # Contract
//! - Drivers only talk to their array; config loading, the service lock, triggers,
//!   `sync_min_delay`, the service-down precondition, `--rid` and logging of the action
//!   around them belong to [`crate::service`].
//! - Every action method is implemented. An action the type cannot do returns
//!   [`Error::Unsupported`] saying why; an action with nothing to do on the array logs
//!   what it checked and why nothing was needed (never a silent no-op).
//! - `resync` and `update` are idempotent and resumable: a rerun after an interruption
//!   finishes the job (drivers keep pending steps in [`Ctx::state`] where they need to).
//! - `status` reads the array (never a local cache) and returns the reasons for a
//!   non-up state; an error means the array could not be queried.
//! - Every vendor command goes through [`Ctx::runner`], which logs it.

use crate::config::ResourceConfig;
use crate::duration::{format_duration, Unit};
use crate::error::{ConfigError, Error};
use crate::log::Logger;
use crate::paths::Paths;
use crate::runner::Runner;
use crate::state::StateFile;
use chrono::{DateTime, Local};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Resource availability as the seeds define it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum State {
    #[serde(rename = "n/a")]
    NotApplicable,
    #[serde(rename = "up")]
    Up,
    #[serde(rename = "warn")]
    Warn,
    #[serde(rename = "down")]
    Down,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pad, not write_str: tables align states with `{:<5}`.
        f.pad(match self {
            State::Up => "up",
            State::Warn => "warn",
            State::Down => "down",
            State::NotApplicable => "n/a",
        })
    }
}

/// What `status` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    #[serde(rename = "status")]
    pub state: State,
    /// Why the state is not up (empty when up).
    pub reasons: Vec<String>,
    /// Informational lines (copy progress, ...).
    pub info: Vec<String>,
    pub last_sync: Option<DateTime<Local>>,
}

impl Status {
    /// The seeds' rule for snapshot-like resources: warn when a reason is given, when the
    /// last sync is unknown, or older than `max_delay`; up otherwise.
    pub fn from_last_sync(
        last_sync: Option<DateTime<Local>>,
        max_delay: Duration,
        now: DateTime<Local>,
        mut reasons: Vec<String>,
    ) -> Status {
        match last_sync {
            None => reasons.push("no last sync time found on the array".into()),
            Some(last) if is_older_than(last, max_delay, now) => reasons.push(format!(
                "Last sync on {} older than {}",
                last.format("%Y-%m-%d %H:%M:%S"),
                format_duration(max_delay)
            )),
            Some(_) => {}
        }
        let state = if reasons.is_empty() {
            State::Up
        } else {
            State::Warn
        };
        Status {
            state,
            reasons,
            info: Vec::new(),
            last_sync,
        }
    }
}

/// True when `then` is more than `delay` before `now`.
pub fn is_older_than(then: DateTime<Local>, delay: Duration, now: DateTime<Local>) -> bool {
    match chrono::Duration::from_std(delay) {
        Ok(delay) => now.signed_duration_since(then) > delay,
        Err(_) => false,
    }
}

/// Keywords every sync resource has, parsed once by the core.
#[derive(Debug, Clone)]
pub struct Common {
    pub rid: String,
    pub rtype: String,
    pub sync_max_delay: Duration,
    pub sync_min_delay: Duration,
    pub timeout: Duration,
    pub disabled: bool,
}

impl Common {
    pub fn from_config(config: &ResourceConfig) -> Result<Common, ConfigError> {
        use crate::config::{DEFAULT_SYNC_MAX_DELAY, DEFAULT_SYNC_MIN_DELAY};
        let default_timeout = format_duration(crate::settings::current().resource_timeout());
        let timeout = config.duration("timeout", &default_timeout, Unit::Seconds)?;
        if timeout.is_zero() {
            return Err(config.error("timeout", "must be more than 0"));
        }
        Ok(Common {
            rid: config.rid(),
            rtype: config.rtype()?.to_string(),
            sync_max_delay: config.duration(
                "sync_max_delay",
                DEFAULT_SYNC_MAX_DELAY,
                Unit::Minutes,
            )?,
            sync_min_delay: config.duration(
                "sync_min_delay",
                DEFAULT_SYNC_MIN_DELAY,
                Unit::Minutes,
            )?,
            timeout,
            disabled: config.bool("disable", false)?,
        })
    }
}

/// What a driver gets to do its work.
pub struct Ctx<'a> {
    /// The resource's logger (`SVC.SYNC#1`).
    pub log: &'a Logger,
    pub runner: &'a Runner,
    pub paths: &'a Paths,
    pub common: &'a Common,
    /// The resource's persistent state (pending steps of multi-step actions).
    pub state: &'a StateFile,
}

impl Ctx<'_> {
    pub fn now(&self) -> DateTime<Local> {
        crate::clock::now()
    }

    pub fn dry_run(&self) -> bool {
        self.runner.dry_run
    }
}

/// One sync resource of one type.
pub trait SyncResource: Send + Sync {
    /// The configuration type name (`ibmdssnap`, ...).
    fn type_name(&self) -> &'static str;
    /// A one-line description for logs and status (`flash copy 0001:0002,...`).
    fn label(&self) -> String;
    /// Effective settings, for `print config`.
    fn settings(&self) -> Vec<(String, String)>;
    /// Local block devices holding the targets, if the type knows them; the service-down
    /// check refuses a resync while one is mounted or open.
    fn target_devices(&self) -> Vec<PathBuf>;

    fn status(&self, cx: &Ctx) -> Result<Status, Error>;
    fn resync(&self, cx: &Ctx) -> Result<(), Error>;
    fn update(&self, cx: &Ctx) -> Result<(), Error>;
    fn sync_break(&self, cx: &Ctx) -> Result<(), Error>;
    fn restore(&self, cx: &Ctx) -> Result<(), Error>;
    fn start(&self, cx: &Ctx) -> Result<(), Error>;
    fn stop(&self, cx: &Ctx) -> Result<(), Error>;
}

/// The error for an action a type does not do.
pub fn unsupported(action: &str, rtype: &str, why: &str) -> Error {
    Error::Unsupported {
        action: action.to_string(),
        rtype: rtype.to_string(),
        why: why.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_warns_past_max_delay_only() {
        let now = Local::now();
        let hour = Duration::from_secs(3600);
        let fresh =
            Status::from_last_sync(Some(now - chrono::Duration::minutes(30)), hour, now, vec![]);
        assert_eq!(fresh.state, State::Up);
        let stale =
            Status::from_last_sync(Some(now - chrono::Duration::minutes(90)), hour, now, vec![]);
        assert_eq!(stale.state, State::Warn);
        assert!(
            stale.reasons[0].contains("older than 1h"),
            "{:?}",
            stale.reasons
        );
        let unknown = Status::from_last_sync(None, hour, now, vec![]);
        assert_eq!(unknown.state, State::Warn);
        let reasoned = Status::from_last_sync(Some(now), hour, now, vec!["x".into()]);
        assert_eq!(reasoned.state, State::Warn);
    }

    #[test]
    fn states_order_from_best_to_worst() {
        assert!(
            State::Down > State::Warn
                && State::Warn > State::Up
                && State::Up > State::NotApplicable
        );
    }
}
