//! The `necismsnap` resource: NEC iStorage snapshots through the iSMsc_* commands (seed 001).
//!
//! A resync (or update) runs four phases over the configured pairs, each one finished
//! before the next starts:
//! 1. inspect: one `iSMsc_query -bv BV -bvflg ld -detail` per base volume, which shows
//!    every SV of the BV with its state, snapshot time and linked LV: the linked-LV check,
//!    the transitional-state wait and the resume check of all the BV's pairs at once. The
//!    base volume of each SV is remembered in the resource state (`learned`); an SV not
//!    remembered, or not found under its remembered BV, is asked with `iSMsc_query -sv`.
//!    This is done before anything changes, so a stuck snapshot fails with every LV still
//!    presented;
//! 2. unlink every linked LV (`iSMsc_unlink`);
//! 3. re-create every snapshot from its base volume (`iSMsc_create`); the inspection's
//!    state check stands (the array refuses a create during a transition, and a refused
//!    create is followed by one more look, a wait and one retry);
//! 4. relink every LV (`iSMsc_link`).
//!
//! So a resync makes 3 state-changing calls and at most one read per pair (docs/drivers/
//! necism.md, "Which call proves what"). iSM takes one pair per command, so within a phase
//! the per-pair commands run concurrently, at most `max_parallel` at a time and never more
//! than the array's host-wide bound (core::semaphore). The action log still reads as seed 001:
//! each command line followed by its output, pairs in the configured order (see
//! [`Ordered`]). Busy answers (vendor-cli.md §3.5) are retried with backoff; any other
//! failure stops the phase, and every failed pair is reported.
//!
//! Resumable: the array is the truth (a rerun skips LVs already unlinked or linked), and
//! the SVs re-created so far are kept in the resource state, so a rerun after a kill does
//! not re-create them while they are fresh (younger than sync_min_delay), saying so.

use crate::command::{Programs, RESYNC_PROGRAMS, STATUS_PROGRAMS};
use crate::config::{NecIsmConfig, Pair};
use crate::error::NecIsmError;
use crate::parse::{self, BvDetail, SnapRecord, ACTIVE};
use arraysync_core::config::ResourceConfig;
use arraysync_core::duration::format_duration;
use arraysync_core::log::{Level, Logger};
use arraysync_core::poll::{bounded_map, wait_with_progress, Backoff, Probe, WaitError};
use arraysync_core::resource::is_older_than;
use arraysync_core::runner::{Output, VendorCommand};
use arraysync_core::semaphore::{ArraySemaphore, Permit};
use arraysync_core::state::{Durability, Pending};
use arraysync_core::{unsupported, CommandError, Ctx, Error, Paths, Status, SyncResource};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TYPE: &str = "necismsnap";

/// Steps recorded in the resource state while a resync runs (`Pending::step`); the
/// pending items are the SVs already re-created.
const STEP_CREATE: &str = "create";
const STEP_LINK: &str = "link";

/// Busy answers: up to 8 attempts, 1 s doubling to 15 s between them (about 1.5 min).
const RETRY_ATTEMPTS: u32 = 8;
const RETRY_BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(15));
/// Transitional snapshot states: first poll after 2 s, then up to every 30 s (OpenSVC's period).
const WAIT_BACKOFF: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(30));
/// How long a command waits for a slot of the array's host-wide bound, in command
/// timeouts: a slot is held by one command, killed at its timeout, so waiting this long
/// means the host runs far more work on the array than its bound lets through.
const SLOT_WAIT_TIMEOUTS: u32 = 8;
/// The semaphore name of an iSM resource without `array`: every such resource of the
/// host shares one bound.
const UNNAMED_ARRAY: &str = "necism";
/// How often, at most, the create phase records the SVs re-created so far.
const SAVE_EVERY: Duration = Duration::from_millis(500);

/// Whether a command may create the array's semaphore files (state-changing actions) or
/// only use them when they exist (status, start, dry runs: read-only actions create
/// nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Change,
    ReadOnly,
}

pub struct NecIsm {
    config: NecIsmConfig,
    programs: Programs,
    /// Where the programs were looked for, for the "Can not find" message.
    searched: String,
}

/// Builds the resource: keywords, and where the iSM programs are (a missing program is
/// reported when an action needs it, not as a configuration error).
pub fn build(section: &ResourceConfig, paths: &Paths) -> Result<Box<dyn SyncResource>, Error> {
    let config = NecIsmConfig::from_section(section)?;
    let searched = match paths.root() {
        Some(root) => format!("{} then PATH", root.join("usr/bin").display()),
        None => "PATH".to_string(),
    };
    Ok(Box::new(NecIsm {
        config,
        programs: Programs::locate(paths),
        searched,
    }))
}

/// Keeps the action log in the configured pair order while per-pair commands run
/// concurrently: the pair at the head of the order logs as it goes, the others hold their
/// lines until every pair before them is done. Each command line is also written at
/// DEBUG by the runner the moment it starts, so the log file records every command
/// before it runs even when its INFO line is held.
struct Ordered<'a> {
    log: &'a Logger,
    order: Mutex<Order>,
}

struct Order {
    head: usize,
    done: Vec<bool>,
    held: Vec<Vec<(Level, String)>>,
}

impl<'a> Ordered<'a> {
    fn new(log: &'a Logger, count: usize) -> Self {
        Ordered {
            log,
            order: Mutex::new(Order {
                head: 0,
                done: vec![false; count],
                held: vec![Vec::new(); count],
            }),
        }
    }

