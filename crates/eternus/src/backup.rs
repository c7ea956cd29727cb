//! The backup engine (spec docs/reference/eternus-backup.md §2–§5): transaction and
//! backup volumes, policies, generations, OPC/QuickOPC snapshot backup, EC synchronous
//! backup, restore, and the status views of the swst* commands. It keeps the backup
//! management list ([`BackupRepository`]) and drives the array through the replication
//! engine's device model and CLI session (one session per array per command run).
//!
//! Order of every operation: read the list and the array, check everything, run the
//! pre-processing script, act on the array, record in one transaction, run the
//! post-processing script. A kill between the array action and the record leaves a
//! session the list does not know; `swstsrsemtch` stops it (or binds it), and backup-volume
//! selection never picks a volume the array still uses.

use crate::array::ArrayConf;
use crate::backup_repo::{
    BTx, BackupRepository, BackupVolume, Binding, Bound, History, Kind, Mode, Policy, Restore,
};
use crate::cli::{self, Mode as CopyMode};
use crate::copy::{CopySession, PairState};
use crate::device::valid_device;
use crate::devmap;
use crate::error::{EternusError, Result};
use crate::parse;
use crate::replication::{local_server_name, Engine};
use crate::scripts::{self, RESERVED_ARG};
use crate::transport::{Kind as CallKind, Options, Session};
use arraysync_core::log::Logger;
use arraysync_core::Paths;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

pub const LOCK_DIR: &str = "/var/opt/FJSVswsts/lock";
pub const SCRIPT_DIR: &str = "/etc/opt/FJSVswsts/sh";
const SERVER_KEY: &str = "server";

fn msg(id: &'static str, text: impl Into<String>) -> EternusError {
    EternusError::Message {
        id,
        text: text.into(),
    }
}

fn now() -> i64 {
    arraysync_core::clock::timestamp()
}

/// Which generation an operation names (`-g`, `-v`, or the latest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    Latest,
    Relative(i64),
    Absolute(i64),
}

/// Options of swstbackup.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    pub suspend: bool,
    pub tracking: bool,
    pub devmap: Option<std::path::PathBuf>,
}

/// What swststartsync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStart {
    Started,
    Resumed,
    AlreadyInProgress,
}

/// Which EC sessions swstcancelsync cancels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncTarget {
    /// The executing or equivalent one.
    Active,
    /// `-bd BV`.
    Volume(String),
    /// `-all`.
    All,
}

/// What swstcancelrest found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelRestore {
    Cancelled,
    /// No restore from that history (swst0303, exit 0).
    NotPerformed,
}

/// Copy status words of the display commands (spec §2.3) and the Execute column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CopyView {
    pub status: String,
    pub execute: String,
}

const NONE: &str = "----";

fn percent(s: &CopySession) -> String {
    format!("{}%", s.copied_pct.unwrap_or(0))
}

/// Status of a snapshot copy (backup or restore): a session that is gone has succeeded.
pub fn snapshot_view(session: Option<&CopySession>) -> CopyView {
    let (status, execute) = match session.map(|s| (s.state(), s)) {
        None => ("succeeded".to_string(), NONE.to_string()),
        Some((PairState::Snap | PairState::Readying, s)) => ("executing".into(), percent(s)),
        Some((PairState::Failed, _)) => ("failed".into(), NONE.into()),
        Some((PairState::Halt, _)) => ("halt".into(), NONE.into()),
        Some((PairState::Unknown, _)) => ("?????".into(), NONE.into()),
        Some(_) => ("succeeded".into(), NONE.into()),
    };
    CopyView { status, execute }
}

/// Status of an EC session for swstsyncstat.
pub fn sync_view(session: Option<&CopySession>) -> CopyView {
    let (status, execute) = match session.map(|s| (s.state(), s)) {
        None => ("nosession".to_string(), NONE.to_string()),
        Some((PairState::Sync | PairState::Readying, s)) => ("executing".into(), percent(s)),
        Some((PairState::Equivalent, _)) => ("equivalent".into(), "100%".into()),
        Some((PairState::Replicated, _)) => ("suspend".into(), NONE.into()),
        Some((PairState::Failed, _)) => ("failed".into(), NONE.into()),
        Some((PairState::Halt, _)) => ("halt".into(), NONE.into()),
        Some(_) => ("?????".into(), NONE.into()),
    };
    CopyView { status, execute }
}

/// Status of a QuickOPC session for swsttrkstat: (status, execute, update).
pub fn tracking_view(session: Option<&CopySession>) -> (String, String, String) {
    match session.map(|s| (s.state(), s)) {
        None => ("nosession".into(), NONE.into(), NONE.into()),
        Some((PairState::Snap | PairState::Readying, s)) => {
            ("executing".into(), percent(s), NONE.into())
        }
        Some((PairState::Tracking, s)) => (
            "tracking".into(),
            NONE.into(),
            format!("{}%", s.update_pct.unwrap_or(0)),
        ),
        Some((PairState::Failed, _)) => ("failed".into(), NONE.into(), NONE.into()),
        Some(_) => ("?????".into(), NONE.into(), NONE.into()),
    }
}

/// Sessions of the arrays involved, by (array, source, destination).
#[derive(Debug, Default)]
pub struct Sessions {
    by_array: HashMap<String, HashMap<(u32, u32), CopySession>>,
}

impl Sessions {
    pub fn between(&self, from: &BackupVolume, to: &BackupVolume) -> Option<&CopySession> {
        if from.array != to.array {
            return None;
        }
        self.get(&from.array, from.number, to.number)
    }

    /// The session from volume `source` to `destination` of `array`.
    pub fn get(&self, array: &str, source: u32, destination: u32) -> Option<&CopySession> {
        self.by_array.get(array)?.get(&(source, destination))
    }

    /// Any session writing to `v` (the array still uses it as a destination).
    pub fn into_volume(&self, v: &BackupVolume) -> Option<&CopySession> {
        self.by_array
            .get(&v.array)?
            .values()
            .find(|s| s.destination == v.number)
    }

    /// Every session, by array.
    pub fn all(&self) -> impl Iterator<Item = &CopySession> {
        self.by_array.values().flat_map(|m| m.values())
    }
}

/// One command run of backup management.
pub struct BackupEngine<'a> {
    paths: &'a Paths,
    log: &'a Logger,
    options: Options,
    /// The replication engine, opened only when a command needs the device collection or
    /// the replication list (display commands never open it: they create nothing).
    rep: Option<Engine<'a>>,
    pub repo: BackupRepository,
    server: String,
    /// One CLI session per array for this command run, and the session lists read.
    links: BTreeMap<String, Session>,
    copies: BTreeMap<String, Vec<CopySession>>,
}

