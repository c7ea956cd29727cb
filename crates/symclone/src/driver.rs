//! The `symclone` and `symsnap` resources: TimeFinder clones and snaps through SYMCLI
//! (seed 002; opensvc-drivers.md §5).
//!
//! Vendor calls per action do not depend on the number of pairs: one state query
//! (`symld list -v` or `symdev list -v -output xml_e`), one control command naming every
//! pair that needs it (pair arguments or a pairs file), then one query per poll while
//! waiting. Every multi-step action is resumable from what the array shows: a rerun skips
//! the pairs already recreated, activated or restored.

use crate::command::{self, Control, Selection};
use crate::config::{device_key, CopyKind, DeviceKey, Form, Pair, SymConfig, Symcli};
use crate::error::SymError;
use crate::parse::{self, Device};
use crate::rescan;
use arraysync_core::config::ResourceConfig;
use arraysync_core::poll::{self, Backoff, Probe, WaitError};
use arraysync_core::runner::{Output, VendorCommand};
use arraysync_core::state::{atomic_write, write_file, Durability};
use arraysync_core::{Ctx, Error, Paths, State, Status, SyncResource};
use chrono::{DateTime, Local};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Attempts of a SYMCLI call that finds the SYMAPI database locked (exit 2).
const LOCK_ATTEMPTS: u32 = 5;
const LOCK_BACKOFF: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(8));
/// Polls while waiting for a pair state: quick first looks, then every 10 s at most, so a
/// wait logs a progress line at least every 10 s (one query per poll: cheap next to a copy
/// that takes minutes).
const POLL_BACKOFF: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(10));
/// At most this many pairs are named in one message.
const NAMED: usize = 5;

pub struct SymClone {
    config: SymConfig,
    symcli: Symcli,
    /// The pairs file given to `-f` (pairs file form).
    pairs_file: PathBuf,
    /// Host paths of the targets seen by the last action's query, for the service-down check.
    targets_file: PathBuf,
}

pub fn build_clone(
    section: &ResourceConfig,
    paths: &Paths,
) -> Result<Box<dyn SyncResource>, Error> {
    build(section, paths, CopyKind::Clone)
}

pub fn build_snap(section: &ResourceConfig, paths: &Paths) -> Result<Box<dyn SyncResource>, Error> {
    build(section, paths, CopyKind::Snap)
}

fn build(
    section: &ResourceConfig,
    paths: &Paths,
    kind: CopyKind,
) -> Result<Box<dyn SyncResource>, Error> {
    let config = SymConfig::from_section(section, kind)?;
    let symcli = Symcli::load(paths, config.symid.as_deref())?;
    let stem = section.rid().replace('#', "_");
    let dir = paths.service_state_dir(section.service);
    Ok(Box::new(SymClone {
        config,
        symcli,
        pairs_file: dir.join(format!("{stem}.pairs")),
        targets_file: dir.join(format!("{stem}.targets")),
    }))
}

/// Where a pair state stands for the driver (opensvc-drivers.md §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Activated: clone `copied`/`copyinprog`, snap `copyonwrite`.
    Active,
    /// Ready to activate: clone `created`/`precopy`/`recreated`, snap `created`/`recreated`.
    Activable,
    /// On its way to activable (`createinprog`, `recreateinprog`).
    Transitional,
    Restoring,
    Restored,
    /// Anything else (`failed`, `split`, `invalid`, ...): the seed's "unexpected state".
    Unexpected,
}

pub fn classify(kind: CopyKind, state: &str) -> Class {
    match (kind, state) {
        (CopyKind::Clone, "copied" | "copyinprog") | (CopyKind::Snap, "copyonwrite") => {
            Class::Active
        }
        (CopyKind::Clone, "created" | "precopy" | "recreated")
        | (CopyKind::Snap, "created" | "recreated") => Class::Activable,
        (_, "createinprog" | "recreateinprog") => Class::Transitional,
        (_, "restinprog") => Class::Restoring,
        (_, "restored") => Class::Restored,
        _ => Class::Unexpected,
    }
}

/// Fully activated (clone copy complete, snap active): where recreate and restore start.
fn settled(kind: CopyKind, state: &str) -> bool {
    matches!(
        (kind, state),
        (CopyKind::Clone, "copied") | (CopyKind::Snap, "copyonwrite")
    )
}