    fn emit(&self, index: usize, level: Level, message: &str) {
        match self.order.lock() {
            Ok(mut order) if index != order.head => {
                if let Some(held) = order.held.get_mut(index) {
                    held.push((level, message.to_string()));
                }
            }
            // The head logs live (under the lock, so a flush cannot overtake it).
            Ok(_order) => self.log.log(level, message),
            Err(_) => self.log.log(level, message),
        }
    }

    /// Marks a pair done and flushes the held lines of the pairs now at the head.
    fn finish(&self, index: usize) {
        let Ok(mut order) = self.order.lock() else {
            return;
        };
        if let Some(done) = order.done.get_mut(index) {
            *done = true;
        }
        while order.done.get(order.head).copied().unwrap_or(false) {
            order.head += 1;
            let head = order.head;
            if let Some(held) = order.held.get_mut(head) {
                for (level, message) in std::mem::take(held) {
                    self.log.log(level, &message);
                }
            }
        }
    }
}

/// One pair's place in a phase's log order.
struct Slot<'a> {
    order: &'a Ordered<'a>,
    index: usize,
}

impl Slot<'_> {
    fn log(&self, level: Level, message: &str) {
        self.order.emit(self.index, level, message);
    }

    fn info(&self, message: &str) {
        self.log(Level::Info, message);
    }
}

/// What the inspection found about one pair.
#[derive(Debug, Clone)]
struct Inspected {
    bv: String,
    linked: bool,
    /// The SV's snapshot time, as the array reports it.
    taken: Option<DateTime<Local>>,
}

/// Whether a pair (by index) needs no create, so its BV's transitions need no wait.
type Settled<'a> = dyn Fn(usize, &SnapRecord) -> bool + Sync + 'a;

/// Pairs that share a base volume: one read for all of them.
#[derive(Debug, Clone)]
struct Group {
    bv: String,
    /// Indexes into the configured pairs.
    pairs: Vec<usize>,
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BV:{}", self.bv)
    }
}

/// Groups pairs by base volume, groups in the order of their first pair.
fn group_by_bv<'a>(bvs: impl Iterator<Item = (usize, &'a str)>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, bv) in bvs {
        match at.get(bv) {
            Some(g) => groups[*g].pairs.push(index),
            None => {
                at.insert(bv, groups.len());
                groups.push(Group {
                    bv: bv.to_string(),
                    pairs: vec![index],
                });
            }
        }
    }
    groups
}

/// An interrupted resync found in the resource state.
#[derive(Debug, Clone, Default)]
struct Resume {
    since: Option<DateTime<Local>>,
    created: BTreeSet<String>,
}

/// What status found about one pair.
#[derive(Debug, Default)]
struct PairStatus {
    time: Option<DateTime<Local>>,
    reasons: Vec<String>,
}

fn local_time(naive: NaiveDateTime) -> Option<DateTime<Local>> {
    Local.from_local_datetime(&naive).earliest()
}

/// A snapshot's time, as the array reports it (read as the host's local time).
fn taken(record: &SnapRecord) -> Option<DateTime<Local>> {
    record.timestamp.and_then(local_time)
}