impl<'a> BackupEngine<'a> {
    /// Opens the list; refuses when swstsvrset has not been run (nothing is created).
    pub fn open(paths: &'a Paths, log: &'a Logger, options: Options) -> Result<BackupEngine<'a>> {
        if !BackupRepository::path(paths).exists() {
            return Err(not_set_up());
        }
        let mut engine = Self::open_unchecked(paths, log, options)?;
        match engine.repo.read(|tx| tx.meta(SERVER_KEY))? {
            Some(server) => engine.server = server,
            None => return Err(not_set_up()),
        }
        Ok(engine)
    }

    /// Opens (creating) the list without the swstsvrset precondition.
    pub fn open_unchecked(
        paths: &'a Paths,
        log: &'a Logger,
        options: Options,
    ) -> Result<BackupEngine<'a>> {
        let repo = BackupRepository::open(paths)?;
        Ok(BackupEngine {
            paths,
            log,
            options,
            rep: None,
            repo,
            server: local_server_name(paths)?,
            links: BTreeMap::new(),
            copies: BTreeMap::new(),
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn paths(&self) -> &Paths {
        self.paths
    }

    fn rep(&mut self) -> Result<&mut Engine<'a>> {
        if self.rep.is_none() {
            self.rep = Some(Engine::open(self.paths, self.log, self.options.clone())?);
        }
        self.rep.as_mut().ok_or_else(|| EternusError::Transport {
            array: String::new(),
            message: "no engine".into(),
        })
    }

    pub fn close(mut self) {
        for (_, link) in std::mem::take(&mut self.links) {
            link.close();
        }
        if let Some(rep) = self.rep.take() {
            rep.close();
        }
    }

    /// One CLI command on the array's session of this run (actions drop the cached list).
    fn call(&mut self, array: &str, command: &str, kind: CallKind) -> Result<Vec<String>> {
        if kind == CallKind::Action {
            self.copies.remove(array);
        }
        if !self.links.contains_key(array) {
            let conf = ArrayConf::load(self.paths, array)?;
            let link = Session::open(&conf, self.log, self.options.clone())?;
            self.links.insert(array.to_string(), link);
        }
        let link = self
            .links
            .get_mut(array)
            .ok_or_else(|| EternusError::Transport {
                array: array.into(),
                message: "no session".into(),
            })?;
        Ok(link.call(command, kind)?.lines)
    }

    /// Every copy session of an array (one query per run, until an action).
    fn array_sessions(&mut self, array: &str) -> Result<Vec<CopySession>> {
        if let Some(list) = self.copies.get(array) {
            return Ok(list.clone());
        }
        let lines = self.call(array, &cli::show_sessions(), CallKind::Query)?;
        let rows = parse::sessions(&lines).map_err(|e| EternusError::Transport {
            array: array.to_string(),
            message: format!("unexpected output: {e}"),
        })?;
        let list: Vec<CopySession> = rows
            .into_iter()
            .map(|r| CopySession::from_row(array, r))
            .collect();
        self.copies.insert(array.to_string(), list.clone());
        Ok(list)
    }

    // ----- server and devices ----------------------------------------------------------

    /// swstsvrset: records this server as a backup-operation server.
    pub fn set_server(&mut self) -> Result<()> {
        let name = local_server_name(self.paths)?;
        self.repo.write(|tx| tx.set_meta(SERVER_KEY, &name))?;
        self.server = name;
        Ok(())
    }

    fn check_name(device: &str) -> Result<()> {
        if valid_device(device) {
            Ok(())
        } else {
            Err(EternusError::BadDeviceName(device.to_string()))
        }
    }

    /// A registered volume, or the manual's "not registered" error.
    pub fn registered(&mut self, device: &str, mode: Mode) -> Result<BackupVolume> {
        Self::check_name(device)?;
        match self.repo.read(|tx| tx.volume(device))? {
            Some(v) if v.mode == mode => Ok(v),
            _ => Err(msg(
                "swst0605",
                format!(
                    "The specified device is not registered as a {} volume. Device={device}",
                    if mode == Mode::Transaction {
                        "transaction"
                    } else {
                        "backup"
                    }
                ),
            )),
        }
    }

    /// Refuses a device that replication management uses (spec [LD]).
    fn check_not_replication(&mut self, device: &str) -> Result<()> {
        if !crate::repo::Repository::path(self.paths).exists() {
            return Ok(());
        }
        let server = self.server.clone();
        let pairs = self.rep()?.repo.read(|tx| tx.pairs_with(&server, device))?;
        if let Some(p) = pairs.first() {
            return Err(msg(
                "swst0610",
                format!(
                    "The device is used by replication management. Device={device}, Pair={}",
                    p.label()
                ),
            ));
        }
        Ok(())
    }

    /// swstdevinfoset -t / -b / -o.
    pub fn set_device(&mut self, device: &str, mode: Option<Mode>) -> Result<()> {
        Self::check_name(device)?;
        let current = self.repo.read(|tx| tx.volume(device))?;
        let Some(mode) = mode else {
            let Some(current) = current else {
                return Err(msg(
                    "swst0605",
                    format!("The specified device is not registered. Device={device}"),
                ));
            };
            return self.repo.write(|tx| {
                check_unused(tx, &current)?;
                tx.delete_volume(device)
            });
        };
        if current.as_ref().is_some_and(|c| c.mode == mode) {
            return Err(EternusError::AlreadyRegistered(format!(
                "{device} is already registered as a {} volume",
                if mode == Mode::Transaction {
                    "transaction"
                } else {
                    "backup"
                }
            )));
        }
        self.check_not_replication(device)?;
        if mode == Mode::Backup {
            refuse_mounted(
                self.paths,
                device,
                "a mounted device cannot be registered as a backup volume",
            )?;
        }
        let resolved = self.rep()?.resolve(device)?;
        let volume = BackupVolume {
            seq: 0,
            device: device.to_string(),
            array: resolved.array,
            box_id: resolved.box_id,
            number: resolved.number,
            size: resolved.size,
            mode,
        };
        self.repo.write(|tx| {
            if let Some(current) = &current {
                check_unused(tx, current)?;
            }
            for other in tx.volumes()? {
                if other.device != volume.device
                    && other.box_id == volume.box_id
                    && other.number == volume.number
                {
                    return Err(EternusError::AlreadyRegistered(format!(
                        "{} has the same box information (box {}, volume {}) as the registered {}",
                        volume.device, volume.box_id, volume.number, other.device
                    )));
                }
            }
            tx.set_volume(&volume)
        })
    }

    /// Registered volumes (swstdevdisp), by registration order.
    pub fn volumes(&mut self) -> Result<Vec<BackupVolume>> {
        self.repo.read(|tx| tx.volumes())
    }

    /// Devices known to the device map but registered for neither role (swstdevdisp -o).
    pub fn other_devices(&mut self) -> Result<Vec<crate::device::Volume>> {
        let registered: BTreeSet<String> = self.volumes()?.into_iter().map(|v| v.device).collect();
        let server = self.server.clone();
        let all = self.rep()?.collect_devices()?;
        Ok(all
            .into_iter()
            .filter(|v| v.server == server && !registered.contains(&v.device))
            .collect())
    }

    /// BV usage: `free`, `used`, `used-S`, `used-T`.
    pub fn usage(&mut self) -> Result<HashMap<String, &'static str>> {
        self.repo.read(|tx| {
            let mut usage = HashMap::new();
            for h in tx.all_history()? {
                usage.insert(h.bv, "used");
            }
            for b in tx.bindings()? {
                usage.insert(
                    b.bv,
                    match b.kind {
                        Bound::Sync => "used",
                        Bound::Suspend => "used-S",
                        Bound::Tracking => "used-T",
                    },
                );
            }
            Ok(usage)
        })
    }

    // ----- policies --------------------------------------------------------------------

    /// swstbkpolset for one TV (`None` keeps the current value or takes the default).
    pub fn set_policy(
        &mut self,
        device: &str,
        interval: Option<u32>,
        save: Option<u32>,
    ) -> Result<()> {
        self.set_policies(&[device.to_string()], interval, save)
    }

    /// swstbkpolset over several TVs (no operand: every TV), all or nothing: one
    /// transaction, the backup-volume count checked after each volume's new policy.
    pub fn set_policies(
        &mut self,
        devices: &[String],
        interval: Option<u32>,
        save: Option<u32>,
    ) -> Result<()> {
        for device in devices {
            self.registered(device, Mode::Transaction)?;
            self.check_not_replication(device)?;
        }
        self.repo.write(|tx| {
            let bvs = tx
                .volumes()?
                .iter()
                .filter(|v| v.mode == Mode::Backup)
                .count();
            for device in devices {
                let current = tx.policy(device)?;
                let policy = Policy {
                    interval_days: interval
                        .or(current.map(|p| p.interval_days))
                        .unwrap_or(30),
                    save_number: save.or(current.map(|p| p.save_number)).unwrap_or(2),
                };
                let histories = tx.history(device)?.len();
                if histories > policy.save_number as usize {
                    return Err(EternusError::Refused(format!(
                        "{device} has {histories} generations of history: delete them down to {} first",
                        policy.save_number
                    )));
                }
                let others: u32 = tx
                    .policies()?
                    .iter()
                    .filter(|(d, _)| d != device)
                    .map(|(_, p)| p.save_number)
                    .sum();
                let needed = others as usize + policy.save_number as usize;
                if bvs < needed {
                    return Err(msg(
                        "swst0607",
                        format!(
                            "The number of backup volumes is insufficient: {needed} are needed for the saved generations of every transaction volume, {bvs} are registered. Device={device}"
                        ),
                    ));
                }
                tx.set_policy(device, policy)?;
            }
            Ok(())
        })
    }

    pub fn policies(&mut self) -> Result<Vec<(String, Policy)>> {
        self.repo.read(|tx| tx.policies())
    }

    pub fn delete_policy(&mut self, device: &str) -> Result<()> {
        self.registered(device, Mode::Transaction)?;
        self.check_not_replication(device)?;
        self.repo.write(|tx| {
            if tx.policy(device)?.is_none() {
                return Err(msg(
                    "swst0606",
                    format!("No backup policy is set. Device={device}"),
                ));
            }
            if !tx.history(device)?.is_empty() {
                return Err(EternusError::Refused(format!(
                    "{device} has backup history: delete it first (swsthistdel)"
                )));
            }
            if tx
                .bindings_of(device)?
                .iter()
                .any(|b| b.kind != Bound::Tracking)
            {
                return Err(EternusError::Refused(format!(
                    "backup synchronous processing has started on {device}: cancel it first (swstcancelsync)"
                )));
            }
            tx.delete_policy(device)
        })
    }

    // ----- array state -----------------------------------------------------------------

    /// The sessions of the given arrays (one query each).
    pub fn sessions(&mut self, arrays: &BTreeSet<String>) -> Result<Sessions> {
        let mut found = Sessions::default();
        for array in arrays {
            let list = self.array_sessions(array)?;
            let by_ends = found.by_array.entry(array.clone()).or_default();
            for s in list {
                by_ends.insert((s.source, s.destination), s);
            }
        }
        Ok(found)
    }

    fn sessions_of(&mut self, volumes: &[&BackupVolume]) -> Result<Sessions> {
        let arrays: BTreeSet<String> = volumes.iter().map(|v| v.array.clone()).collect();
        self.sessions(&arrays)
    }

    fn action(&mut self, array: &str, command: &str) -> Result<()> {
        self.call(array, command, CallKind::Action).map(|_| ())
    }

    /// Stops sessions of `array` (`tracking`: their tracking only) and confirms on the
    /// session list, read once after the stop for them all, that each is gone (tracks no
    /// more); an error names the first pair (`sid`, `from → to`) the array did not act on
    /// (issue 8: success is the array's state per pair).
    fn stop_confirmed(
        &mut self,
        array: &str,
        stopped: &[(u32, String)],
        tracking: bool,
    ) -> Result<()> {
        let sids: Vec<u32> = stopped.iter().map(|(sid, _)| *sid).collect();
        let command = cli::stop(&sids, tracking);
        self.action(array, &command)?;
        let listed = self.array_sessions(array)?;
        let left = stopped.iter().find_map(|(sid, pair)| {
            listed
                .iter()
                .find(|s| s.sid == *sid && (!tracking || s.tracking()))
                .map(|s| (pair, s))
        });
        match left {
            None => Ok(()),
            Some((pair, s)) => Err(EternusError::NotConfirmed {
                array: array.to_string(),
                command,
                message: format!(
                    "pair {pair} still has copy session {} ({}{}): the array did not stop it",
                    s.sid,
                    s.state().text(),
                    if tracking { ", tracking" } else { "" }
                ),
            }),
        }
    }

    fn script(&self, name: &str, args: &[&str], pre: bool) -> Result<()> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        scripts::run_file(
            self.paths,
            self.log,
            &format!("{SCRIPT_DIR}/{name}"),
            &args,
            pre,
        )
        .map_err(|e| match e {
            EternusError::PreScript { script, device, code } => msg(
                "swst0611",
                format!("An error occurred in the pre-processing script. Script={script}, Device={device}, Error Code = {code}"),
            ),
            EternusError::PostScript { script, device, code } => msg(
                "swst0612",
                format!("An error occurred in the post-processing script. Script={script}, Device={device}, Error Code = {code}"),
            ),
            other => other,
        })
    }

    // ----- running markers (swstexecstat) ----------------------------------------------

    /// Proves the backup list can be written before the array changes (see
    /// [`BackupRepository::check_writable`]).
    pub fn check_writable(&mut self) -> Result<()> {
        self.repo.check_writable()
    }

    /// Marks a registered `tv` as used by `command` until [`Self::finish`]; stale markers
    /// of dead processes are ignored by the displays and removed by swstsrsemtch.
    pub fn begin(&mut self, tv: &str, command: &str) -> Result<bool> {
        let pid = std::process::id();
        self.repo.write(|tx| {
            match tx.volume(tv)? {
                Some(v) if v.mode == Mode::Transaction => {}
                _ => return Ok(false),
            }
            tx.mark_running(pid, tv, command, now())?;
            Ok(true)
        })
    }

    /// Clears this process's marker; `executed` records the command's execution date
    /// (swstexecstat -j) when it succeeded.
    pub fn finish(&mut self, executed: Option<&str>) {
        let pid = std::process::id();
        let _ = self.repo.write(|tx| {
            tx.clear_running(pid)?;
            if let Some(tv) = executed {
                tx.set_exec_date(tv, now())?;
            }
            Ok(())
        });
    }

    /// Commands running on each TV (live processes only).
    pub fn running(&mut self) -> Result<HashMap<String, String>> {
        let me = std::process::id();
        Ok(self
            .repo
            .read(|tx| tx.running())?
            .into_iter()
            .filter(|(pid, _, _)| *pid != me && alive(*pid))
            .map(|(_, tv, command)| (tv, command))
            .collect())
    }

    // ----- backup ----------------------------------------------------------------------

    fn volume_map(&mut self) -> Result<HashMap<String, BackupVolume>> {
        Ok(self
            .volumes()?
            .into_iter()
            .map(|v| (v.device.clone(), v))
            .collect())
    }

    fn policy_of(&mut self, tv: &str) -> Result<Policy> {
        self.repo
            .read(|tx| tx.policy(tv))?
            .ok_or_else(|| msg("swst0606", format!("No backup policy is set. Device={tv}")))
    }

    fn refuse_running_restore(
        &self,
        restores: &[Restore],
        volumes: &HashMap<String, BackupVolume>,
        sessions: &Sessions,
        tv: &BackupVolume,
    ) -> Result<()> {
        for r in restores {
            if let Some(bv) = volumes.get(&r.bv) {
                if sessions
                    .get(&tv.array, bv.number, r.dest_number)
                    .is_some_and(|s| matches!(s.state(), PairState::Snap | PairState::Readying))
                {
                    return Err(msg(
                        "swst0639",
                        format!("This Command cannot be run. This is because a copy is currently running (restore of {} from {})", tv.device, r.bv),
                    ));
                }
            }
        }
        Ok(())
    }

    /// swstbackup.
    pub fn backup(&mut self, device: &str, opts: &BackupOptions) -> Result<()> {
        let tv = self.registered(device, Mode::Transaction)?;
        let policy = self.policy_of(device)?;
        self.check_not_replication(device)?;
        let map = match &opts.devmap {
            Some(path) => Some(devmap::load(path)?),
            None => None,
        };
        let volumes = self.volume_map()?;
        let (history, bindings, restores) = self.repo.read(|tx| {
            Ok((
                tx.history(device)?,
                tx.bindings_of(device)?,
                tx.restores_of(device)?,
            ))
        })?;
        let involved: Vec<&BackupVolume> = vec![&tv];
        let sessions = self.sessions_of(&involved)?;
        self.refuse_running_restore(&restores, &volumes, &sessions, &tv)?;
        if let Some(sync) = bindings.iter().find(|b| b.kind == Bound::Sync) {
            if opts.tracking {
                return Err(EternusError::Refused(
                    "-T cannot be used while backup synchronous processing is running".into(),
                ));
            }
            if map.is_some() {
                return Err(EternusError::Refused(
                    "-Xdevmap cannot be used while backup synchronous processing is running: the destination was fixed by swststartsync".into(),
                ));
            }
            let bv = volumes.get(&sync.bv).cloned().ok_or_else(|| {
                EternusError::Refused(format!("{} is no longer registered", sync.bv))
            })?;
            return self.backup_sync(&tv, &bv, &sessions, &history, policy, opts.suspend);
        }
        if opts.suspend {
            return Err(EternusError::Refused(format!(
                "-suspend needs backup synchronous processing in equivalency maintenance status on {device} (swststartsync)"
            )));
        }
        if let Some(latest) = history.first() {
            if latest.kind == Kind::Opc || latest.kind == Kind::QuickOpc {
                if let Some(bv) = volumes.get(&latest.bv) {
                    if let Some(s) = sessions.between(&tv, bv) {
                        if matches!(s.state(), PairState::Failed | PairState::Halt) {
                            return Err(EternusError::Refused(format!(
                                "the backup executed one generation earlier was unsuccessful ({} to {} is {}): delete that history first (swsthistdel)",
                                device, latest.bv, s.state().text()
                            )));
                        }
                    }
                }
            }
        }
        // Snapshot: the oldest generations beyond Save-Number go first (spec §3.1).
        let keep = policy.save_number.saturating_sub(1) as usize;
        let rotated: Vec<History> = history.iter().skip(keep).cloned().collect();
        let from_rotated: Vec<Restore> = restores
            .iter()
            .filter(|r| rotated.iter().any(|h| h.version == r.version))
            .cloned()
            .collect();
        self.refuse_running_restore(&from_rotated, &volumes, &sessions, &tv)?;
        let usage = self.usage_sets()?;
        let bv = self.choose_snapshot_bv(
            &tv,
            opts,
            map.as_ref(),
            &volumes,
            &usage,
            &bindings,
            &rotated,
            &sessions,
        )?;
        self.script("OpcBackup.pre", &[device, RESERVED_ARG, &bv.device], true)?;
        let result = self.snapshot(&tv, &bv, opts.tracking, &rotated, &volumes, &sessions);
        if let Err(e) = result {
            let _ = self.script("OpcBackup.post", &[device, RESERVED_ARG], false);
            return Err(e);
        }
        self.script("OpcBackup.post", &[device, RESERVED_ARG], false)
    }

    #[allow(clippy::too_many_arguments)]
    fn choose_snapshot_bv(
        &self,
        tv: &BackupVolume,
        opts: &BackupOptions,
        map: Option<&devmap::DeviceMap>,
        volumes: &HashMap<String, BackupVolume>,
        usage: &Usage,
        bindings: &[Binding],
        rotated: &[History],
        sessions: &Sessions,
    ) -> Result<BackupVolume> {
        let rotated_kind = |bv: &str| rotated.iter().find(|h| h.bv == bv).map(|h| h.kind);
        // Free: no history (or one rotated out that does not stay bound), no binding,
        // and no array session writing to it (a session the list lost after a kill).
        let free = |v: &BackupVolume| -> bool {
            let rotated_free = matches!(rotated_kind(&v.device), Some(Kind::Opc | Kind::Ec));
            v.mode == Mode::Backup
                && v.size == tv.size
                && v.array == tv.array
                && (!usage.history.contains(&v.device) || rotated_free)
                && !usage.bound.contains(&v.device)
                && (sessions.into_volume(v).is_none() || rotated_free)
        };
        if let Some(map) = map {
            let (name, bv) = mapped_bv(map, &tv.device, volumes)?;
            if bv.size != tv.size {
                return Err(EternusError::Refused(format!(
                    "{name} (device map file) is not the size of {} ({} and {} bytes)",
                    tv.device, bv.size, tv.size
                )));
            }
            let own_tracking = opts.tracking
                && (bindings
                    .iter()
                    .any(|b| b.bv == name && b.kind == Bound::Tracking)
                    || rotated_kind(name) == Some(Kind::QuickOpc));
            if free(bv) || own_tracking {
                return Ok(bv.clone());
            }
            return Err(EternusError::Refused(format!(
                "{name} (device map file) is in use and cannot be the backup destination of {}",
                tv.device
            )));
        }
        if opts.tracking {
            let mut candidates: Vec<&BackupVolume> = bindings
                .iter()
                .filter(|b| b.kind == Bound::Tracking)
                .filter_map(|b| volumes.get(&b.bv))
                .collect();
            candidates.extend(
                rotated
                    .iter()
                    .filter(|h| h.kind == Kind::QuickOpc)
                    .filter_map(|h| volumes.get(&h.bv)),
            );
            candidates.sort_by_key(|v| v.seq);
            if let Some(bv) = candidates.first() {
                return Ok((*bv).clone());
            }
        }
        let mut free_bvs: Vec<&BackupVolume> = volumes.values().filter(|v| free(v)).collect();
        free_bvs.sort_by_key(|v| v.seq);
        free_bvs
            .first()
            .map(|v| (*v).clone())
            .ok_or_else(|| no_free_bv(tv))
    }

    /// Starts the snapshot and records it (rotation first, in the same transaction).
    fn snapshot(
        &mut self,
        tv: &BackupVolume,
        bv: &BackupVolume,
        tracking: bool,
        rotated: &[History],
        volumes: &HashMap<String, BackupVolume>,
        sessions: &Sessions,
    ) -> Result<()> {
        // A rotated-out plain OPC still copying is stopped (its data is being discarded),
        // and so is the leftover session of a rotated generation reused as destination.
        let mut stop: Vec<u32> = Vec::new();
        for h in rotated {
            let Some(old) = volumes.get(&h.bv) else {
                continue;
            };
            if let Some(s) = sessions.between(tv, old) {
                let stays = if old.device == bv.device {
                    tracking && s.tracking()
                } else {
                    matches!(h.kind, Kind::QuickOpc | Kind::EcSuspend)
                };
                if !stays {
                    stop.push(s.sid);
                }
            }
        }
        if let Some(s) = sessions.between(tv, bv) {
            let differential = tracking && s.tracking() && s.state() != PairState::Failed;
            if !differential && !stop.contains(&s.sid) {
                stop.push(s.sid);
            }
        }
        let stopped: BTreeSet<u32> = stop.iter().copied().collect();
        let kept_session = |h: &History| {
            volumes
                .get(&h.bv)
                .and_then(|v| sessions.between(tv, v))
                .is_some_and(|s| !stopped.contains(&s.sid))
        };
        // Rotation is recorded first (spec §3.1): a kill after it leaves fewer
        // generations, as the manual says, never a generation whose copy was stopped.
        if !rotated.is_empty() {
            self.repo.write(|tx| {
                for h in rotated {
                    tx.delete_history(&h.tv, h.version)?;
                    if h.bv != bv.device && kept_session(h) {
                        bind_left_session(tx, h, &tv.device)?;
                    }
                }
                Ok(())
            })?;
        }
        if !stop.is_empty() {
            self.action(&tv.array, &cli::stop(&stop, false))?;
        }
        let mode = if tracking {
            CopyMode::QuickOpc
        } else {
            CopyMode::Opc
        };
        self.action(
            &tv.array,
            &cli::start(mode, &[(tv.number, bv.number)], false),
        )?;
        let when = now();
        let kind = if tracking { Kind::QuickOpc } else { Kind::Opc };
        self.repo
            .write(|tx| record_generation(tx, tv, bv, kind, when))
    }

    /// The synchronous backup: detach (or suspend) the equivalent EC, record, rotate after.
    fn backup_sync(
        &mut self,
        tv: &BackupVolume,
        bv: &BackupVolume,
        sessions: &Sessions,
        history: &[History],
        policy: Policy,
        suspend: bool,
    ) -> Result<()> {
        let session = sessions.between(tv, bv).cloned();
        match session.as_ref().map(|s| s.state()) {
            Some(PairState::Equivalent) => {}
            Some(_) => {
                return Err(msg(
                    "swst0608",
                    format!(
                        "Backup synchronous processing is not in equivalency maintenance status (status {}). Device={}",
                        sync_view(session.as_ref()).status,
                        tv.device
                    ),
                ))
            }
            None => {
                return Err(msg(
                    "swst0608",
                    format!(
                        "The backup synchronous processing session of {} to {} no longer exists on the array: run swstsrsemtch",
                        tv.device, bv.device
                    ),
                ))
            }
        }
        let sid = session.map(|s| s.sid).unwrap_or(0);
        self.script(
            "OpcBackup.pre",
            &[&tv.device, RESERVED_ARG, &bv.device],
            true,
        )?;
        let done = if suspend {
            self.action(&tv.array, &cli::suspend(&[sid]))
        } else {
            self.action(&tv.array, &cli::stop(&[sid], false))
        };
        if let Err(e) = done {
            let _ = self.script("OpcBackup.post", &[&tv.device, RESERVED_ARG], false);
            return Err(e);
        }
        let when = now();
        // Rotation after the copy: the generations beyond Save-Number, oldest first.
        let keep = policy.save_number.saturating_sub(1) as usize;
        let rotated: Vec<History> = history.iter().skip(keep).cloned().collect();
        let volumes = self.volume_map()?;
        let mut stop = Vec::new();
        for h in &rotated {
            if h.kind == Kind::Opc {
                if let Some(s) = volumes.get(&h.bv).and_then(|v| sessions.between(tv, v)) {
                    stop.push(s.sid);
                }
            }
        }
        let recorded = self.repo.write(|tx| {
            let kind = if suspend { Kind::EcSuspend } else { Kind::Ec };
            record_generation(tx, tv, bv, kind, when)?;
            for h in &rotated {
                tx.delete_history(&h.tv, h.version)?;
                bind_left_session(tx, h, &tv.device)?;
            }
            Ok(())
        });
        let stopped = match recorded {
            Ok(()) if !stop.is_empty() => self.action(&tv.array, &cli::stop(&stop, false)),
            other => other,
        };
        let post = self.script("OpcBackup.post", &[&tv.device, RESERVED_ARG], false);
        stopped.and(post)
    }

    // ----- synchronous processing ------------------------------------------------------

    /// swststartsync.
    pub fn start_sync(&mut self, device: &str, devmap: Option<&Path>) -> Result<SyncStart> {
        let tv = self.registered(device, Mode::Transaction)?;
        self.policy_of(device)?;
        self.check_not_replication(device)?;
        let map = match devmap {
            Some(path) => Some(devmap::load(path)?),
            None => None,
        };
        let volumes = self.volume_map()?;
        let usage = self.usage_sets()?;
        let (bindings, restores) = self
            .repo
            .read(|tx| Ok((tx.bindings_of(device)?, tx.restores_of(device)?)))?;
        if bindings.iter().any(|b| b.kind == Bound::Sync) {
            return Ok(SyncStart::AlreadyInProgress);
        }
        let sessions = self.sessions_of(&[&tv])?;
        self.refuse_running_restore(&restores, &volumes, &sessions, &tv)?;
        let suspended: Vec<&BackupVolume> = {
            let mut v: Vec<&BackupVolume> = bindings
                .iter()
                .filter(|b| b.kind == Bound::Suspend)
                .filter_map(|b| volumes.get(&b.bv))
                .collect();
            v.sort_by_key(|v| v.seq);
            v
        };
        let free = |v: &BackupVolume| {
            v.mode == Mode::Backup
                && v.size == tv.size
                && v.array == tv.array
                && !usage.history.contains(&v.device)
                && !usage.bound.contains(&v.device)
                && sessions.into_volume(v).is_none()
        };
        let bv = match &map {
            Some(map) => {
                let (name, bv) = mapped_bv(map, device, &volumes)?;
                if bv.size != tv.size {
                    return Err(EternusError::Refused(format!(
                        "{name} (device map file) is not the size of {device}"
                    )));
                }
                if !free(bv) && !suspended.iter().any(|s| s.device == bv.device) {
                    return Err(EternusError::Refused(format!(
                        "{name} (device map file) is in use and cannot be the destination of {device}"
                    )));
                }
                bv.clone()
            }
            None => match suspended.first() {
                Some(bv) => (*bv).clone(),
                None => {
                    let mut candidates: Vec<&BackupVolume> =
                        volumes.values().filter(|v| free(v)).collect();
                    candidates.sort_by_key(|v| v.seq);
                    candidates
                        .first()
                        .map(|v| (*v).clone())
                        .ok_or_else(|| no_free_bv(&tv))?
                }
            },
        };
        refuse_mounted(
            self.paths,
            &bv.device,
            "the backup volume of synchronous processing must not be mounted",
        )?;
        let resumed = match sessions.between(&tv, &bv) {
            Some(s) if s.state() == PairState::Replicated => {
                self.action(&tv.array, &cli::resume(&[s.sid]))?;
                true
            }
            Some(s) => {
                return Err(EternusError::Refused(format!(
                    "a {} session exists from {device} to {}: cancel it first",
                    s.state().text(),
                    bv.device
                )))
            }
            None => {
                self.action(
                    &tv.array,
                    &cli::start(CopyMode::Ec, &[(tv.number, bv.number)], false),
                )?;
                false
            }
        };
        self.repo
            .write(|tx| tx.bind(&bv.device, device, Bound::Sync))?;
        Ok(if resumed {
            SyncStart::Resumed
        } else {
            SyncStart::Started
        })
    }

    /// swstcancelsync.
    pub fn cancel_sync(
        &mut self,
        device: &str,
        target: &SyncTarget,
        emergency: bool,
    ) -> Result<()> {
        let tv = self.registered(device, Mode::Transaction)?;
        let volumes = self.volume_map()?;
        let (bindings, history) = self
            .repo
            .read(|tx| Ok((tx.bindings_of(device)?, tx.history(device)?)))?;
        // (bv, history version if the session belongs to an ec-suspend history)
        let mut chosen: Vec<(String, Option<i64>)> = Vec::new();
        for b in bindings.iter().filter(|b| b.kind != Bound::Tracking) {
            let wanted = match target {
                SyncTarget::Active => b.kind == Bound::Sync,
                SyncTarget::Volume(v) => &b.bv == v,
                SyncTarget::All => true,
            };
            if wanted {
                chosen.push((b.bv.clone(), None));
            }
        }
        for h in history.iter().filter(|h| h.kind == Kind::EcSuspend) {
            let wanted = match target {
                SyncTarget::Active => false,
                SyncTarget::Volume(v) => &h.bv == v,
                SyncTarget::All => true,
            };
            if wanted {
                chosen.push((h.bv.clone(), Some(h.version)));
            }
        }
        if chosen.is_empty() {
            return Err(EternusError::Refused(match target {
                SyncTarget::Volume(v) => {
                    format!("there is no backup synchronous processing from {device} to {v}")
                }
                _ => format!("there is no backup synchronous processing on {device}"),
            }));
        }
        if !emergency {
            let sessions = self.sessions_of(&[&tv])?;
            let stopped: Vec<(u32, String)> = sessions_to(&sessions, &tv, &volumes, &chosen)
                .into_iter()
                .map(|(s, pair)| (s.sid, pair))
                .collect();
            if !stopped.is_empty() {
                self.stop_confirmed(&tv.array, &stopped, false)?;
            }
        }
        self.record_cancelled(device, &chosen, Kind::Ec)
    }

    /// Records that the sessions of `chosen` (BV, version of the history it holds) were
    /// cancelled: a history stays, now of `kind`; a BV bound without history is freed.
    fn record_cancelled(
        &mut self,
        device: &str,
        chosen: &[(String, Option<i64>)],
        kind: Kind,
    ) -> Result<()> {
        self.repo.write(|tx| {
            for (bv, version) in chosen {
                match version {
                    Some(v) => tx.set_history_kind(device, *v, kind)?,
                    None => tx.unbind(bv)?,
                }
            }
            Ok(())
        })
    }

    // ----- history ---------------------------------------------------------------------

    fn pick(history: &[History], which: Generation, device: &str) -> Result<History> {
        let found = match which {
            Generation::Latest => history.first(),
            Generation::Relative(g) => usize::try_from(g - 1).ok().and_then(|i| history.get(i)),
            Generation::Absolute(v) => history.iter().find(|h| h.version == v),
        };
        found.cloned().ok_or_else(|| {
            msg(
                "swst0609",
                match which {
                    Generation::Latest => format!("There is no backup history. Device={device}"),
                    Generation::Relative(g) => {
                        format!(
                            "The specified history does not exist. Device={device}, Generation={g}"
                        )
                    }
                    Generation::Absolute(v) => {
                        format!(
                            "The specified history does not exist. Device={device}, Version={v}"
                        )
                    }
                },
            )
        })
    }

    /// swsthistdel (`None`: every generation, `-z`).
    pub fn delete_history(
        &mut self,
        device: &str,
        which: Option<Generation>,
        emergency: bool,
    ) -> Result<()> {
        let tv = self.registered(device, Mode::Transaction)?;
        self.check_not_replication(device)?;
        let volumes = self.volume_map()?;
        let (history, restores) = self
            .repo
            .read(|tx| Ok((tx.history(device)?, tx.restores_of(device)?)))?;
        let doomed: Vec<History> = match which {
            Some(g) => vec![Self::pick(&history, g, device)?],
            None if history.is_empty() => {
                return Err(msg(
                    "swst0609",
                    format!("There is no backup history. Device={device}"),
                ))
            }
            None => history.clone(),
        };
        let sessions = if emergency {
            Sessions::default()
        } else {
            self.sessions_of(&[&tv])?
        };
        if !emergency {
            let in_use: Vec<Restore> = restores
                .iter()
                .filter(|r| doomed.iter().any(|h| h.version == r.version))
                .cloned()
                .collect();
            self.refuse_running_restore(&in_use, &volumes, &sessions, &tv)?;
        }
        let mut stop = Vec::new();
        if !emergency {
            for h in &doomed {
                if h.kind == Kind::Opc {
                    if let Some(s) = volumes.get(&h.bv).and_then(|v| sessions.between(&tv, v)) {
                        stop.push(s.sid);
                    }
                }
            }
        }
        // The list first: a kill before the stop leaves a copy into a volume with no
        // history, which selection skips and swstsrsemtch stops; never a history whose
        // copy was stopped (incomplete data shown as succeeded).
        self.repo.write(|tx| {
            for h in &doomed {
                tx.delete_history(device, h.version)?;
                let session_left = emergency
                    || volumes
                        .get(&h.bv)
                        .and_then(|v| sessions.between(&tv, v))
                        .is_some();
                if session_left {
                    bind_left_session(tx, h, device)?;
                }
            }
            Ok(())
        })?;
        if !stop.is_empty() {
            self.action(&tv.array, &cli::stop(&stop, false))?;
        }
        Ok(())
    }

    /// The list's view of everything (display commands).
    pub fn snapshot_of_list(&mut self) -> Result<ListView> {
        self.repo.read(|tx| {
            let volumes = tx.display_volumes()?;
            Ok(ListView {
                by_device: volumes
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.device.clone(), i))
                    .collect(),
                volumes,
                policies: tx.policies()?.into_iter().collect(),
                history: {
                    let mut by_tv: HashMap<String, Vec<History>> = HashMap::new();
                    for h in tx.all_history()? {
                        by_tv.entry(h.tv.clone()).or_default().push(h);
                    }
                    by_tv
                },
                bindings: tx.bindings()?,
                restores: tx.restores()?,
                states: tx.tv_states()?,
            })
        })
    }

    /// The sessions of every array holding a registered volume.
    pub fn all_sessions(&mut self, list: &ListView) -> Result<Sessions> {
        let arrays: BTreeSet<String> = list.volumes.iter().map(|v| v.array.clone()).collect();
        self.sessions(&arrays)
    }

    // ----- tracking --------------------------------------------------------------------

    /// swstcanceltrk (`bv` None: `-all`).
    pub fn cancel_tracking(
        &mut self,
        device: &str,
        bv: Option<&str>,
        copy: bool,
        emergency: bool,
    ) -> Result<()> {
        let tv = self.registered(device, Mode::Transaction)?;
        let volumes = self.volume_map()?;
        let (bindings, history) = self
            .repo
            .read(|tx| Ok((tx.bindings_of(device)?, tx.history(device)?)))?;
        let mut chosen: Vec<(String, Option<i64>)> = bindings
            .iter()
            .filter(|b| b.kind == Bound::Tracking && bv.is_none_or(|v| v == b.bv))
            .map(|b| (b.bv.clone(), None))
            .collect();
        chosen.extend(
            history
                .iter()
                .filter(|h| h.kind == Kind::QuickOpc && bv.is_none_or(|v| v == h.bv))
                .map(|h| (h.bv.clone(), Some(h.version))),
        );
        if chosen.is_empty() {
            return Err(EternusError::Refused(match bv {
                Some(v) => format!("there is no tracking from {device} to {v}"),
                None => format!("there is no tracking on {device}"),
            }));
        }
        if copy {
            if let Some((b, _)) = chosen.iter().find(|(_, v)| v.is_some()) {
                return Err(EternusError::Refused(format!(
                    "-copy cannot be used: {b} holds backup history of {device} (delete it first with swsthistdel)"
                )));
            }
        }
        if !emergency {
            let sessions = self.sessions_of(&[&tv])?;
            let found: Vec<(&CopySession, String)> = sessions_to(&sessions, &tv, &volumes, &chosen)
                .into_iter()
                .filter(|(s, _)| s.tracking() || copy)
                .collect();
            if !found.is_empty() {
                let tracking_only = !copy && found.iter().all(|(s, _)| s.tracking());
                let stopped: Vec<(u32, String)> = found
                    .iter()
                    .map(|(s, pair)| (s.sid, pair.clone()))
                    .collect();
                self.stop_confirmed(&tv.array, &stopped, tracking_only)?;
            }
        }
        self.record_cancelled(device, &chosen, Kind::Opc)
    }

    // ----- restore ---------------------------------------------------------------------

    /// swstrestore.
    pub fn restore(&mut self, device: &str, which: Generation, to: Option<&str>) -> Result<()> {
        let tv = self.registered(device, Mode::Transaction)?;
        self.check_not_replication(device)?;
        let volumes = self.volume_map()?;
        let (history, bindings) = self
            .repo
            .read(|tx| Ok((tx.history(device)?, tx.bindings_of(device)?)))?;
        let h = Self::pick(&history, which, device)?;
        let bv = volumes
            .get(&h.bv)
            .cloned()
            .ok_or_else(|| EternusError::Refused(format!("{} is no longer registered", h.bv)))?;
        if bindings.iter().any(|b| b.kind != Bound::Tracking)
            || history.iter().any(|h| h.kind == Kind::EcSuspend)
        {
            return Err(msg(
                "swst0639",
                format!("This Command cannot be run. This is because a copy is currently running (backup synchronous processing on {device}: swstcancelsync -all {device} first)"),
            ));
        }
        let dest = match to {
            None => tv.clone(),
            Some(name) => {
                Self::check_name(name)?;
                if name == device {
                    tv.clone()
                } else {
                    self.restore_target(name, &tv, &bindings, &history)?
                }
            }
        };
        let to_tv = dest.device == tv.device;
        let mut involved = vec![&tv, &dest];
        involved.push(&bv);
        let sessions = self.sessions_of(&involved)?;
        for other in history.iter().filter_map(|o| volumes.get(&o.bv)) {
            if let Some(s) = sessions.between(&tv, other) {
                if s.state() == PairState::Snap {
                    return Err(msg(
                        "swst0639",
                        format!("This Command cannot be run. This is because a copy is currently running (backup of {device} to {} {}%)", other.device, s.copied_pct.unwrap_or(0)),
                    ));
                }
            }
        }
        if let Some(s) = sessions.into_volume(&dest) {
            if s.state() == PairState::Snap {
                return Err(msg(
                    "swst0639",
                    format!("This Command cannot be run. This is because a copy is currently running (a restore to {} is in progress)", dest.device),
                ));
            }
        }
        if to_tv {
            self.script("OpcRestore.pre", &[device, RESERVED_ARG], true)?;
        }
        let mut result = Ok(());
        if let Some(s) = sessions.between(&bv, &dest) {
            result = self.action(&tv.array, &cli::stop(&[s.sid], false));
        }
        if result.is_ok() {
            result = self.action(
                &tv.array,
                &cli::start(CopyMode::Opc, &[(bv.number, dest.number)], false),
            );
        }
        if result.is_ok() {
            let record = Restore {
                tv: device.to_string(),
                version: h.version,
                bv: bv.device.clone(),
                dest: if to_tv {
                    String::new()
                } else {
                    dest.device.clone()
                },
                dest_number: dest.number,
                started: now(),
            };
            result = self.repo.write(|tx| {
                tx.delete_restore(&record.tv, &record.dest)?;
                tx.set_restore(&record)
            });
        }
        if to_tv {
            let post = self.script("OpcRestore.post", &[device, RESERVED_ARG], false);
            return result.and(post);
        }
        result
    }

    /// A `-r` destination: an unregistered device of the TV's size, or a free BV.
    fn restore_target(
        &mut self,
        name: &str,
        tv: &BackupVolume,
        bindings: &[Binding],
        history: &[History],
    ) -> Result<BackupVolume> {
        if history.iter().any(|h| h.kind == Kind::QuickOpc)
            || bindings.iter().any(|b| b.kind == Bound::Tracking)
        {
            return Err(EternusError::Refused(format!(
                "{} is tracking (QuickOPC): a restore to another device needs the tracking cancelled first (swstcanceltrk)",
                tv.device
            )));
        }
        let usage = self.usage_sets()?;
        if let Some(v) = self.repo.read(|tx| tx.volume(name))? {
            if v.mode == Mode::Transaction {
                return Err(EternusError::Refused(format!(
                    "{name} is a transaction volume and cannot be a restore destination"
                )));
            }
            if usage.history.contains(name) || usage.bound.contains(name) {
                return Err(EternusError::Refused(format!(
                    "{name} is a backup volume in use and cannot be a restore destination"
                )));
            }
        }
        self.check_not_replication(name)?;
        let r = self.rep()?.resolve(name)?;
        if r.size != tv.size || r.array != tv.array {
            return Err(EternusError::Refused(format!(
                "{name} ({} bytes) is not the size of {} ({} bytes) in the same storage system",
                r.size, tv.device, tv.size
            )));
        }
        Ok(BackupVolume {
            seq: 0,
            device: name.to_string(),
            array: r.array,
            box_id: r.box_id,
            number: r.number,
            size: r.size,
            mode: Mode::Backup,
        })
    }

    /// swstcancelrest.
    pub fn cancel_restore(
        &mut self,
        device: &str,
        which: Generation,
        to: Option<&str>,
        emergency: bool,
    ) -> Result<CancelRestore> {
        let tv = self.registered(device, Mode::Transaction)?;
        self.check_not_replication(device)?;
        let (history, restores) = self
            .repo
            .read(|tx| Ok((tx.history(device)?, tx.restores_of(device)?)))?;
        let h = Self::pick(&history, which, device)?;
        let dest_key = match to {
            Some(name) if name != device => name.to_string(),
            _ => String::new(),
        };
        let Some(r) = restores
            .into_iter()
            .find(|r| r.version == h.version && r.dest == dest_key)
        else {
            if to.is_some() && !dest_key.is_empty() {
                return Err(EternusError::Refused(format!(
                    "there is no restore of {device} to {dest_key}"
                )));
            }
            return Ok(CancelRestore::NotPerformed);
        };
        let bv = self.registered(&r.bv, Mode::Backup)?;
        let sessions = self.sessions_of(&[&tv])?;
        let running = sessions
            .get(&tv.array, bv.number, r.dest_number)
            .filter(|s| {
                matches!(
                    s.state(),
                    PairState::Snap | PairState::Readying | PairState::Failed | PairState::Halt
                )
            })
            .cloned();
        if running.is_none() {
            // Finished: nothing to cancel; forget it.
            self.repo.write(|tx| tx.delete_restore(device, &r.dest))?;
            return Ok(CancelRestore::NotPerformed);
        }
        if !emergency {
            if let Some(s) = running {
                let pair = format!("{} to {}", r.bv, to.unwrap_or(device));
                self.stop_confirmed(&tv.array, &[(s.sid, pair)], false)?;
            }
        }
        self.repo.write(|tx| tx.delete_restore(device, &r.dest))?;
        Ok(CancelRestore::Cancelled)
    }

    // ----- resource match and the list's own backup --------------------------------------

    /// swstsrsemtch: forgets bindings whose sessions are gone, downgrades histories whose
    /// sessions are gone, stops sessions between registered TVs and BVs that the list does
    /// not know (left by a killed command), drops stale running markers. `check_file`
    /// (`-x`) also checks the list's file integrity.
    pub fn resource_match(&mut self, check_file: bool) -> Result<()> {
        if check_file {
            self.repo.integrity()?;
        }
        let list = self.snapshot_of_list()?;
        let every = self.volumes()?;
        let sessions = self.all_sessions(&list)?;
        let by_name: HashMap<&str, &BackupVolume> =
            every.iter().map(|v| (v.device.as_str(), v)).collect();
        let by_number: HashMap<(&str, u32), &BackupVolume> = every
            .iter()
            .map(|v| ((v.array.as_str(), v.number), v))
            .collect();
        let session = |tv: &str, bv: &str| {
            by_name
                .get(tv)
                .zip(by_name.get(bv))
                .and_then(|(t, b)| sessions.between(t, b))
        };
        let gone_bindings: Vec<String> = list
            .bindings
            .iter()
            .filter(|b| session(&b.tv, &b.bv).is_none())
            .map(|b| b.bv.clone())
            .collect();
        // A synchronous backup killed after its suspend and before its record: the
        // session is suspended without history (used-S).
        let suspended: Vec<(String, String)> = list
            .bindings
            .iter()
            .filter(|b| b.kind == Bound::Sync)
            .filter(|b| session(&b.tv, &b.bv).is_some_and(|s| s.state() == PairState::Replicated))
            .map(|b| (b.bv.clone(), b.tv.clone()))
            .collect();
        let downgraded: Vec<(String, i64, Kind)> = list
            .history
            .values()
            .flatten()
            .filter(|h| matches!(h.kind, Kind::QuickOpc | Kind::EcSuspend))
            .filter(|h| session(&h.tv, &h.bv).is_none())
            .map(|h| {
                (
                    h.tv.clone(),
                    h.version,
                    if h.kind == Kind::QuickOpc {
                        Kind::Opc
                    } else {
                        Kind::Ec
                    },
                )
            })
            .collect();
        let known: BTreeSet<(String, String)> = list
            .bindings
            .iter()
            .map(|b| (b.tv.clone(), b.bv.clone()))
            .chain(
                list.history
                    .values()
                    .flatten()
                    .map(|h| (h.tv.clone(), h.bv.clone())),
            )
            .chain(list.restores.iter().map(|r| {
                (
                    r.bv.clone(),
                    if r.dest.is_empty() {
                        r.tv.clone()
                    } else {
                        r.dest.clone()
                    },
                )
            }))
            .collect();
        // Sessions between a registered TV and BV (either way) that the list does not know.
        let mut orphans: HashMap<String, Vec<u32>> = HashMap::new();
        for s in sessions.all() {
            let (Some(from), Some(to)) = (
                by_number.get(&(s.array.as_str(), s.source)),
                by_number.get(&(s.array.as_str(), s.destination)),
            ) else {
                continue;
            };
            let pair = match (from.mode, to.mode) {
                (Mode::Transaction, Mode::Backup) => (from.device.clone(), to.device.clone()),
                (Mode::Backup, Mode::Transaction) => (to.device.clone(), from.device.clone()),
                _ => continue,
            };
            let restore_known = known.contains(&(from.device.clone(), to.device.clone()));
            if !known.contains(&pair) && !restore_known {
                orphans.entry(s.array.clone()).or_default().push(s.sid);
            }
        }
        for (array, sids) in orphans {
            self.log.info(&format!(
                "swstsrsemtch: stopping {} session(s) on {array} that the backup management list does not know",
                sids.len()
            ));
            self.action(&array, &cli::stop(&sids, false))?;
        }
        let me = std::process::id();
        let stale: Vec<u32> = self
            .repo
            .read(|tx| tx.running())?
            .into_iter()
            .map(|(pid, _, _)| pid)
            .filter(|pid| *pid != me && !alive(*pid))
            .collect();
        self.repo.write(|tx| {
            for bv in &gone_bindings {
                tx.unbind(bv)?;
            }
            for (bv, tv) in &suspended {
                tx.bind(bv, tv, Bound::Suspend)?;
            }
            for (tv, version, kind) in &downgraded {
                tx.set_history_kind(tv, *version, *kind)?;
            }
            for pid in &stale {
                tx.clear_running(*pid)?;
            }
            Ok(())
        })
    }
}

