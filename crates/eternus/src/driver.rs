//! The `eternus` resource: OPC, QuickOPC or EC copies of pairs registered in the
//! replication management list, driven by the same engine as the swsrp* commands (one CLI
//! session per action).
//!
//! - opc / quickopc: resync and update take a new snapshot of every pair (`swsrpmake`,
//!   with `-T` for quickopc, without pre/post scripts: the service owns its mounts);
//!   restore copies the replicas back (reverse OPC); break is unsupported.
//! - ec: resync and update start (or resume) the EC sessions, wait until every pair is
//!   equivalent, then suspend them all at once (Concurrent Suspend): the replicas hold a
//!   consistent point in time; break suspends equivalent sessions. A pair whose replica is
//!   on another box is a REC pair (a disaster-recovery copy): the same steps, with REC
//!   sessions in the array's default (Through) transfer mode.

use crate::config::{EternusConfig, ResourceMode, Selection};
use crate::copy::{Direction, PairSessions, PairState};
use crate::error::EternusError;
use crate::exclusion::{self, Class};
use crate::replication::{Concurrent, Engine, OpOptions, Started};
use crate::repo::Pair;
use crate::scripts::Suppress;
use crate::transport::Options;
use arraysync_core::config::ResourceConfig;
use arraysync_core::poll::{wait_with_progress, Backoff, Probe, WaitError};
use arraysync_core::{unsupported, Ctx, Error, Paths, Status, SyncResource};
use chrono::{DateTime, Local, TimeZone};
use std::path::PathBuf;
use std::time::Duration;

pub const TYPE: &str = "eternus";

pub struct Eternus {
    config: EternusConfig,
}

pub fn build(section: &ResourceConfig, paths: &Paths) -> Result<Box<dyn SyncResource>, Error> {
    Ok(Box::new(Eternus {
        config: EternusConfig::from_section(section, paths)?,
    }))
}