fn format_time(time: DateTime<Local>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// stdout at INFO; stderr at ERROR on failure, WARNING on success (the runner's rule).
fn log_output(slot: &Slot, output: &Output) {
    let stdout = output.stdout.trim_end();
    if !stdout.trim().is_empty() {
        slot.info(stdout);
    }
    let stderr = output.stderr.trim_end();
    if stderr.trim().is_empty() {
        return;
    }
    if output.code == 0 {
        slot.log(
            Level::Warning,
            &format!("command successful but stderr:\n{stderr}"),
        );
    } else {
        slot.log(Level::Error, stderr);
    }
}

/// A retry delay for the log: jittered (issue 8), so milliseconds under ten seconds.
fn jittered_delay_text(delay: Duration) -> String {
    if delay < Duration::from_secs(10) {
        format!("{}ms", delay.as_millis())
    } else {
        format_duration(delay)
    }
}

/// A failed iSM command as a core command error: its iSM message (stderr, else stdout).
fn command_failed(command: &VendorCommand, output: &Output) -> Error {
    let text = if output.stderr.trim().is_empty() {
        &output.stdout
    } else {
        &output.stderr
    };
    CommandError::Exit {
        program: command
            .display_name
            .clone()
            .unwrap_or_else(|| command.program_name()),
        code: output.code,
        stderr: text.trim().to_string(),
    }
    .into()
}

impl NecIsm {
    fn timeout(&self, cx: &Ctx) -> Duration {
        cx.common.timeout
    }

    /// The iSM commands installed (seed 001 prerequisites). The host agent and the volume
    /// list are not asked for up front: every iSM command fails without them, so the first
    /// failed read is diagnosed instead ([`NecIsm::diagnose`]), a call saved per action.
    fn prerequisites(&self, needed: &[&'static str]) -> Result<(), Error> {
        let missing = self.programs.missing(needed);
        if !missing.is_empty() {
            return Err(NecIsmError::MissingPrograms {
                programs: missing,
                searched: self.searched.clone(),
            }
            .into());
        }
        Ok(())
    }

    /// After a failed read: `iSMvollist -d`, which fails when the host agent is not
    /// registered or the volume list was never built; that is then the error reported,
    /// else the read's own.
    fn diagnose(&self, cx: &Ctx, access: Access, error: Error) -> Error {
        match self.query(cx, access, &self.programs.vollist_arrays(self.timeout(cx))) {
            Err(e) => NecIsmError::Prerequisite(e.to_string()).into(),
            Ok(_) => error,
        }
    }

    /// The array's host-wide bound (core::semaphore), named by `array` when set.
    fn semaphore(&self, cx: &Ctx) -> ArraySemaphore {
        let name = self.config.array.as_deref().unwrap_or(UNNAMED_ARRAY);
        ArraySemaphore::for_array(cx.paths, name)
    }

    /// A slot of the array's bound for one command (none for a read-only action on a host
    /// where no state-changing action ever made the slot files).
    fn permit(&self, cx: &Ctx, access: Access) -> Result<Option<Permit>, Error> {
        let semaphore = self.semaphore(cx);
        let wait = self.timeout(cx).saturating_mul(SLOT_WAIT_TIMEOUTS);
        if access == Access::ReadOnly || cx.dry_run() {
            semaphore.acquire_existing(wait)
        } else {
            semaphore.acquire(wait).map(Some)
        }
    }

    /// At most this many commands of the resource at once: `max_parallel`, within the
    /// array's host-wide bound.
    fn parallel(&self, cx: &Ctx) -> usize {
        self.config
            .max_parallel
            .min(self.semaphore(cx).bound())
            .max(1)
    }

    /// Runs a query under the array's bound, retrying busy answers; returns stdout.
    fn query(&self, cx: &Ctx, access: Access, command: &VendorCommand) -> Result<String, Error> {
        let mut attempt = 0;
        loop {
            let output = {
                let _permit = self.permit(cx, access)?;
                cx.runner.run_status(cx.log, command)?
            };
            if output.code == 0 {
                return Ok(output.stdout);
            }
            if !self.retry_busy(command, &output, attempt, |level, m| cx.log.log(level, m)) {
                return Err(command_failed(command, &output));
            }
            attempt += 1;
        }
    }

    /// After a failed attempt: when the answer is "busy" and attempts remain, logs the
    /// retry, sleeps the backoff and returns true.
    fn retry_busy(
        &self,
        command: &VendorCommand,
        output: &Output,
        attempt: u32,
        log: impl Fn(Level, &str),
    ) -> bool {
        let text = format!("{}\n{}", output.stdout, output.stderr);
        if !parse::is_retryable(&text) || attempt + 1 >= RETRY_ATTEMPTS {
            return false;
        }
        let delay = RETRY_BACKOFF.jittered(attempt);
        let ids: Vec<&str> = parse::message_ids(&text)
            .into_iter()
            .filter(|id| parse::RETRYABLE_IDS.contains(id))
            .collect();
        log(
            Level::Warning,
            &format!(
                "{}: array busy ({}), retry {} of {} in {}",
                command.display_name.as_deref().unwrap_or("iSM"),
                ids.join(", "),
                attempt + 1,
                RETRY_ATTEMPTS - 1,
                jittered_delay_text(delay)
            ),
        );
        std::thread::sleep(delay);
        true
    }

    /// Runs a state-changing command under the array's bound: its line and output go to
    /// the ordered log, busy answers are retried (the slot is given back while waiting).
    /// In a dry run the runner logs it and does not run it.
    fn act(&self, cx: &Ctx, slot: &Slot, command: &VendorCommand) -> Result<(), Error> {
        if cx.dry_run() {
            cx.runner.run_status(cx.log, command)?;
            return Ok(());
        }
        // Run as a query so the runner logs the line at DEBUG as it starts and leaves the
        // INFO lines to the ordered log.
        let quiet = command.clone().query();
        let mut attempt = 0;
        loop {
            let output = {
                let _permit = self.permit(cx, Access::Change)?;
                slot.info(&command.display_line());
                cx.runner.run_status(cx.log, &quiet)?
            };
            log_output(slot, &output);
            if output.code == 0 {
                // Exit 0 is not enough: the command's own confirmation line must be there
                // (issue 8); an empty or unrecognised answer is an error.
                let program = command
                    .display_name
                    .clone()
                    .unwrap_or_else(|| command.program_name());
                let text = format!("{}\n{}", output.stdout, output.stderr);
                if parse::confirms(&program, &text) {
                    return Ok(());
                }
                return Err(NecIsmError::Output {
                    program: program.clone(),
                    message: format!(
                        "exited 0 without its confirmation ('{program} has normally terminated.'); \
                         check the pair on the array before rerunning"
                    ),
                }
                .into());
            }
            if !self.retry_busy(command, &output, attempt, |level, m| slot.log(level, m)) {
                return Err(command_failed(command, &output));
            }
            attempt += 1;
        }
    }
    /// Runs `f` on every item, at most `max_parallel` at once (one at a time in a dry
    /// run), the log kept in item order. After a failure no new item starts; the error
    /// names every failed item and how many were not attempted.
    fn run_phase<T, R, F>(&self, cx: &Ctx, step: &str, items: &[T], f: F) -> Result<Vec<R>, Error>
    where
        T: Sync + std::fmt::Display,
        R: Send,
        F: Fn(&Slot, &T) -> Result<R, Error> + Sync,
    {
        let order = Ordered::new(cx.log, items.len());
        let stop = AtomicBool::new(false);
        let indexed: Vec<(usize, &T)> = items.iter().enumerate().collect();
        let bound = if cx.dry_run() { 1 } else { self.parallel(cx) };
        let results = bounded_map(&indexed, bound, |(index, item)| {
            let slot = Slot {
                order: &order,
                index: *index,
            };
            let result = if stop.load(Ordering::SeqCst) {
                None
            } else {
                let result = f(&slot, item);
                if result.is_err() {
                    stop.store(true, Ordering::SeqCst);
                }
                Some(result)
            };
            order.finish(*index);
            result
        });
        let mut values = Vec::with_capacity(items.len());
        let mut failures = Vec::new();
        let mut not_attempted = 0;
        for (item, result) in items.iter().zip(results) {
            match result {
                Some(Ok(value)) => values.push(value),
                Some(Err(e)) => failures.push(format!("{item}: {e}")),
                None => not_attempted += 1,
            }
        }
        if failures.is_empty() && not_attempted == 0 {
            return Ok(values);
        }
        Err(NecIsmError::Phase {
            step: step.to_string(),
            total: items.len(),
            failures,
            not_attempted,
        }
        .into())
    }

    /// `iSMsc_query -sv`: the SV's base volume.
    fn base_volume(&self, cx: &Ctx, access: Access, sv: &str) -> Result<String, Error> {
        let text = self
            .query(cx, access, &self.programs.query_sv(sv, self.timeout(cx)))
            .map_err(|e| NecIsmError::BaseVolume {
                sv: sv.to_string(),
                detail: e.to_string(),
            })?;
        let query = parse::query_sv(&text)?;
        let bv = query.bv.clone().ok_or_else(|| NecIsmError::BaseVolume {
            sv: sv.to_string(),
            detail: "no LD Name in the BV Information of iSMsc_query".into(),
        })?;
        if query.sv(sv).is_none() {
            return Err(NecIsmError::SvNotFound {
                sv: sv.to_string(),
                detail: format!("no SV line in iSMsc_query -sv, BV:{bv}"),
            }
            .into());
        }
        Ok(bv)
    }

    /// `iSMsc_query -bv BV -bvflg ld -detail`: every SV of the BV.
    fn bv_detail(&self, cx: &Ctx, access: Access, bv: &str) -> Result<BvDetail, Error> {
        let text = self.query(
            cx,
            access,
            &self.programs.query_bv_detail(bv, self.timeout(cx)),
        )?;
        Ok(parse::query_bv_detail(&text)?)
    }

    /// The base volumes remembered from earlier runs, for the configured SVs only.
    fn remembered(&self, cx: &Ctx) -> Result<BTreeMap<String, String>, Error> {
        let learned = cx.state.load()?.learned;
        Ok(self
            .config
            .pairs
            .iter()
            .filter_map(|p| learned.get(&p.sv).map(|bv| (p.sv.clone(), bv.clone())))
            .collect())
    }

    /// Each pair's base volume and its BV's detail, one read per BV; SVs whose BV is not
    /// remembered (or no longer holds them) are asked with `iSMsc_query -sv` first. With
    /// `settle`, waits per BV while a snapshot of it is changing state (not for BVs whose
    /// pairs all satisfy `settled`). Returns the BV and the record of every pair.
    fn read_pairs(
        &self,
        cx: &Ctx,
        access: Access,
        step: &str,
        settle: Option<&Settled<'_>>,
    ) -> Result<Vec<(String, SnapRecord)>, Error> {
        let pairs = &self.config.pairs;
        let mut bvs: Vec<Option<String>> = {
            let remembered = self.remembered(cx)?;
            pairs
                .iter()
                .map(|p| remembered.get(&p.sv).cloned())
                .collect()
        };
        let mut asked = vec![false; pairs.len()];
        let mut records: Vec<Option<SnapRecord>> = vec![None; pairs.len()];
        // Twice at most: the second round re-asks the SVs missing under a remembered BV.
        for _round in 0..2 {
            let unknown: Vec<usize> = (0..pairs.len()).filter(|i| bvs[*i].is_none()).collect();
            let unknown_pairs: Vec<&Pair> = unknown.iter().map(|i| &pairs[*i]).collect();
            // Every base volume remembered (the usual run): no phase to start.
            let learned = if unknown_pairs.is_empty() {
                Vec::new()
            } else {
                self.run_phase(cx, step, &unknown_pairs, |_, p| {
                    self.base_volume(cx, access, &p.sv)
                })?
            };
            for (index, bv) in unknown.iter().zip(learned) {
                bvs[*index] = Some(bv);
                asked[*index] = true;
            }
            let groups = group_by_bv(
                (0..pairs.len())
                    .filter(|i| records[*i].is_none())
                    .filter_map(|i| bvs[i].as_deref().map(|bv| (i, bv))),
            );
            let details = self.run_phase(cx, step, &groups, |slot, group| match settle {
                Some(settled) => self.wait_stable(cx, slot, group, settled),
                None => self.bv_detail(cx, access, &group.bv),
            })?;
            let mut stale = false;
            for (group, detail) in groups.iter().zip(&details) {
                for index in &group.pairs {
                    let pair = &pairs[*index];
                    match detail.sv(&pair.sv) {
                        Some(record) => records[*index] = Some(record.clone()),
                        None if asked[*index] => {
                            return Err(NecIsmError::SvNotFound {
                                sv: pair.sv.clone(),
                                detail: format!(
                                    "not among the SVs of BV:{} in iSMsc_query -detail",
                                    group.bv
                                ),
                            }
                            .into())
                        }
                        None => {
                            // Remembered wrong (the SV was bound to another BV): ask.
                            bvs[*index] = None;
                            stale = true;
                        }
                    }
                }
            }
            if !stale {
                break;
            }
        }
        pairs
            .iter()
            .zip(bvs.into_iter().zip(records))
            .map(|(pair, found)| match found {
                (Some(bv), Some(record)) => Ok((bv, record)),
                _ => Err(NecIsmError::SvNotFound {
                    sv: pair.sv.clone(),
                    detail: "not found under its base volume".into(),
                }
                .into()),
            })
            .collect()
    }

    /// Remembers the base volumes for the next run (only when they changed).
    fn remember(&self, cx: &Ctx, bvs: &[&str]) -> Result<(), Error> {
        if cx.dry_run() {
            return Ok(());
        }
        let fresh: BTreeMap<String, String> = self
            .config
            .pairs
            .iter()
            .zip(bvs)
            .map(|(p, bv)| (p.sv.clone(), bv.to_string()))
            .collect();
        if self.remembered(cx)? == fresh {
            return Ok(());
        }
        cx.state
            .update_with(Durability::Atomic, |s| s.learned = fresh)
    }

    /// Reads a BV's detail, waiting (bounded by `state_wait_timeout`) while an SV of it is
    /// in a transitional state, unless every pair of the group is `settled` (its create is
    /// skipped); fails naming the SVs and states when they do not settle. A dry run looks
    /// once. Returns the last detail read.
    fn wait_stable(
        &self,
        cx: &Ctx,
        slot: &Slot,
        group: &Group,
        settled: &Settled<'_>,
    ) -> Result<BvDetail, Error> {
        let bv = &group.bv;
        let names: Vec<&str> = group
            .pairs
            .iter()
            .filter_map(|i| self.config.pairs.get(*i).map(|p| p.sv.as_str()))
            .collect();
        let sv = names.join(", SV:");
        let limit = if cx.dry_run() {
            Duration::ZERO
        } else {
            self.config.state_wait_timeout
        };
        let mut announced = false;
        let mut last = None;
        let progress = |line: &str| slot.info(line);
        let waited = wait_with_progress(limit, WAIT_BACKOFF, progress, |_| {
            let detail = self.bv_detail(cx, Access::Change, bv)?;
            let all_settled = group.pairs.iter().all(|i| {
                self.config
                    .pairs
                    .get(*i)
                    .and_then(|p| detail.sv(&p.sv))
                    .is_some_and(|r| settled(*i, r))
            });
            let busy: Vec<String> = detail
                .transitional()
                .iter()
                .map(|s| format!("SV:{} {}", s.sv, s.state))
                .collect();
            let svs = detail.svs.len();
            last = Some(detail);
            if busy.is_empty() || all_settled {
                return Ok::<_, Error>(Probe::Ready(()));
            }
            if !announced && !cx.dry_run() {
                slot.info(&format!(
                    "SV are changing states: {}; waiting up to {} before re-creating SV:{sv}",
                    busy.join(", "),
                    format_duration(limit)
                ));
                announced = true;
            }
            Ok(Probe::Counted {
                done: svs.saturating_sub(busy.len()),
                total: svs,
                goal: format!("SVs of BV:{bv} settled (still {})", busy.join(", ")),
                last: busy.join(", "),
            })
        });
        match waited {
            Ok(()) => {}
            Err(WaitError::Failed(e)) => return Err(e),
            Err(WaitError::TimedOut { last, .. }) if cx.dry_run() => {
                slot.info(&format!("dry run: {last} of BV:{bv} changing state; a real run waits up to {} before re-creating SV:{sv}", format_duration(self.config.state_wait_timeout)));
            }
            Err(WaitError::TimedOut { last, .. }) => {
                return Err(NecIsmError::StateWait {
                    sv,
                    bv: bv.to_string(),
                    busy: last,
                    waited: format_duration(limit),
                }
                .into())
            }
        }
        last.ok_or_else(|| Error::Failed(format!("internal error: BV:{bv} never read")))
    }
    /// The interrupted resync recorded in the resource state, if any.
    fn resume(&self, cx: &Ctx) -> Result<Resume, Error> {
        let Some(pending) = cx.state.load()?.pending else {
            return Ok(Resume::default());
        };
        if ![STEP_CREATE, STEP_LINK].contains(&pending.step.as_str()) {
            return Ok(Resume::default());
        }
        cx.log.info(&format!(
            "resuming the {} interrupted at its {} phase (started {}): {} SV(s) already re-created",
            pending.action.replace('_', " "),
            pending.step,
            format_time(pending.since),
            pending.items.len()
        ));
        Ok(Resume {
            since: Some(pending.since),
            created: pending.items.into_iter().collect(),
        })
    }

    fn save_step(
        &self,
        cx: &Ctx,
        action: &str,
        step: &str,
        since: DateTime<Local>,
        created: &BTreeSet<String>,
    ) -> Result<(), Error> {
        if cx.dry_run() {
            return Ok(());
        }
        let pending = Pending {
            action: action.to_string(),
            step: step.to_string(),
            items: created.iter().cloned().collect(),
            since,
        };
        // Atomic, not synced: the array is the truth (a rerun without this record finds the
        // LVs' links and re-creates every snapshot); the record only saves redundant work
        // after a kill, and fsyncs would sit on the critical path.
        cx.state
            .update_with(Durability::Atomic, |s| s.pending = Some(pending))
    }

    /// resync and update: inspect, unlink, create, link (module docs).
    fn refresh(&self, cx: &Ctx, action: &str) -> Result<(), Error> {
        self.prerequisites(RESYNC_PROGRAMS)?;
        let pending = self.resume(cx)?;
        let since = pending.since.unwrap_or_else(arraysync_core::clock::now);
        let pairs = &self.config.pairs;
        let found = {
            let settled = |index: usize, record: &SnapRecord| {
                pairs
                    .get(index)
                    .is_some_and(|p| self.recreated(cx, &pending, &p.sv, taken(record)))
            };
            self.read_pairs(cx, Access::Change, "inspection", Some(&settled))
                .map_err(|e| self.diagnose(cx, Access::Change, e))?
        };
        let facts: Vec<Inspected> = pairs
            .iter()
            .zip(&found)
            .map(|(pair, (bv, record))| Inspected {
                bv: bv.clone(),
                linked: record.is_linked_to(&pair.lv),
                taken: taken(record),
            })
            .collect();
        let bvs: Vec<&str> = facts.iter().map(|f| f.bv.as_str()).collect();
        self.remember(cx, &bvs)?;
        let resume = self.trusted(cx, pending, pairs, &facts);
        let work: Vec<Work> = pairs
            .iter()
            .zip(&facts)
            .map(|(pair, found)| Work { pair, found })
            .collect();

        // No state is recorded for the unlink phase: a rerun finds the LVs it unlinked
        // already unlinked on the array.
        let still_linked = self.run_phase(cx, "iSMsc_unlink", &work, |slot, w| {
            self.unlink_one(cx, slot, w, &resume)
        })?;
        self.save_step(cx, action, STEP_CREATE, since, &resume.created)?;

        let created = Mutex::new(resume.created.clone());
        // Creates of SVs of one BV run one after another: a create may put its BV's
        // snapshots in a transitional state the next one would be refused for.
        let bv_turns: BTreeMap<&str, Mutex<()>> =
            bvs.iter().map(|bv| (*bv, Mutex::new(()))).collect();
        let run = Run {
            action,
            since,
            resume: &resume,
            created: &created,
            bv_turns: &bv_turns,
            saved: &Mutex::new(None),
        };
        self.run_phase(cx, "iSMsc_create", &work, |slot, w| {
            self.create_one(cx, slot, w, &run)
        })?;
        let done = created.lock().map(|d| d.clone()).unwrap_or_default();
        self.save_step(cx, action, STEP_LINK, since, &done)?;

        let links: Vec<LinkWork> = work
            .iter()
            .zip(still_linked)
            .map(|(work, linked)| LinkWork { work, linked })
            .collect();
        self.run_phase(cx, "iSMsc_link", &links, |slot, l| {
            let pair = l.work.pair;
            if l.linked {
                slot.info(&format!(
                    "SV:{} is already linked to LD:{}",
                    pair.sv, pair.lv
                ));
                return Ok(());
            }
            self.act(
                cx,
                slot,
                &self.programs.link(&pair.lv, &pair.sv, self.timeout(cx)),
            )
        })?;
        if !cx.dry_run() {
            cx.state
                .update_with(Durability::Atomic, |s| s.pending = None)?;
        }
        Ok(())
    }

    /// True when the interrupted run re-created `sv` and its snapshot is still fresh:
    /// younger than sync_min_delay by the array's clock. A rerun the next night re-creates
    /// everything rather than keep the snapshots of the night before.
    fn recreated(
        &self,
        cx: &Ctx,
        resume: &Resume,
        sv: &str,
        taken: Option<DateTime<Local>>,
    ) -> bool {
        resume.created.contains(sv)
            && taken.is_some_and(|taken| !is_older_than(taken, cx.common.sync_min_delay, cx.now()))
    }

    /// The interrupted run's re-created SVs that are still fresh; the others are logged
    /// and re-created again.
    fn trusted(&self, cx: &Ctx, mut resume: Resume, pairs: &[Pair], facts: &[Inspected]) -> Resume {
        let mut fresh = BTreeSet::new();
        for (pair, found) in pairs.iter().zip(facts) {
            if self.recreated(cx, &resume, &pair.sv, found.taken) {
                fresh.insert(pair.sv.clone());
            } else if resume.created.contains(&pair.sv) {
                let when = found
                    .taken
                    .map_or("an unknown time".to_string(), format_time);
                cx.log.info(&format!(
                    "SV:{} was re-created by the interrupted run, but its snapshot of {when} is older than sync_min_delay ({}): re-creating it",
                    pair.sv,
                    format_duration(cx.common.sync_min_delay)
                ));
            }
        }
        resume.created = fresh;
        resume
    }

    /// Re-creates a pair's snapshot from its base volume, unless the interrupted run did;
    /// records it at once, so a kill later in the phase does not re-create it again. The
    /// inspection found the BV settled; if the array still refuses the create, one more
    /// look: while a snapshot of the BV is changing state, wait and try once more.
    fn create_one(&self, cx: &Ctx, slot: &Slot, w: &Work, run: &Run) -> Result<(), Error> {
        let sv = &w.pair.sv;
        if run.resume.created.contains(sv) {
            slot.info(&format!(
                "SV:{sv} was already re-created by the {} started {}, create skipped",
                run.action.replace('_', " "),
                format_time(run.since)
            ));
            return Ok(());
        }
        let bv = &w.found.bv;
        let _turn = run
            .bv_turns
            .get(bv.as_str())
            .map(|turn| turn.lock().map_err(|_| ()));
        let create = self.programs.create(bv, sv, self.timeout(cx));
        if let Err(refused) = self.act(cx, slot, &create) {
            let moving = self
                .bv_detail(cx, Access::Change, bv)
                .is_ok_and(|d| !d.transitional().is_empty());
            if !moving {
                return Err(refused);
            }
            let group = Group {
                bv: bv.clone(),
                pairs: self
                    .config
                    .pairs
                    .iter()
                    .position(|p| p.sv == *sv)
                    .into_iter()
                    .collect(),
            };
            self.wait_stable(cx, slot, &group, &|_, _| false)?;
            self.act(cx, slot, &create)?;
        }
        let mut done = run
            .created
            .lock()
            .map_err(|_| Error::Failed("internal error: state lock poisoned".into()))?;
        done.insert(sv.clone());
        if !run.save_due() {
            return Ok(());
        }
        self.save_step(cx, run.action, STEP_CREATE, run.since, &done)
    }
    /// Unlinks a pair's LV unless it is already unlinked, or linked to an SV the
    /// interrupted run re-created; returns whether the LV stays linked.
    fn unlink_one(&self, cx: &Ctx, slot: &Slot, w: &Work, resume: &Resume) -> Result<bool, Error> {
        let pair = w.pair;
        if !w.found.linked {
            slot.info(&format!(
                "SV:{} is already unlinked from LD:{}",
                pair.sv, pair.lv
            ));
            return Ok(false);
        }
        if resume.created.contains(&pair.sv) {
            slot.info(&format!(
                "SV:{} was re-created by the interrupted run and LD:{} is linked to it again, unlink skipped",
                pair.sv, pair.lv
            ));
            return Ok(true);
        }
        self.act(cx, slot, &self.programs.unlink(&pair.lv, self.timeout(cx)))?;
        Ok(false)
    }

    /// Status of one pair from its BV's detail record: the SV's snapshot time and state,
    /// the LV's link.
    fn pair_status(&self, pair: &Pair, record: &SnapRecord) -> PairStatus {
        let mut status = PairStatus::default();
        if record.state != ACTIVE {
            status
                .reasons
                .push(format!("SV:{} in state {}", pair.sv, record.state));
        }
        match taken(record) {
            Some(time) => status.time = Some(time),
            None => status
                .reasons
                .push(format!("unable to get timestamp for SV:{}", pair.sv)),
        }
        if !record.is_linked_to(&pair.lv) {
            status
                .reasons
                .push(format!("LD:{} is not linked to SV:{}", pair.lv, pair.sv));
        }
        status
    }

    /// Every pair's status: one `iSMsc_query -bv -detail` per base volume (plus
    /// `iSMsc_query -sv` for SVs whose BV no resync remembered), concurrently under the
    /// bound; reasons in pair order. A failed read is diagnosed (prerequisites) and
    /// reported as an error, like the resync does.
    fn pair_statuses(&self, cx: &Ctx) -> Result<(Vec<String>, Option<DateTime<Local>>), Error> {
        let found = self
            .read_pairs(cx, Access::ReadOnly, "status query", None)
            .map_err(|e| self.diagnose(cx, Access::ReadOnly, e))?;
        let mut reasons = Vec::new();
        let mut oldest: Option<DateTime<Local>> = None;
        for (pair, (_, record)) in self.config.pairs.iter().zip(&found) {
            let status = self.pair_status(pair, record);
            reasons.extend(status.reasons);
            if let Some(time) = status.time {
                oldest = Some(oldest.map_or(time, |o| o.min(time)));
            }
        }
        Ok((reasons, oldest))
    }
}

/// A pair and what its inspection found.
struct Work<'a> {
    pair: &'a Pair,
    found: &'a Inspected,
}

impl std::fmt::Display for Work<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pair.fmt(f)
    }
}