/// Everything the display commands show, read in one transaction.
#[derive(Debug, Default)]
pub struct ListView {
    pub volumes: Vec<BackupVolume>,
    pub policies: HashMap<String, Policy>,
    pub history: HashMap<String, Vec<History>>,
    pub bindings: Vec<Binding>,
    pub restores: Vec<Restore>,
    pub states: HashMap<String, crate::backup_repo::TvState>,
    /// Index into `volumes` by device name (displays look up thousands of BVs).
    pub by_device: HashMap<String, usize>,
}

impl ListView {
    pub fn volume(&self, device: &str) -> Option<&BackupVolume> {
        self.by_device
            .get(device)
            .and_then(|&i| self.volumes.get(i))
    }

    pub fn transaction_volumes(&self) -> impl Iterator<Item = &BackupVolume> {
        self.volumes.iter().filter(|v| v.mode == Mode::Transaction)
    }

    pub fn history_of(&self, tv: &str) -> &[History] {
        self.history.get(tv).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Which BVs hold a history and which are bound by a session without history.
#[derive(Debug, Default)]
pub struct Usage {
    pub history: BTreeSet<String>,
    pub bound: BTreeSet<String>,
}

impl BackupEngine<'_> {
    fn usage_sets(&mut self) -> Result<Usage> {
        self.repo.read(|tx| {
            Ok(Usage {
                history: tx.all_history()?.into_iter().map(|h| h.bv).collect(),
                bound: tx.bindings()?.into_iter().map(|b| b.bv).collect(),
            })
        })
    }
}

/// Records a new generation of `tv`, made at `when` by a copy of `kind` into `bv` (no
/// longer bound otherwise), as the TV's last backup.
fn record_generation(
    tx: &BTx<'_>,
    tv: &BackupVolume,
    bv: &BackupVolume,
    kind: Kind,
    when: i64,
) -> Result<()> {
    tx.unbind(&bv.device)?;
    let version = tx.take_version(&tv.device)?;
    tx.insert_history(&History {
        tv: tv.device.clone(),
        version,
        bv: bv.device.clone(),
        kind,
        date: when,
        bv_number: Some(bv.number),
    })?;
    tx.set_last_backup(&tv.device, when)
}

/// A history deleted while its session stays on the array leaves its BV bound to the TV
/// `tv`: tracking (QuickOPC) or suspended (EC); an OPC or a released EC leaves it free.
fn bind_left_session(tx: &BTx<'_>, h: &History, tv: &str) -> Result<()> {
    match h.kind {
        Kind::QuickOpc => tx.bind(&h.bv, tv, Bound::Tracking),
        Kind::EcSuspend => tx.bind(&h.bv, tv, Bound::Suspend),
        Kind::Opc | Kind::Ec => Ok(()),
    }
}

/// The array session from `tv` to each BV of `chosen` that has one, with its `TV to BV`
/// label.
fn sessions_to<'s>(
    sessions: &'s Sessions,
    tv: &BackupVolume,
    volumes: &HashMap<String, BackupVolume>,
    chosen: &[(String, Option<i64>)],
) -> Vec<(&'s CopySession, String)> {
    chosen
        .iter()
        .filter_map(|(bv, _)| {
            volumes
                .get(bv)
                .and_then(|v| sessions.between(tv, v))
                .map(|s| (s, format!("{} to {bv}", tv.device)))
        })
        .collect()
}