fn no_scripts() -> OpOptions {
    OpOptions {
        suppress: Suppress {
            all: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

impl Eternus {
    fn engine<'a>(&self, cx: &'a Ctx) -> Result<Engine<'a>, Error> {
        let options = Options {
            timeout: cx.common.timeout,
            ..Options::default()
        };
        Ok(Engine::open(cx.paths, cx.log, options)?)
    }

    /// The configured pairs, each registered (original:replica) on the configured array.
    fn pairs(&self, engine: &mut Engine) -> Result<Vec<Pair>, Error> {
        let pairs: Vec<Pair> = match &self.config.selection {
            Selection::Group(group) => engine
                .group(group, false)?
                .into_iter()
                .map(|(p, _)| p)
                .collect(),
            Selection::Pairs(list) => {
                let mut pairs = Vec::new();
                for (orig, rep) in list {
                    pairs.push(engine.registered(orig, rep)?);
                }
                pairs
            }
        };
        if let Some(other) = pairs.iter().find(|p| p.orig.array != self.config.array) {
            return Err(Error::Failed(format!(
                "{} is on array {}, not {}",
                other.label(),
                other.orig.array,
                self.config.array
            )));
        }
        Ok(pairs)
    }

    fn dry(&self, cx: &Ctx, action: &str) -> bool {
        if cx.dry_run() {
            cx.log.info(&format!(
                "dry run: {action} of {} not executed",
                self.label()
            ));
        }
        cx.dry_run()
    }

    fn snapshot(&self, cx: &Ctx) -> Result<(), Error> {
        let mut engine = self.engine(cx)?;
        let pairs = self.pairs(&mut engine)?;
        if self.dry(cx, "snapshot") {
            return Ok(());
        }
        let _lock = lock(cx, &pairs)?;
        let opts = OpOptions {
            tracking: self.config.mode == ResourceMode::QuickOpc,
            mixed_tracking: true,
            ..no_scripts()
        };
        // One point in time: every pair in one Concurrent OPC (one session query, at most
        // one stop, one start), as swsrpmake -Xconcur-opc does.
        engine.make_group(&regular(&pairs), opts, Concurrent::Opc)?;
        engine.close();
        Ok(())
    }

    fn ec_refresh(&self, cx: &Ctx) -> Result<(), Error> {
        let mut engine = self.engine(cx)?;
        let pairs = self.pairs(&mut engine)?;
        if self.dry(cx, "EC resync") {
            return Ok(());
        }
        let _lock = lock(cx, &pairs)?;
        for (pair, started) in pairs.iter().zip(engine.startsync_batch(&pairs)?) {
            match started {
                Started::Started => cx
                    .log
                    .info(&format!("{}: EC started (total copy)", pair.label())),
                Started::Resumed => cx
                    .log
                    .info(&format!("{}: EC resumed (differential copy)", pair.label())),
                Started::AlreadySynchronizing => {}
            }
        }
        let timeout = cx.common.timeout;
        let waited = wait_with_progress(
            timeout,
            Backoff::new(Duration::from_millis(200), Duration::from_secs(10)),
            |line| cx.log.progress(line),
            |_| {
                engine.forget_sessions();
                let states = engine.pair_sessions(&pairs)?;
                let pending: Vec<String> = pairs
                    .iter()
                    .zip(&states)
                    .filter(|(_, s)| {
                        s.regular.as_ref().map(|s| s.state()) != Some(PairState::Equivalent)
                    })
                    .map(|(p, s)| {
                        format!(
                            "{} ({})",
                            p.label(),
                            s.regular
                                .as_ref()
                                .map_or("no session", |s| s.state().text())
                        )
                    })
                    .collect();
                if let Some(bad) = states.iter().zip(&pairs).find(|(s, _)| {
                    s.regular.as_ref().is_some_and(|s| {
                        matches!(
                            s.state(),
                            PairState::Failed | PairState::Halt | PairState::Unknown
                        )
                    })
                }) {
                    return Err(EternusError::Refused(format!(
                        "{}: EC session is {}",
                        bad.1.label(),
                        bad.0.regular.as_ref().map_or("-", |s| s.state().text())
                    )));
                }
                Ok(if pending.is_empty() {
                    Probe::Ready(())
                } else {
                    Probe::Counted {
                        done: pairs.len() - pending.len(),
                        total: pairs.len(),
                        goal: "pairs equivalent".into(),
                        last: format!("equivalent state of {}", pending.join(", ")),
                    }
                })
            },
        );
        match waited {
            Ok(()) => {}
            Err(WaitError::Failed(e)) => return Err(e.into()),
            Err(WaitError::TimedOut { last, .. }) => {
                return Err(Error::Failed(format!(
                    "timed out after {}s waiting for the {last}",
                    timeout.as_secs()
                )))
            }
        }
        engine.make_group(&regular(&pairs), no_scripts(), Concurrent::Suspend)?;
        cx.log.info(&format!(
            "suspended {} EC session(s) at the same instant",
            pairs.len()
        ));
        engine.close();
        Ok(())
    }

    fn refresh(&self, cx: &Ctx) -> Result<(), Error> {
        match self.config.mode {
            ResourceMode::Ec => self.ec_refresh(cx),
            _ => self.snapshot(cx),
        }
    }
}

fn regular(pairs: &[Pair]) -> Vec<(&Pair, Direction)> {
    pairs.iter().map(|p| (p, Direction::Regular)).collect()
}

/// The command-exclusion locks of an operation command (spec §6.1) on these pairs: the
/// resource and the swsrp* commands do not interleave on a pair, and a swsrpsetvol,
/// swsrpdelvol or swsrprecoverres waits for the resource.
fn lock(cx: &Ctx, pairs: &[Pair]) -> Result<exclusion::Guard, Error> {
    let ids: Vec<i64> = pairs.iter().map(|p| p.id).collect();
    Ok(exclusion::acquire(
        cx.paths,
        "arraysync (eternus resource)",
        Class::Operation,
        &ids,
    )?)
}

fn local(t: chrono::NaiveDateTime) -> Option<DateTime<Local>> {
    Local.from_local_datetime(&t).earliest()
}

impl SyncResource for Eternus {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn label(&self) -> String {
        let what = match &self.config.selection {
            Selection::Group(g) => format!("group {g}"),
            Selection::Pairs(p) => p
                .iter()
                .map(|(o, r)| format!("{o}:{r}"))
                .collect::<Vec<_>>()
                .join(","),
        };
        format!("{} {what}", self.config.mode.as_str())
    }

    fn settings(&self) -> Vec<(String, String)> {
        let mut settings = vec![
            ("array".to_string(), self.config.array.clone()),
            ("mode".to_string(), self.config.mode.as_str().to_string()),
        ];
        match &self.config.selection {
            Selection::Group(g) => settings.push(("group".into(), g.clone())),
            Selection::Pairs(p) => settings.push((
                "pairs".into(),
                p.iter()
                    .map(|(o, r)| format!("{o}:{r}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
        }
        settings
    }

    /// The replica devices (local ones are what the service would mount).
    fn target_devices(&self) -> Vec<PathBuf> {
        match &self.config.selection {
            Selection::Pairs(p) => p
                .iter()
                .map(|(_, r)| PathBuf::from(r.split('@').next().unwrap_or(r)))
                .collect(),
            Selection::Group(_) => Vec::new(),
        }
    }

    /// up when every pair holds a copy younger than sync_max_delay; warn when older, when a
    /// pair is not registered, failed, halted or unreadable, or has no session where one is
    /// expected (quickopc tracking, ec).
    fn status(&self, cx: &Ctx) -> Result<Status, Error> {
        let mut engine = self.engine(cx)?;
        let pairs = self.pairs(&mut engine)?;
        let sessions = engine.pair_sessions(&pairs)?;
        engine.close();
        let mut reasons = Vec::new();
        let mut info = Vec::new();
        let mut oldest: Option<DateTime<Local>> = None;
        let mut unknown = false;
        for (pair, s) in pairs.iter().zip(&sessions) {
            let (last, reason, note) = pair_status(self.config.mode, pair, s);
            if let Some(r) = reason {
                reasons.push(r);
            }
            if let Some(n) = note {
                info.push(n);
            }
            match last {
                Some(t) => oldest = Some(oldest.map_or(t, |o| o.min(t))),
                None => unknown = true,
            }
        }
        let last = if unknown { None } else { oldest };
        let mut status = Status::from_last_sync(last, cx.common.sync_max_delay, cx.now(), reasons);
        status.info = info;
        Ok(status)
    }

    fn resync(&self, cx: &Ctx) -> Result<(), Error> {
        self.refresh(cx)
    }

    fn update(&self, cx: &Ctx) -> Result<(), Error> {
        self.refresh(cx)
    }

    fn sync_break(&self, cx: &Ctx) -> Result<(), Error> {
        if self.config.mode != ResourceMode::Ec {
            return Err(unsupported(
                "sync break",
                TYPE,
                "an OPC/QuickOPC replica is a point-in-time copy, usable as soon as the snapshot is taken; there is no replication to split (use 'sync resync' for a new snapshot)",
            ));
        }
        let mut engine = self.engine(cx)?;
        let pairs = self.pairs(&mut engine)?;
        let _lock = lock(cx, &pairs)?;
        let sessions = engine.pair_sessions(&pairs)?;
        let mut equivalent = Vec::new();
        for (pair, s) in pairs.iter().zip(&sessions) {
            match s.regular.as_ref().map(|s| s.state()) {
                Some(PairState::Equivalent) => equivalent.push((pair.clone(), Direction::Regular)),
                Some(PairState::Replicated) => cx
                    .log
                    .info(&format!("{}: already suspended (replicated)", pair.label())),
                other => {
                    return Err(Error::Failed(format!(
                        "{}: cannot split, status is {} (equivalent needed)",
                        pair.label(),
                        other.map_or("----", |s| s.text())
                    )))
                }
            }
        }
        if equivalent.is_empty() || self.dry(cx, "EC suspend") {
            return Ok(());
        }
        engine.make_group(&equivalent, no_scripts(), Concurrent::Suspend)?;
        engine.close();
        Ok(())
    }

    fn restore(&self, cx: &Ctx) -> Result<(), Error> {
        if self.config.mode == ResourceMode::Ec {
            return Err(unsupported(
                "sync restore",
                TYPE,
                "restoring from an EC replica needs the EC sessions cancelled first (swsrpcancel), then swsrpmake from the replica to the original",
            ));
        }
        let mut engine = self.engine(cx)?;
        let pairs = self.pairs(&mut engine)?;
        if self.dry(cx, "restore") {
            return Ok(());
        }
        let _lock = lock(cx, &pairs)?;
        let reverse: Vec<(Pair, Direction)> = pairs
            .iter()
            .map(|p| (p.clone(), Direction::Reverse))
            .collect();
        engine.make_group(&reverse, no_scripts(), Concurrent::Opc)?;
        engine.close();
        Ok(())
    }

    /// Checks every replica is usable (no failed, halted or unreadable session).
    fn start(&self, cx: &Ctx) -> Result<(), Error> {
        let mut engine = self.engine(cx)?;
        let pairs = self.pairs(&mut engine)?;
        let sessions = engine.pair_sessions(&pairs)?;
        engine.close();
        let bad: Vec<String> = pairs
            .iter()
            .zip(&sessions)
            .filter_map(|(p, s)| {
                let state = s.regular.as_ref()?.state();
                matches!(
                    state,
                    PairState::Failed | PairState::Halt | PairState::Unknown
                )
                .then(|| format!("{} ({})", p.label(), state.text()))
            })
            .collect();
        if !bad.is_empty() {
            return Err(Error::Failed(format!(
                "replicas not usable: {}",
                bad.join(", ")
            )));
        }
        cx.log
            .info("every replica holds a usable copy; nothing to split on the array");
        Ok(())
    }

    fn stop(&self, cx: &Ctx) -> Result<(), Error> {
        cx.log.info(
            "nothing to do on the array for stop: the copy sessions are kept for the next resync",
        );
        Ok(())
    }
}

/// One pair's contribution: its last sync time, a warning reason, an informational note.
fn pair_status(
    mode: ResourceMode,
    pair: &Pair,
    s: &PairSessions,
) -> (Option<DateTime<Local>>, Option<String>, Option<String>) {
    let made = pair
        .last_made
        .and_then(|t| Local.timestamp_opt(t, 0).single());
    let Some(session) = s.regular.as_ref() else {
        return match mode {
            ResourceMode::Opc => (made, None, None),
            _ => (
                None,
                Some(format!("{}: no copy session on the array", pair.label())),
                None,
            ),
        };
    };
    let state = session.state();
    let when = session.timestamp.and_then(local);
    match state {
        PairState::Failed | PairState::Halt | PairState::Unknown => (
            when,
            Some(format!("{}: copy session {}", pair.label(), state.text())),
            None,
        ),
        PairState::Snap => (
            when,
            None,
            Some(format!(
                "{}: physical copy {}%",
                pair.label(),
                session.copied_pct.unwrap_or(0)
            )),
        ),
        PairState::Sync => (
            None,
            None,
            Some(format!(
                "{}: EC copy {}%",
                pair.label(),
                session.copied_pct.unwrap_or(0)
            )),
        ),
        PairState::Equivalent => (
            Some(arraysync_core::clock::now()),
            None,
            Some(format!("{}: equivalent (not suspended)", pair.label())),
        ),
        _ => (when.or(made), None, None),
    }
}