/// A pair of the link phase: whether its LV is still linked (to its re-created SV).
struct LinkWork<'a> {
    work: &'a Work<'a>,
    linked: bool,
}

impl std::fmt::Display for LinkWork<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.work.fmt(f)
    }
}

/// One resync run: what the create phase shares between pairs.
struct Run<'a> {
    action: &'a str,
    since: DateTime<Local>,
    resume: &'a Resume,
    /// SVs re-created so far (by this run or the interrupted one).
    created: &'a Mutex<BTreeSet<String>>,
    /// One turn per base volume: its creates run one at a time.
    bv_turns: &'a BTreeMap<&'a str, Mutex<()>>,
    /// When the re-created SVs were last recorded.
    saved: &'a Mutex<Option<Instant>>,
}

impl Run<'_> {
    /// True (and noted) when the re-created SVs were not recorded in the last
    /// [`SAVE_EVERY`]: one state write per create cost 1,024 rewrites of a growing file at
    /// 1,024 pairs. A kill loses at most that much of the record, whose SVs a rerun then
    /// re-creates once more (the record only saves redundant work, see `save_step`); the
    /// end of the phase records them all.
    fn save_due(&self) -> bool {
        let Ok(mut saved) = self.saved.lock() else {
            return true;
        };
        if saved.is_some_and(|at| at.elapsed() < SAVE_EVERY) {
            return false;
        }
        *saved = Some(Instant::now());
        true
    }
}