/// The backup volume the device map file names for the TV `tv`, with its name: refused
/// when the map names none or names a volume not registered as a backup volume.
fn mapped_bv<'a>(
    map: &'a devmap::DeviceMap,
    tv: &str,
    volumes: &'a HashMap<String, BackupVolume>,
) -> Result<(&'a str, &'a BackupVolume)> {
    let name = map.backup_volume(tv).ok_or_else(|| {
        EternusError::Refused(format!(
            "the device map file names no backup volume for {tv}"
        ))
    })?;
    let bv = volumes
        .get(name)
        .filter(|v| v.mode == Mode::Backup)
        .ok_or_else(|| {
            EternusError::Refused(format!(
                "{name} (device map file) is not registered as a backup volume"
            ))
        })?;
    Ok((name, bv))
}

fn no_free_bv(tv: &BackupVolume) -> EternusError {
    msg(
        "swst0607",
        format!(
            "There is no unused backup volume of the size of {} ({} bytes) in its storage system.",
            tv.device, tv.size
        ),
    )
}

/// A fresh, hard-to-guess temporary name (SQLite refuses to VACUUM INTO an existing file,
/// so a planted file or link fails the command instead of being written through).
fn temp_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".backup.db.{}.{nanos:09}.tmp", std::process::id())
}