/// What the array says about one configured pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairView {
    pub pair: Pair,
    /// Lower-cased session state; `None` when `problem` says why there is none.
    pub state: Option<String>,
    pub last_action: Option<String>,
    pub percent: Option<u32>,
    /// Host path of the target device.
    pub pd_name: Option<String>,
    /// Device missing from the group or array, or no session between the two.
    pub problem: Option<String>,
}

impl PairView {
    fn class(&self, kind: CopyKind) -> Class {
        self.state
            .as_deref()
            .map_or(Class::Unexpected, |s| classify(kind, s))
    }

    fn state_text(&self) -> &str {
        self.state.as_deref().unwrap_or("no session")
    }
}

/// Sessions of a listing by (source, target) device key.
fn sessions_by_pair(devices: &[Device]) -> HashMap<(DeviceKey, DeviceKey), &parse::Session> {
    devices
        .iter()
        .flat_map(|d| &d.sessions)
        .map(|s| ((device_key(&s.source), device_key(&s.target)), s))
        .collect()
}

/// Matches the configured pairs with a group listing (logical names).
pub fn observe_group(config: &SymConfig, symdg: &str, devices: &[Device]) -> Vec<PairView> {
    let by_ld: HashMap<String, &Device> = devices
        .iter()
        .filter_map(|d| Some((d.ld_name.as_deref()?.to_ascii_lowercase(), d)))
        .collect();
    let sessions = sessions_by_pair(devices);
    config
        .pairs
        .iter()
        .map(|pair| {
            let source = by_ld.get(&pair.source.to_ascii_lowercase());
            let target = by_ld.get(&pair.target.to_ascii_lowercase());
            let (Some(source), Some(target)) = (source, target) else {
                let missing: Vec<&str> = [(&pair.source, source), (&pair.target, target)]
                    .iter()
                    .filter(|(_, d)| d.is_none())
                    .map(|(name, _)| name.as_str())
                    .collect();
                return view(
                    config,
                    pair,
                    None,
                    None,
                    Some(format!(
                        "{} not in device group {symdg}",
                        missing.join(" and ")
                    )),
                );
            };
            let session = sessions
                .get(&(device_key(&source.dev_name), device_key(&target.dev_name)))
                .copied();
            view(config, pair, session, target.pd_name.clone(), None)
        })
        .collect()
}

/// Matches the configured pairs with a `symdev` listing of their targets (device ids).
pub fn observe_devices(config: &SymConfig, symid: &str, devices: &[Device]) -> Vec<PairView> {
    let by_id: HashMap<DeviceKey, &Device> = devices
        .iter()
        .map(|d| (device_key(&d.dev_name), d))
        .collect();
    let sessions = sessions_by_pair(devices);
    config
        .pairs
        .iter()
        .map(|pair| {
            let Some(target) = by_id.get(&device_key(&pair.target)) else {
                return view(
                    config,
                    pair,
                    None,
                    None,
                    Some(format!(
                        "target device {} not found on {symid}",
                        pair.target
                    )),
                );
            };
            let session = sessions
                .get(&(device_key(&pair.source), device_key(&pair.target)))
                .copied();
            view(config, pair, session, target.pd_name.clone(), None)
        })
        .collect()
}

fn view(
    config: &SymConfig,
    pair: &Pair,
    session: Option<&parse::Session>,
    pd_name: Option<String>,
    problem: Option<String>,
) -> PairView {
    let word = match config.kind {
        CopyKind::Clone => "clone",
        CopyKind::Snap => "snap",
    };
    let problem = problem.or_else(|| {
        session
            .is_none()
            .then(|| format!("{pair} has no {word} session"))
    });
    PairView {
        pair: pair.clone(),
        state: session.map(|s| s.state.clone()),
        last_action: session.and_then(|s| s.last_action.clone()),
        percent: session.and_then(|s| s.percent),
        pd_name,
        problem,
    }
}