impl SyncResource for NecIsm {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn label(&self) -> String {
        let pairs: Vec<String> = self.config.pairs.iter().map(Pair::to_string).collect();
        match &self.config.array {
            Some(array) => format!("NecIsm snapshot {array} {}", pairs.join(",")),
            None => format!("NecIsm snapshot {}", pairs.join(",")),
        }
    }

    fn settings(&self) -> Vec<(String, String)> {
        let mut settings = vec![
            (
                "array".to_string(),
                self.config.array.clone().unwrap_or_default(),
            ),
            (
                "devs".to_string(),
                self.config
                    .pairs
                    .iter()
                    .map(Pair::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            (
                "max_parallel".to_string(),
                self.config.max_parallel.to_string(),
            ),
            (
                "state_wait_timeout".to_string(),
                format_duration(self.config.state_wait_timeout),
            ),
        ];
        settings.extend(self.programs.describe());
        settings
    }

    /// LVs are array LD names; their host device names are not known here.
    fn target_devices(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Seed 001: up when the oldest SV snapshot is younger than sync_max_delay; warn when
    /// older, or when an SV is missing or not snap/active, or an LV is not linked to its SV.
    fn status(&self, cx: &Ctx) -> Result<Status, Error> {
        self.prerequisites(STATUS_PROGRAMS)?;
        let (reasons, oldest) = self.pair_statuses(cx)?;
        let mut status =
            Status::from_last_sync(oldest, cx.common.sync_max_delay, cx.now(), reasons);
        if let Some(oldest) = oldest {
            status
                .info
                .push(format!("oldest snapshot taken {}", format_time(oldest)));
        }
        Ok(status)
    }

    fn resync(&self, cx: &Ctx) -> Result<(), Error> {
        self.refresh(cx, "sync_resync")
    }

    fn update(&self, cx: &Ctx) -> Result<(), Error> {
        self.refresh(cx, "sync_update")
    }

    fn sync_break(&self, _cx: &Ctx) -> Result<(), Error> {
        Err(unsupported(
            "sync break",
            TYPE,
            "a snapshot is a point-in-time image presented through its link volume; there is no replication to split (use 'sync resync' to refresh it)",
        ))
    }

    fn restore(&self, _cx: &Ctx) -> Result<(), Error> {
        Err(unsupported(
            "sync restore",
            TYPE,
            "restoring a base volume from its snapshot (iSMsc_restore) overwrites the production volume; run it with the iSM commands",
        ))
    }

    /// Before the service uses the LVs: every SV present and snap/active, every LV linked
    /// to its SV, so a service never starts on an LV presenting nothing.
    fn start(&self, cx: &Ctx) -> Result<(), Error> {
        self.prerequisites(STATUS_PROGRAMS)?;
        let (problems, oldest) = self.pair_statuses(cx)?;
        if !problems.is_empty() {
            return Err(Error::Failed(format!(
                "snapshot link volumes not usable: {}",
                problems.join("; ")
            )));
        }
        let when = oldest.map_or("an unknown time".to_string(), format_time);
        cx.log.info(&format!(
            "link volumes present the snapshots of {when} (oldest); nothing to do on the array"
        ));
        Ok(())
    }

    /// Nothing to do on the array: the LVs stay linked to their snapshots.
    fn stop(&self, cx: &Ctx) -> Result<(), Error> {
        cx.log.info("nothing to do on the array for stop: the link volumes stay linked to their snapshots until the next resync");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture() -> (tempfile::TempDir, Logger) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log =
            Logger::open("svc", Some(&dir.path().join("svc.log")), Level::Error).expect("logger");
        (dir, log)
    }

    fn read(dir: &tempfile::TempDir) -> String {
        std::fs::read_to_string(dir.path().join("svc.log")).unwrap_or_default()
    }

    fn messages(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split(" - INFO - ").nth(1))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn pairs_are_grouped_by_base_volume_in_first_pair_order() {
        let groups = group_by_bv([(0, "B2"), (1, "B1"), (2, "B2"), (3, "B3")].into_iter());
        let shape: Vec<(&str, Vec<usize>)> = groups
            .iter()
            .map(|g| (g.bv.as_str(), g.pairs.clone()))
            .collect();
        assert_eq!(
            shape,
            [("B2", vec![0, 2]), ("B1", vec![1]), ("B3", vec![3])]
        );
    }

    #[test]
    fn ordered_log_keeps_item_order_whatever_the_finish_order() {
        let (dir, log) = capture();
        let order = Ordered::new(&log, 3);
        order.emit(1, Level::Info, "b1");
        order.emit(2, Level::Info, "c1");
        order.emit(0, Level::Info, "a1");
        order.finish(2);
        order.emit(1, Level::Info, "b2");
        order.emit(0, Level::Info, "a2");
        order.finish(1);
        order.finish(0);
        assert_eq!(messages(&read(&dir)), ["a1", "a2", "b1", "b2", "c1"]);
    }

    #[test]
    fn head_logs_live_and_the_next_head_flushes_on_finish() {
        let (dir, log) = capture();
        let order = Ordered::new(&log, 2);
        order.emit(0, Level::Info, "a1");
        order.emit(1, Level::Info, "b1");
        assert_eq!(messages(&read(&dir)), ["a1"]);
        order.finish(0);
        assert_eq!(messages(&read(&dir)), ["a1", "b1"]);
        order.emit(1, Level::Info, "b2");
        assert_eq!(messages(&read(&dir)), ["a1", "b1", "b2"]);
    }

    #[test]
    fn concurrent_items_log_in_order() {
        let (dir, log) = capture();
        let order = Ordered::new(&log, 16);
        let items: Vec<usize> = (0..16).collect();
        bounded_map(&items, 4, |i| {
            order.emit(*i, Level::Info, &format!("{i} start"));
            std::thread::sleep(Duration::from_millis(((16 - i) % 5) as u64));
            order.emit(*i, Level::Info, &format!("{i} end"));
            order.finish(*i);
        });
        let expected: Vec<String> = (0..16)
            .flat_map(|i| [format!("{i} start"), format!("{i} end")])
            .collect();
        assert_eq!(messages(&read(&dir)), expected);
    }
}