/// swstresback: a consistent copy of the list into `dir/FJSVswsts/backup.db` (written to a
/// temporary name first, so the previous save stays until the new one is complete).
pub fn save_list(paths: &Paths, dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(msg(
            "swst0620",
            format!(
                "The backup directory does not exist. Directory={}",
                dir.display()
            ),
        ));
    }
    let source = BackupRepository::path(paths);
    if !source.exists() {
        return Err(not_set_up());
    }
    let repo = BackupRepository::open_at(&source)?;
    let target_dir = dir.join("FJSVswsts");
    std::fs::create_dir_all(&target_dir).map_err(|e| EternusError::io(&target_dir, e))?;
    let temp = target_dir.join(temp_name());
    repo.save_to(&temp)?;
    let target = target_dir.join("backup.db");
    std::fs::rename(&temp, &target).map_err(|e| EternusError::io(&target, e))
}

/// swstresrst: replaces the list with the one saved in `dir` (after checking it).
pub fn restore_list(paths: &Paths, dir: &Path) -> Result<()> {
    let live = BackupRepository::path(paths);
    let current_server = {
        if !live.exists() {
            return Err(not_set_up());
        }
        let mut repo = BackupRepository::open_at(&live)?;
        repo.read(|tx| tx.meta(SERVER_KEY))?
            .ok_or_else(not_set_up)?
    };
    if !dir.is_dir() {
        return Err(msg(
            "swst0620",
            format!(
                "The backup directory does not exist. Directory={}",
                dir.display()
            ),
        ));
    }
    let saved = dir.join("FJSVswsts/backup.db");
    if !saved.is_file() {
        return Err(msg(
            "swst0621",
            format!(
                "There are no backup management files in the directory. Directory={}",
                dir.display()
            ),
        ));
    }
    let saved_repo = BackupRepository::open_existing_at(&saved)?;
    saved_repo.integrity()?;
    let temp = live.with_file_name(temp_name());
    saved_repo.save_to(&temp)?;
    {
        let mut restored = BackupRepository::open_at(&temp)?;
        restored.write(|tx| tx.set_meta(SERVER_KEY, &current_server))?;
    }
    std::fs::rename(&temp, &live).map_err(|e| EternusError::io(&live, e))
}