/// `a, b, c and 2 more`.
pub(crate) fn name_some(items: &[String]) -> String {
    let shown = items
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match items.len().saturating_sub(NAMED) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn describe(views: &[&PairView]) -> String {
    name_some(
        &views
            .iter()
            .map(|v| format!("{} is {}", v.pair, v.state_text()))
            .collect::<Vec<_>>(),
    )
}

/// A SYMCLI call's outcome, for the lock retry.
enum Attempt {
    Locked(Output),
    Failed(Error),
}

fn is_lock_error(output: &Output) -> bool {
    // Exit 2 is CLI_C_DB_FILE_IS_LOCKED (vendor-cli.md §2.7); the texts are those scripts retry on.
    output.code == 2
        || output.stderr.contains("locked by another process")
        || output
            .stderr
            .contains("exclusive lock on the local Symmetrix")
}

impl SymClone {
    fn word(&self) -> &'static str {
        self.config.kind.type_name()
    }

    /// Runs a SYMCLI command, retrying while the SYMAPI database is locked.
    fn symcli(&self, cx: &Ctx, command: &VendorCommand, verb: &str) -> Result<Output, Error> {
        let program = command.program_name();
        let result = poll::retry(
            LOCK_ATTEMPTS,
            LOCK_BACKOFF,
            |a: &Attempt| matches!(a, Attempt::Locked(_)),
            |attempt| {
                if attempt > 0 {
                    cx.log.warning(&format!(
                    "{program} {verb}: SYMAPI database locked, retrying (attempt {}/{LOCK_ATTEMPTS})",
                    attempt + 1
                ));
                }
                let output = cx
                    .runner
                    .run_status(cx.log, command)
                    .map_err(|e| Attempt::Failed(e.into()))?;
                if output.code == 0 {
                    Ok(output)
                } else if is_lock_error(&output) {
                    Err(Attempt::Locked(output))
                } else {
                    Err(Attempt::Failed(
                        SymError::Symcli {
                            program: program.clone(),
                            verb: verb.into(),
                            code: output.code,
                            stderr: output.stderr,
                        }
                        .into(),
                    ))
                }
            },
        );
        result.map_err(|attempt| match attempt {
            Attempt::Failed(e) => e,
            Attempt::Locked(output) => SymError::Locked {
                program: program.clone(),
                verb: verb.into(),
                attempts: LOCK_ATTEMPTS,
                stderr: output.stderr,
            }
            .into(),
        })
    }

    /// One query for every configured pair.
    fn query(&self, cx: &Ctx) -> Result<Vec<PairView>, Error> {
        let timeout = cx.common.timeout;
        match &self.config.form {
            Form::Group { symdg } => {
                let output = self.symcli(
                    cx,
                    &command::symld_list(&self.symcli, symdg, timeout),
                    "list",
                )?;
                Ok(observe_group(
                    &self.config,
                    symdg,
                    &parse::symld_list(&output.stdout)?,
                ))
            }
            Form::File { symid } => {
                let targets: Vec<&str> = self
                    .config
                    .pairs
                    .iter()
                    .map(|p| p.target.as_str())
                    .collect();
                let output = self.symcli(
                    cx,
                    &command::symdev_list(&self.symcli, symid, &targets, timeout),
                    "list",
                )?;
                Ok(observe_devices(
                    &self.config,
                    symid,
                    &parse::symdev_xml(&output.stdout)?,
                ))
            }
        }
    }

    /// A query during an action: also remembers where the targets are on this host.
    fn query_for_action(&self, cx: &Ctx) -> Result<Vec<PairView>, Error> {
        let views = self.query(cx)?;
        self.remember_targets(&views);
        Ok(views)
    }

    /// The control command for `pairs`, in the configured form.
    fn control_command(
        &self,
        cx: &Ctx,
        action: Control,
        pairs: &[Pair],
    ) -> Result<VendorCommand, Error> {
        let selection = match &self.config.form {
            Form::Group { symdg } => Selection::Group { symdg, pairs },
            Form::File { symid } => {
                // Read by the command started next, rewritten before every control: it
                // must be whole (temp file and rename), not survive a power loss; two
                // fsyncs (file and directory) per action cost more than the rest of it.
                write_file(
                    &self.pairs_file,
                    command::pairs_file(pairs).as_bytes(),
                    Durability::Atomic,
                )?;
                cx.log.debug(&format!(
                    "pairs file {}: {}",
                    self.pairs_file.display(),
                    pairs
                        .iter()
                        .map(Pair::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                Selection::File {
                    symid,
                    file: &self.pairs_file,
                }
            }
        };
        Ok(command::control(
            &self.symcli,
            &self.config,
            action,
            selection,
            cx.common.timeout,
        ))
    }

    /// Runs a control action; exit 0 is not enough: SYMCLI's success line must be there
    /// (issue 8), and the pairs are then checked on the array by the caller's next query.
    fn control(&self, cx: &Ctx, action: Control, pairs: &[Pair]) -> Result<(), Error> {
        let command = self.control_command(cx, action, pairs)?;
        let output = self.symcli(cx, &command, action.verb())?;
        if cx.dry_run() || parse::confirms_control(&format!("{}\n{}", output.stdout, output.stderr))
        {
            return Ok(());
        }
        Err(SymError::Output {
            program: command.program_name(),
            message: format!(
                "{} exited 0 without its success line ('operation successfully executed'); \
                 check the pairs on the array before rerunning",
                action.verb()
            ),
        }
        .into())
    }

    /// Refuses the action when a pair is missing or has no session.
    fn refuse_problems(&self, views: &[PairView], action: &str) -> Result<(), Error> {
        let problems: Vec<String> = views.iter().filter_map(|v| v.problem.clone()).collect();
        if problems.is_empty() {
            return Ok(());
        }
        let setup = match &self.config.form {
            Form::Group { symdg } => format!(
                "{} -g {symdg} create -diff{} SRC sym ld TGT",
                self.word(),
                self.precopy_word()
            ),
            Form::File { symid } => format!(
                "{} -sid {symid} -f FILE create -diff{}",
                self.word(),
                self.precopy_word()
            ),
        };
        Err(SymError::Refused(format!(
            "refuse to {action}: {} (add the devices and create the sessions once with {setup})",
            name_some(&problems)
        ))
        .into())
    }

    fn precopy_word(&self) -> &'static str {
        match self.config.kind {
            CopyKind::Clone => " -precopy",
            CopyKind::Snap => "",
        }
    }

    fn pairs_in<'a>(
        &self,
        views: &'a [PairView],
        keep: impl Fn(&PairView) -> bool,
    ) -> Vec<&'a PairView> {
        views.iter().filter(|v| keep(v)).collect()
    }

    /// sync resync / sync update: recreate the pairs that are not already activable.
    fn recreate(&self, cx: &Ctx) -> Result<(), Error> {
        let kind = self.config.kind;
        let views = self.query_for_action(cx)?;
        self.refuse_problems(&views, "recreate")?;
        let todo = self.pairs_in(&views, |v| {
            !matches!(v.class(kind), Class::Activable | Class::Transitional)
        });
        if todo.is_empty() {
            cx.log
                .info(&format!("{} are already recreated", self.word()));
            return Ok(());
        }
        let blocked = self.pairs_in(&views, |v| {
            !matches!(v.class(kind), Class::Activable | Class::Transitional)
                && !settled(kind, v.state_text())
        });
        if !blocked.is_empty() {
            let hint = match kind {
                CopyKind::Clone => {
                    "a recreate needs the clones activated and fully copied (copied)"
                }
                CopyKind::Snap => "a recreate needs the snaps activated (copyonwrite)",
            };
            return Err(SymError::Refused(format!(
                "refuse to recreate: {}: {hint}",
                describe(&blocked)
            ))
            .into());
        }
        let pairs: Vec<Pair> = todo.iter().map(|v| v.pair.clone()).collect();
        // SYMCLI's success line is the confirmation (checked in `control`); a pair that
        // did not follow is found by the next activate's query, which refuses it. No
        // extra query here: one query and one control call per action (DESIGN §8).
        self.control(cx, Control::Recreate, &pairs)
    }

    /// start / sync break: activate the pairs not yet active, wait until they are, rescan.
    fn activate(&self, cx: &Ctx) -> Result<(), Error> {
        let kind = self.config.kind;
        let views = self.query_for_action(cx)?;
        self.refuse_problems(&views, "activate")?;
        if views.iter().all(|v| v.class(kind) == Class::Active) {
            // A run killed after its activate (or whose wait timed out) left the later
            // steps undone: a rerun finishes them (issue 8, docs/hardening.md).
            cx.log.info(&format!(
                "{} target devices are already active: finishing the wait and the rescan",
                self.word()
            ));
        } else {
            self.activate_pairs(cx, views)?;
        }
        let active_word = self.active_word();
        if cx.dry_run() {
            cx.log
                .info(&format!("dry run: not waiting for {active_word} state"));
            return Ok(());
        }
        let views = self.wait_for(cx, active_word, self.config.recreate_timeout, |c| {
            c == Class::Active
        })?;
        self.remember_targets(&views);
        rescan::rescan_targets(cx, &views)?;
        Ok(())
    }

    /// The activate step of [`Self::activate`]: the pairs not active yet, once activable.
    fn activate_pairs(&self, cx: &Ctx, mut views: Vec<PairView>) -> Result<(), Error> {
        let kind = self.config.kind;
        let hopeless = self.pairs_in(&views, |v| {
            !matches!(
                v.class(kind),
                Class::Active | Class::Activable | Class::Transitional
            )
        });
        if !hopeless.is_empty() {
            return Err(SymError::Refused(format!(
                "cannot activate: {} (activable states: {})",
                describe(&hopeless),
                self.activable_words()
            ))
            .into());
        }
        if views.iter().any(|v| v.class(kind) == Class::Transitional) && !cx.dry_run() {
            views = self.wait_for(cx, "activable", self.config.recreate_timeout, |c| {
                matches!(c, Class::Active | Class::Activable)
            })?;
        }
        let pairs: Vec<Pair> = views
            .iter()
            .filter(|v| v.class(kind) != Class::Active)
            .map(|v| v.pair.clone())
            .collect();
        self.control(cx, Control::Activate, &pairs)
    }

    fn activable_words(&self) -> &'static str {
        match self.config.kind {
            CopyKind::Clone => "recreated, precopy or created",
            CopyKind::Snap => "recreated or created",
        }
    }

    /// The state seed 002 names in its wait message: `copied` for clones (copyinprog is
    /// accepted too, as the target is usable while the copy completes), `copyonwrite` for snaps.
    fn active_word(&self) -> &'static str {
        match self.config.kind {
            CopyKind::Clone => "copied",
            CopyKind::Snap => "copyonwrite",
        }
    }

    /// Logs seed 002's `waiting for <what> state (max N secs)`, then polls the array with
    /// backoff until every pair's class satisfies `done`, or times out naming the laggards.
    fn wait_for(
        &self,
        cx: &Ctx,
        what: &str,
        timeout: Duration,
        done: impl Fn(Class) -> bool,
    ) -> Result<Vec<PairView>, Error> {
        let kind = self.config.kind;
        let secs = timeout.as_secs();
        cx.log
            .info(&format!("waiting for {what} state (max {secs} secs)"));
        let progress = |line: &str| cx.log.progress(line);
        let result = poll::wait_with_progress(timeout, POLL_BACKOFF, progress, |_| {
            let views = self.query(cx)?;
            let lagging: Vec<&PairView> = views.iter().filter(|v| !done(v.class(kind))).collect();
            if lagging.is_empty() {
                return Ok(Probe::Ready(views));
            }
            Ok(Probe::Counted {
                last: name_some(
                    &lagging
                        .iter()
                        .map(|v| format!("{} still {}", v.pair, v.state_text()))
                        .collect::<Vec<_>>(),
                ),
                done: views.len() - lagging.len(),
                total: views.len(),
                goal: format!("pairs {what}"),
            })
        });
        match result {
            Ok(views) => Ok(views),
            Err(WaitError::Failed(e)) => Err(e),
            Err(WaitError::TimedOut { last, probes }) => {
                cx.log.debug(&format!(
                    "gave up waiting for {what} state after {probes} polls"
                ));
                Err(SymError::Timeout {
                    what: what.into(),
                    secs,
                    detail: last,
                }
                .into())
            }
        }
    }

    /// sync restore: restore the active pairs, wait for restored, end the restore session.
    fn restore_pairs(&self, cx: &Ctx) -> Result<(), Error> {
        let kind = self.config.kind;
        let views = self.query_for_action(cx)?;
        self.refuse_problems(&views, "restore")?;
        let resumed = |v: &PairView| matches!(v.class(kind), Class::Restoring | Class::Restored);
        let blocked = self.pairs_in(&views, |v| !resumed(v) && !settled(kind, v.state_text()));
        if !blocked.is_empty() {
            return Err(SymError::Refused(format!(
                "refuse to restore: {}: a restore needs every pair {}",
                describe(&blocked),
                match kind {
                    CopyKind::Clone => "activated and fully copied (copied)",
                    CopyKind::Snap => "activated (copyonwrite)",
                }
            ))
            .into());
        }
        let todo: Vec<Pair> = views
            .iter()
            .filter(|v| !resumed(v))
            .map(|v| v.pair.clone())
            .collect();
        if todo.len() < views.len() {
            cx.log.info(&format!(
                "resuming a restore: {} pair(s) already restoring or restored",
                views.len() - todo.len()
            ));
        }
        if !todo.is_empty() {
            self.control(cx, Control::Restore, &todo)?;
        }
        if cx.dry_run() {
            cx.log.info("dry run: not waiting for restored state");
            return Ok(());
        }
        if let Err(e) = self.wait_for(cx, "restored", self.config.restore_timeout, |c| {
            c == Class::Restored
        }) {
            let hint = self
                .control_command(cx, Control::TerminateRestored, &self.config.pairs)?
                .display_line();
            return Err(Error::Failed(format!(
                "{e}; once restored, end the restore running: {hint}"
            )));
        }
        self.control(cx, Control::TerminateRestored, &self.config.pairs)
    }

    /// Saves the targets' host paths when they changed (atomically; failures only logged,
    /// as the file only feeds the service-down check).
    fn remember_targets(&self, views: &[PairView]) {
        let text: String = views
            .iter()
            .filter_map(|v| v.pd_name.as_ref())
            .map(|p| format!("{p}\n"))
            .collect();
        if std::fs::read_to_string(&self.targets_file).is_ok_and(|old| old == text) {
            return;
        }
        let _ = atomic_write(&self.targets_file, text.as_bytes());
    }

    fn label_pairs(&self) -> String {
        self.config
            .pairs
            .iter()
            .map(Pair::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The status rules of seed 002: down when a device is missing or in an unexpected state,
/// or no clone action time is known; warn when only part of the set is active or the
/// oldest last action is older than `sync_max_delay`; up otherwise.
pub fn evaluate(
    kind: CopyKind,
    views: &[PairView],
    max_delay: Duration,
    now: DateTime<Local>,
) -> Status {
    let mut down = Vec::new();
    let mut warn = Vec::new();
    let mut info = Vec::new();
    let mut last: Option<DateTime<Local>> = None;
    let mut inactive = Vec::new();
    // Pairs recreated together share one time text: each distinct text is parsed once.
    let mut dates: HashMap<&str, Option<DateTime<Local>>> = HashMap::new();
    for v in views {
        if let Some(problem) = &v.problem {
            down.push(problem.clone());
            continue;
        }
        match v.class(kind) {
            Class::Active => {}
            Class::Activable | Class::Transitional => {
                inactive.push(format!("{} {}", v.pair, v.state_text()))
            }
            _ => down.push(format!(
                "{} is in unexpected state {}",
                v.pair,
                v.state_text()
            )),
        }
        if v.state.as_deref() == Some("copyinprog") {
            info.push(format!("{} copyinprog {}%", v.pair, v.percent.unwrap_or(0)));
        }
        let parsed = v
            .last_action
            .as_deref()
            .map(|t| (t, *dates.entry(t).or_insert_with(|| parse::clone_date(t))));
        match parsed {
            Some((_, Some(date))) => last = Some(last.map_or(date, |l| l.min(date))),
            Some((text, None)) => warn.push(format!(
                "unreadable last action time '{text}' on {}",
                v.pair
            )),
            None => {}
        }
    }
    if !inactive.is_empty() && inactive.len() < views.len() && down.is_empty() {
        warn.push(format!(
            "only {}/{} pairs active (not active: {})",
            views.len() - inactive.len(),
            views.len(),
            name_some(&inactive)
        ));
    }
    if last.is_none() && down.is_empty() {
        down.push("no clone action time found on the array".into());
    }
    let mut status = if down.is_empty() {
        Status::from_last_sync(last, max_delay, now, warn)
    } else {
        down.append(&mut warn);
        Status {
            state: State::Down,
            reasons: down,
            info: Vec::new(),
            last_sync: last,
        }
    };
    info.truncate(NAMED);
    status.info = info;
    status
}

impl SyncResource for SymClone {
    fn type_name(&self) -> &'static str {
        self.word()
    }

    fn label(&self) -> String {
        let what = match &self.config.form {
            Form::Group { symdg } => format!("symdg {symdg}"),
            Form::File { symid } => format!("symid {symid}"),
        };
        let label = format!("{} {what} pairs {}", self.word(), self.label_pairs());
        if label.chars().count() > 76 {
            format!("{}...", label.chars().take(76).collect::<String>())
        } else {
            label
        }
    }

    fn settings(&self) -> Vec<(String, String)> {
        let c = &self.config;
        let mut settings = Vec::new();
        match &c.form {
            Form::Group { symdg } => settings.push(("symdg".to_string(), symdg.clone())),
            Form::File { .. } => {}
        }
        if let Some(symid) = &c.symid {
            settings.push(("symid".to_string(), symid.clone()));
        }
        settings.push(("pairs".to_string(), self.label_pairs()));
        if c.kind == CopyKind::Clone {
            settings.push(("precopy".to_string(), c.precopy.to_string()));
        }
        settings.extend([
            ("consistent".to_string(), c.consistent.to_string()),
            (
                "recreate_timeout".to_string(),
                format!("{}s", c.recreate_timeout.as_secs()),
            ),
            (
                "restore_timeout".to_string(),
                format!("{}s", c.restore_timeout.as_secs()),
            ),
            (
                "symcli_path".to_string(),
                self.symcli.dir.display().to_string(),
            ),
        ]);
        if let Some(connect) = &self.symcli.connect {
            settings.push(("symcli_connect".to_string(), connect.clone()));
        }
        settings
    }

    /// The targets' host devices as the last action's query saw them (`Device Physical
    /// Name` / `pd_name`); none before the first action.
    fn target_devices(&self) -> Vec<PathBuf> {
        std::fs::read_to_string(&self.targets_file)
            .map(|text| {
                text.lines()
                    .filter(|l| !l.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn status(&self, cx: &Ctx) -> Result<Status, Error> {
        let views = self.query(cx)?;
        Ok(evaluate(
            self.config.kind,
            &views,
            cx.common.sync_max_delay,
            cx.now(),
        ))
    }

    /// Seed 002: `recreate` (with `-precopy` for clones) of every pair not already
    /// activable; the service must be down (checked by the service layer).
    fn resync(&self, cx: &Ctx) -> Result<(), Error> {
        self.recreate(cx)
    }

    /// The same as resync: the seed documents both as re-establishing the replication.
    fn update(&self, cx: &Ctx) -> Result<(), Error> {
        self.recreate(cx)
    }

    /// Splits the targets from their sources: activate, then wait for the active state.
    fn sync_break(&self, cx: &Ctx) -> Result<(), Error> {
        self.activate(cx)
    }

    /// Copies the targets back onto the sources: restore, wait for restored, terminate the
    /// restore session (the pairs go back to their activated state).
    fn restore(&self, cx: &Ctx) -> Result<(), Error> {
        self.restore_pairs(cx)
    }

    /// Seed 002's start: activate the clones before the volume groups on them come up.
    fn start(&self, cx: &Ctx) -> Result<(), Error> {
        self.activate(cx)
    }

    /// Nothing to do on the array: the activated targets keep their point-in-time copy and
    /// the sessions stay for the next resync (which refuses to run while targets are in use).
    fn stop(&self, cx: &Ctx) -> Result<(), Error> {
        cx.log.info(&format!(
            "nothing to do on the array for stop: the {} sessions stay activated until the next sync resync",
            self.word()
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as ChronoDuration;

    fn config(kind: CopyKind, form: Form, pairs: &[&str]) -> SymConfig {
        SymConfig {
            kind,
            pairs: pairs
                .iter()
                .map(|p| Pair::parse(p, &form).expect("pair"))
                .collect(),
            form,
            symid: None,
            precopy: true,
            consistent: false,
            recreate_timeout: Duration::from_secs(300),
            restore_timeout: Duration::from_secs(300),
        }
    }

    fn session(src: &str, tgt: &str, state: &str, last: &str) -> parse::Session {
        parse::Session {
            source: src.into(),
            target: tgt.into(),
            state: state.into(),
            last_action: Some(last.into()),
            percent: Some(50),
        }
    }

    fn device(dev: &str, ld: &str, sessions: Vec<parse::Session>) -> Device {
        Device {
            dev_name: dev.into(),
            ld_name: Some(ld.into()),
            pd_name: None,
            symid: None,
            sessions,
        }
    }

    fn stamp(minutes_ago: i64) -> String {
        (Local::now() - ChronoDuration::minutes(minutes_ago))
            .format("%a %b %d %H:%M:%S %Y")
            .to_string()
    }

    #[test]
    fn group_listing_is_matched_by_logical_name() {
        let cfg = config(
            CopyKind::Clone,
            Form::Group {
                symdg: "DGCVI".into(),
            },
            &["DEV001:CLONE001", "DEV002:CLONE002"],
        );
        let devices = vec![
            device(
                "1234",
                "DEV001",
                vec![session("1234", "4321", "copied", &stamp(5))],
            ),
            device("4321", "CLONE001", vec![]),
            device("1235", "DEV002", vec![]),
        ];
        let views = observe_group(&cfg, "DGCVI", &devices);
        assert_eq!(views[0].state.as_deref(), Some("copied"));
        assert_eq!(
            views[1].problem.as_deref(),
            Some("CLONE002 not in device group DGCVI")
        );
    }

    #[test]
    fn device_listing_is_matched_by_device_value() {
        let cfg = config(
            CopyKind::Snap,
            Form::File {
                symid: "123".into(),
            },
            &["1234:4321", "1235:4322"],
        );
        let devices = vec![
            device(
                "04321",
                "",
                vec![session("01234", "04321", "copyonwrite", &stamp(5))],
            ),
            device("04322", "", vec![]),
        ];
        let views = observe_devices(&cfg, "123", &devices);
        assert_eq!(views[0].class(CopyKind::Snap), Class::Active);
        assert_eq!(
            views[1].problem.as_deref(),
            Some("1235:4322 has no snap session")
        );
    }

    fn views(states: &[(&str, i64)]) -> Vec<PairView> {
        states
            .iter()
            .enumerate()
            .map(|(i, (state, age))| PairView {
                pair: Pair {
                    source: format!("DEV{i}"),
                    target: format!("CLONE{i}"),
                },
                state: Some(state.to_string()),
                last_action: Some(stamp(*age)),
                percent: Some(10),
                pd_name: None,
                problem: None,
            })
            .collect()
    }

    #[test]
    fn status_rules() {
        let hour = Duration::from_secs(3600);
        let now = Local::now();
        assert_eq!(
            evaluate(
                CopyKind::Clone,
                &views(&[("copied", 5), ("copyinprog", 5)]),
                hour,
                now
            )
            .state,
            State::Up
        );
        assert_eq!(
            evaluate(
                CopyKind::Clone,
                &views(&[("precopy", 5), ("recreated", 5)]),
                hour,
                now
            )
            .state,
            State::Up
        );
        let partial = evaluate(
            CopyKind::Clone,
            &views(&[("copied", 5), ("precopy", 5)]),
            hour,
            now,
        );
        assert_eq!(partial.state, State::Warn);
        assert!(
            partial.reasons[0].contains("only 1/2 pairs active (not active: DEV1:CLONE1 precopy)"),
            "{:?}",
            partial.reasons
        );
        let stale = evaluate(
            CopyKind::Clone,
            &views(&[("copied", 90), ("copied", 5)]),
            hour,
            now,
        );
        assert_eq!(stale.state, State::Warn, "the oldest pair decides");
        let failed = evaluate(
            CopyKind::Clone,
            &views(&[("copied", 5), ("failed", 5)]),
            hour,
            now,
        );
        assert_eq!(failed.state, State::Down);
        assert!(failed.reasons[0].contains("DEV1:CLONE1 is in unexpected state failed"));
        assert_eq!(
            evaluate(CopyKind::Snap, &views(&[("copied", 5)]), hour, now).state,
            State::Down,
            "a snap is never copied"
        );
    }

    #[test]
    fn classes() {
        assert_eq!(classify(CopyKind::Clone, "copyinprog"), Class::Active);
        assert_eq!(classify(CopyKind::Snap, "copyinprog"), Class::Unexpected);
        assert_eq!(classify(CopyKind::Snap, "created"), Class::Activable);
        assert_eq!(classify(CopyKind::Clone, "restinprog"), Class::Restoring);
        assert!(settled(CopyKind::Clone, "copied") && !settled(CopyKind::Clone, "copyinprog"));
    }

    #[test]
    fn long_lists_are_shortened() {
        let items: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        assert_eq!(name_some(&items), "0, 1, 2, 3, 4 and 3 more");
    }
}