fn alive(pid: u32) -> bool {
    i32::try_from(pid)
        .ok()
        .is_some_and(|p| nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok())
}

/// Where `device` (or a partition or logical volume under it) is mounted, if it is:
/// `/dev/sdb` covers `/dev/sdb1`, `/dev/nvme0n1` covers `/dev/nvme0n1p1`, `/dev/vg01`
/// covers `/dev/vg01/lvol1`; `/dev/hdisk1` does not cover `/dev/hdisk10`.
fn mount_point(paths: &Paths, device: &str) -> Option<std::path::PathBuf> {
    let ends_with_digit = device.ends_with(|c: char| c.is_ascii_digit());
    let covers = |source: &str| match source.strip_prefix(device) {
        Some("") => true,
        Some(rest) if rest.starts_with('/') => true,
        Some(rest) if ends_with_digit => rest
            .strip_prefix('p')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())),
        Some(rest) => rest.chars().all(|c| c.is_ascii_digit()),
        None => false,
    };
    arraysync_core::service::read_mounts(&paths.mounts_file())
        .into_iter()
        .find(|m| covers(&m.source.to_string_lossy()))
        .map(|m| m.target)
}

fn refuse_mounted(paths: &Paths, device: &str, what: &str) -> Result<()> {
    match mount_point(paths, device) {
        Some(target) => Err(EternusError::Refused(format!(
            "{device} is mounted on {}: {what}",
            target.display()
        ))),
        None => Ok(()),
    }
}

fn not_set_up() -> EternusError {
    msg(
        "swst0604",
        "The Managed Server is not set up for backup management: run swstsvrset first.",
    )
}

/// A registration change is refused while the volume holds history, a policy or a session.
fn check_unused(tx: &BTx<'_>, v: &BackupVolume) -> Result<()> {
    match v.mode {
        Mode::Transaction => {
            if tx.policy(&v.device)?.is_some() {
                return Err(EternusError::Refused(format!(
                    "{} has a backup policy: delete it first (swstbkpoldel)",
                    v.device
                )));
            }
            if !tx.history(&v.device)?.is_empty() || !tx.bindings_of(&v.device)?.is_empty() {
                return Err(EternusError::Refused(format!(
                    "{} has backup history or sessions: delete them first",
                    v.device
                )));
            }
        }
        Mode::Backup => {
            if tx.all_history()?.iter().any(|h| h.bv == v.device) {
                return Err(EternusError::Refused(format!(
                    "{} holds backup history: delete it first (swsthistdel)",
                    v.device
                )));
            }
            if let Some(b) = tx.bindings()?.iter().find(|b| b.bv == v.device) {
                return Err(EternusError::Refused(format!(
                    "{} is {} for {}: cancel it first",
                    v.device,
                    match b.kind {
                        Bound::Sync => "in backup synchronous processing",
                        Bound::Suspend => "suspended",
                        Bound::Tracking => "tracking",
                    },
                    b.tv
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(ctype: &str, status: &str, phase: &str) -> CopySession {
        CopySession {
            array: "DX1".into(),
            sid: 1,
            ctype: crate::copy::CopyType::parse(ctype),
            source: 0,
            destination: 1,
            generation: None,
            generations: None,
            status: status.into(),
            phase: phase.into(),
            error_code: "0x00".into(),
            copied_pct: Some(45),
            update_pct: Some(12),
            access: "Write".into(),
            timestamp: None,
            rec: None,
        }
    }

    fn pair(v: CopyView) -> (String, String) {
        (v.status, v.execute)
    }

    #[test]
    fn mounted_devices_and_their_partitions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::fs::create_dir_all(dir.path().join("proc/self")).expect("mkdir");
        std::fs::write(
            dir.path().join("proc/self/mounts"),
            "/dev/sdb1 /data ext4 rw 0 0\n/dev/hdisk10 /h ext4 rw 0 0\n/dev/vg01/lvol1 /v jfs2 rw 0 0\n/dev/nvme0n1p2 /n xfs rw 0 0\n",
        )
        .expect("write");
        let at = |d: &str| mount_point(&paths, d).map(|p| p.display().to_string());
        assert_eq!(at("/dev/sdb").as_deref(), Some("/data"));
        assert_eq!(at("/dev/hdisk10").as_deref(), Some("/h"));
        assert_eq!(at("/dev/hdisk1"), None);
        assert_eq!(at("/dev/vg01").as_deref(), Some("/v"));
        assert_eq!(at("/dev/vg0"), None);
        assert_eq!(at("/dev/nvme0n1").as_deref(), Some("/n"));
        assert_eq!(at("/dev/sdc"), None);
    }

    #[test]
    fn snapshot_status_words() {
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(pair(snapshot_view(None)), p("succeeded", "----"));
        assert_eq!(
            pair(snapshot_view(Some(&session("OPC", "Active", "Copying")))),
            p("executing", "45%")
        );
        assert_eq!(
            pair(snapshot_view(Some(&session(
                "QuickOPC", "Active", "Tracking"
            )))),
            p("succeeded", "----")
        );
        assert_eq!(
            pair(snapshot_view(Some(&session(
                "OPC",
                "Error Suspend",
                "Copying"
            )))),
            p("failed", "----")
        );
        assert_eq!(
            pair(snapshot_view(Some(&session("OPC", "Halt", "Copying")))),
            p("halt", "----")
        );
        assert_eq!(
            pair(snapshot_view(Some(&session("OPC", "Weird", "?")))),
            p("?????", "----")
        );
    }

    #[test]
    fn sync_and_tracking_status_words() {
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(pair(sync_view(None)), p("nosession", "----"));
        assert_eq!(
            pair(sync_view(Some(&session("EC", "Active", "Copying")))),
            p("executing", "45%")
        );
        assert_eq!(
            pair(sync_view(Some(&session("EC", "Active", "Equivalent")))),
            p("equivalent", "100%")
        );
        assert_eq!(
            pair(sync_view(Some(&session("EC", "Suspend", "Suspend")))),
            p("suspend", "----")
        );
        let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(tracking_view(None), t("nosession", "----", "----"));
        assert_eq!(
            tracking_view(Some(&session("QuickOPC", "Active", "Tracking"))),
            t("tracking", "----", "12%")
        );
        assert_eq!(
            tracking_view(Some(&session("QuickOPC", "Active", "Tracking & Copy"))),
            t("executing", "45%", "----")
        );
    }
}
