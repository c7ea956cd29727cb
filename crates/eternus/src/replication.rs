//! The replication engine: pair registration and the copy operations of spec §3 on
//! registered pairs, independent of any front end. The swsrp* commands and the `eternus`
//! resource type drive it; the backup engine reuses its repository, device model and
//! transport.
//!
//! One [`Engine`] serves one command run: it holds the repository and at most one CLI
//! session per array, opened on first use and closed at the end, so a group operation over
//! hundreds of pairs is one SSH session.

use crate::array::ArrayConf;
use crate::cli::{self, Mode};
use crate::copy::{CopySession, CopyType, Direction, PairSessions, PairState};
use crate::device::{self, ArrayVolumes, Volume, VolumeName};
use crate::error::{EternusError, Result};
use crate::parse;
use crate::remote::Remotes;
use crate::repo::{CopyDirection, OpServer, Pair, Repository};
use crate::scripts::{self, Script, Suppress};
use crate::transport::{Kind, Options, Session};
use arraysync_core::config::is_safe_name;
use arraysync_core::ini::Ini;
use arraysync_core::log::Logger;
use arraysync_core::Paths;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the Managed Server's own name is kept (`[node] name = SRC-SV`); the host name
/// when absent.
pub const NODE_FILE: &str = "/etc/opt/swstorage/swnode.ini";

/// The name of this Managed Server.
pub fn local_server_name(paths: &Paths) -> Result<String> {
    let path = paths.under_root(NODE_FILE);
    if path.exists() {
        let ini = Ini::load(&path)?;
        if let Some(entry) = ini.lookup("node", "name") {
            if !device::valid_server_name(&entry.value) {
                return Err(EternusError::Config(arraysync_core::ConfigError::new(
                    ini.location("node", Some(entry)),
                    format!("'{}' is not a server name", entry.value),
                )));
            }
            return Ok(entry.value.clone());
        }
    }
    Ok(std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .map(|h| h.split('.').next().unwrap_or("localhost").to_string())
        .filter(|h| device::valid_server_name(h))
        .unwrap_or_else(|| "localhost".to_string()))
}

/// Where swsrpmake records the post-processing it owes while the copy is made (one file
/// per pair); swsrprecoverres runs what an interrupted swsrpmake left there.
pub const PENDING_DIR: &str = "/etc/opt/FJSVswsrp/data/DEFAULT/pending";

/// swsrpsetvol options.
#[derive(Debug, Clone, Default)]
pub struct SetvolOptions {
    /// `-n`: allow different sizes.
    pub no_size_check: bool,
    /// `-u`: unidirectional.
    pub unidirectional: bool,
    /// `-o`: operation server (inter-server pairs).
    pub op_server: Option<OpServer>,
    /// `-Xgroup`.
    pub group: Option<String>,
}

/// What startsync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// Total copy started.
    Started,
    /// Incremental copy from `replicated`.
    Resumed,
    /// Already `sync` or `equivalent`: nothing done (the manual's informational swsrp2401).
    AlreadySynchronizing,
}

/// Options of the pair operations.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpOptions {
    pub suppress: Suppress,
    /// `-T` (make: QuickOPC; cancel: end tracking only).
    pub tracking: bool,
    /// `-Xda` (startsync).
    pub no_access: bool,
    /// `-j` (make): forced suspend (REC only).
    pub forced: bool,
    /// Concurrent OPC with tracking may mix tracking pairs (restarted differentially) and
    /// pairs without a session (started): the `eternus` resource's QuickOPC group after a
    /// pair was added. swsrpmake keeps the manual's refusal.
    pub mixed_tracking: bool,
    /// `-C` (SnapOPC) or `-P` (SnapOPC+) for make; `-Xforce` for cancel (a SnapOPC+
    /// generation and every older one).
    pub snap: Snap,
    pub force: bool,
    /// REC start options (`-y -a -v -k -i -g -Xskip -Xremain`).
    pub rec: RecStart,
    /// `-b` (cancel): stop a REC copy in halt.
    pub halt_stop: bool,
}

/// The REC options of swsrpstartsync: modes (a total-copy start, or on a resume the
/// current ones), `-Xskip` and `-Xremain`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecStart {
    pub modes: cli::RecModes,
    pub skip: bool,
    pub remain: bool,
}

/// A pair whose volumes are in two storage systems: its copy is REC (decided from the
/// box identifiers, as the manual does).
pub fn is_rec(pair: &Pair) -> bool {
    pair.orig.box_id != pair.rep.box_id
}

/// The copy-on-write types of swsrpmake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Snap {
    #[default]
    No,
    /// `-C`
    SnapOpc,
    /// `-P`
    SnapOpcPlus,
}

fn make_mode(opts: OpOptions) -> Mode {
    match (opts.snap, opts.tracking) {
        (Snap::SnapOpc, _) => Mode::SnapOpc,
        (Snap::SnapOpcPlus, _) => Mode::SnapOpcPlus,
        (Snap::No, true) => Mode::QuickOpc,
        (Snap::No, false) => Mode::Opc,
    }
}

/// The concurrent functions of swsrpmake (spec §3.6): two options, two meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Concurrent {
    /// Pair by pair, in order.
    #[default]
    No,
    /// `-Xconcur`: Concurrent Suspend of EC pairs (every pair must be synchronous).
    Suspend,
    /// `-Xconcur-opc`: Concurrent OPC (the group must hold no synchronous pair).
    Opc,
}

/// Group names: up to 64 of `[A-Za-z0-9-_#.]`, the first alphanumeric.
pub fn valid_group_name(name: &str) -> bool {
    is_safe_name(name, 64, &['-', '_', '#', '.'])
}

/// One command run.
pub struct Engine<'a> {
    paths: &'a Paths,
    log: &'a Logger,
    pub repo: Repository,
    local: String,
    options: Options,
    sessions: BTreeMap<String, Session>,
    copies: BTreeMap<String, Vec<Arc<CopySession>>>,
    collected: bool,
    /// Sessions to the other Managed Servers (loaded on first need).
    remotes: Option<Remotes>,
    /// `-m`: no contact with the non-operation server (no status check, no scripts).
    partner: bool,
    /// Remote volumes already checked on their server in this run (`device@server`).
    verified: std::collections::BTreeSet<String>,
}

impl<'a> Engine<'a> {
    /// The engine over an existing repository (a missing one reads as nothing registered
    /// and is not created): every command but the configuring ones.
    pub fn open(paths: &'a Paths, log: &'a Logger, options: Options) -> Result<Engine<'a>> {
        let repo = Repository::open(paths)?;
        Self::with_repo(paths, log, options, repo)
    }

    /// The engine for a configuring command (`swsrpsetvol`): creates the repository.
    pub fn open_creating(
        paths: &'a Paths,
        log: &'a Logger,
        options: Options,
    ) -> Result<Engine<'a>> {
        let repo = Repository::create_or_open(paths)?;
        Self::with_repo(paths, log, options, repo)
    }

    fn with_repo(
        paths: &'a Paths,
        log: &'a Logger,
        options: Options,
        repo: Repository,
    ) -> Result<Engine<'a>> {
        let local = local_server_name(paths)?;
        Ok(Engine {
            paths,
            log,
            repo,
            local,
            options,
            sessions: BTreeMap::new(),
            copies: BTreeMap::new(),
            collected: false,
            remotes: None,
            partner: true,
            verified: Default::default(),
        })
    }

    /// `-m`: nothing is asked of, or run on, the other server of an inter-server pair.
    pub fn skip_partner(&mut self) {
        self.partner = false;
    }

    /// The sessions to other Managed Servers (the server table is read on first need).
    fn remotes(&mut self) -> Result<&mut Remotes> {
        if self.remotes.is_none() {
            self.remotes = Some(Remotes::load(self.paths)?);
        }
        self.remotes.as_mut().ok_or_else(|| EternusError::Server {
            server: "?".into(),
            message: "no server table".into(),
        })
    }

    /// Whether `server` is another Managed Server declared in the server table.
    fn reachable(&mut self, server: &str) -> Result<bool> {
        Ok(server != self.local && self.remotes()?.declared(server))
    }

    /// How many sessions to other Managed Servers this run opened.
    pub fn remote_sessions(&self) -> usize {
        self.remotes.as_ref().map_or(0, Remotes::opened)
    }

    /// Opens the session to each declared partner server of `pairs` and checks there that
    /// its volumes are still the registered ones (device lookup on the server that owns
    /// them), before anything changes. With `-m` nothing is asked.
    pub fn reach_partners(&mut self, pairs: &[&Pair]) -> Result<()> {
        if !self.partner {
            return Ok(());
        }
        let mut wanted: BTreeMap<String, Vec<&Volume>> = BTreeMap::new();
        for pair in pairs {
            for volume in [&pair.orig, &pair.rep] {
                if !self.verified.contains(&volume.qualified()) && self.reachable(&volume.server)? {
                    wanted
                        .entry(volume.server.clone())
                        .or_default()
                        .push(volume);
                }
            }
        }
        let log = self.log;
        for (server, volumes) in wanted {
            let devices: Vec<String> = volumes.iter().map(|v| v.device.clone()).collect();
            let found = self.remotes()?.session(&server, log)?.lookup(&devices)?;
            for volume in volumes {
                match found.iter().find(|e| e.device == volume.device) {
                    Some(e) if e.array == volume.array && e.number == volume.number => {
                        self.verified.insert(volume.qualified());
                    }
                    Some(e) => {
                        return Err(EternusError::Refused(format!(
                            "{}: Managed Server {server} now maps it to volume {} of {}, registered as volume {} of {} (delete and register the pair again)",
                            volume.qualified(),
                            e.number,
                            e.array,
                            volume.number,
                            volume.array
                        )))
                    }
                    None => {
                        return Err(EternusError::Refused(format!(
                            "{}: the device is not found on Managed Server {server}",
                            volume.qualified()
                        )))
                    }
                }
            }
        }
        Ok(())
    }

    pub fn local_server(&self) -> &str {
        &self.local
    }

    pub fn log(&self) -> &Logger {
        self.log
    }

    /// Ends every CLI session and every session to another Managed Server.
    pub fn close(mut self) {
        if let Some(remotes) = self.remotes.as_mut() {
            remotes.close();
        }
        for (_, session) in std::mem::take(&mut self.sessions) {
            session.close();
        }
    }

    fn session(&mut self, array: &str) -> Result<&mut Session> {
        if !self.sessions.contains_key(array) {
            let conf = ArrayConf::load(self.paths, array)?;
            let session = Session::open(&conf, self.log, self.options.clone())?;
            self.sessions.insert(array.to_string(), session);
        }
        self.sessions
            .get_mut(array)
            .ok_or_else(|| EternusError::Transport {
                array: array.into(),
                message: "no session".into(),
            })
    }

    /// One CLI command on the array's session of this run (actions drop the cached list).
    pub fn call(&mut self, array: &str, command: &str, kind: Kind) -> Result<Vec<String>> {
        if kind == Kind::Action {
            // Either box lists a REC session: an action may change any REC list.
            self.copies
                .retain(|key, _| key != array && !key.ends_with(REC_SUFFIX));
        }
        Ok(self.session(array)?.call(command, kind)?.lines)
    }

    // ----- devices ---------------------------------------------------------------------

    /// Re-reads the devices file and asks the arrays; replaces the device table.
    pub fn collect_devices(&mut self) -> Result<Vec<Volume>> {
        let paths = self.paths;
        let local = self.local.clone();
        let mut query = |array: &str| -> Result<ArrayVolumes> {
            device::query_array(self.session_for_collect(array)?)
        };
        let volumes = device::collect(paths, &local, &mut query)?;
        self.repo.write(|tx| tx.replace_devices(&volumes))?;
        self.collected = true;
        Ok(volumes)
    }

    fn session_for_collect(&mut self, array: &str) -> Result<&mut Session> {
        self.session(array)
    }

    /// Resolves a volume operand to its array volume (collecting devices once if unknown).
    pub fn resolve(&mut self, name: &str) -> Result<Volume> {
        let parsed = VolumeName::parse(name)?;
        let server = parsed.server.clone().unwrap_or_else(|| self.local.clone());
        if let Some(v) = self.repo.read(|tx| tx.device(&server, &parsed.device))? {
            return Ok(v);
        }
        if !self.collected {
            self.collect_devices()?;
            if let Some(v) = self.repo.read(|tx| tx.device(&server, &parsed.device))? {
                return Ok(v);
            }
        }
        if self.reachable(&server)? {
            return self.resolve_remote(&server, &parsed.device);
        }
        Err(EternusError::UnknownDevice {
            device: format!("{}@{server}", parsed.device),
        })
    }

    /// A volume of another Managed Server, from that server's own devices file (over its
    /// session), sized and identified on the array from here.
    fn resolve_remote(&mut self, server: &str, device: &str) -> Result<Volume> {
        let log = self.log;
        let found = self
            .remotes()?
            .session(server, log)?
            .lookup(&[device.to_string()])?;
        let Some(entry) = found.into_iter().find(|e| e.device == device) else {
            return Err(EternusError::UnknownDevice {
                device: format!("{device}@{server}"),
            });
        };
        let known = device::query_array(self.session(&entry.array)?)?;
        let row = known.volumes.get(&entry.number).ok_or_else(|| {
            EternusError::Refused(format!(
                "{device}@{server}: Managed Server {server} maps it to volume {} of {}, which the array does not have",
                entry.number, entry.array
            ))
        })?;
        Ok(Volume {
            server: server.to_string(),
            device: device.to_string(),
            array: entry.array.clone(),
            box_id: known.box_id.clone(),
            number: row.number,
            size: row.size_mb.saturating_mul(1024 * 1024),
        })
    }

    /// `(server, device)` of an operand, without touching the device table.
    fn name(&self, text: &str) -> Result<(String, String)> {
        let parsed = VolumeName::parse(text)?;
        Ok((
            parsed.server.unwrap_or_else(|| self.local.clone()),
            parsed.device,
        ))
    }

    // ----- registration ----------------------------------------------------------------

    pub fn setvol(&mut self, orig: &str, rep: &str, opts: &SetvolOptions) -> Result<()> {
        let orig = self.resolve(orig)?;
        let rep = self.resolve(rep)?;
        if orig.server != self.local && rep.server != self.local {
            return Err(EternusError::Refused(
                "both volumes are on other servers: at least one must be on this server".into(),
            ));
        }
        if orig.server == rep.server && orig.device == rep.device
            || orig.box_id == rep.box_id && orig.number == rep.number
        {
            return Err(EternusError::Refused(format!(
                "{} and {} are the same volume",
                orig.qualified(),
                rep.qualified()
            )));
        }
        if orig.size != rep.size && !opts.no_size_check {
            return Err(EternusError::Refused(format!(
                "the sizes of {} ({} bytes) and {} ({} bytes) differ (use -n to register them anyway)",
                orig.qualified(), orig.size, rep.qualified(), rep.size
            )));
        }
        for v in [&orig, &rep] {
            if v.server == self.local {
                refuse_backup_volume(self.paths, &v.device)?;
            }
        }
        if let Some(group) = &opts.group {
            if !valid_group_name(group) {
                return Err(EternusError::Refused(format!(
                    "'{group}' is not a valid group name"
                )));
            }
        }
        let inter_server = orig.server != rep.server;
        for v in [&orig, &rep] {
            if self.reachable(&v.server)? {
                let log = self.log;
                self.remotes()?.session(&v.server, log)?;
            }
        }
        let op_server = if inter_server {
            opts.op_server.unwrap_or(OpServer::Both)
        } else {
            OpServer::Both
        };
        let pair = Pair {
            id: 0,
            orig,
            rep,
            copy: if opts.unidirectional {
                CopyDirection::Unidirectional
            } else {
                CopyDirection::Bidirectional
            },
            op_server,
            group: opts.group.clone(),
            last_made: None,
        };
        // The partner's list first (it registers the pair too, as ACM's Management Server
        // makes both servers do): a refusal there changes nothing here.
        let mut partner = None;
        for server in [&pair.orig.server, &pair.rep.server] {
            if self.reachable(server)? {
                partner = Some(server.clone());
            }
        }
        if let Some(server) = &partner {
            let log = self.log;
            self.remotes()?.session(server, log)?.register(&pair)?;
        }
        if let Err(e) = self.register(&pair) {
            if let Some(server) = &partner {
                let log = self.log;
                let undo = self
                    .remotes()
                    .and_then(|r| r.session(server, log))
                    .and_then(|s| s.unregister(&pair));
                if let Err(u) = undo {
                    log.error(&format!(
                        "{}: registered on Managed Server {server}, and could not be removed there again: {u}",
                        pair.label()
                    ));
                }
            }
            return Err(e);
        }
        Ok(())
    }

    /// Adds `pair` to this server's list, with the manual's refusals (already registered,
    /// same box information, group conditions). One of its volumes must be this server's.
    pub fn register(&mut self, pair: &Pair) -> Result<()> {
        if pair.orig.server != self.local && pair.rep.server != self.local {
            return Err(EternusError::Refused(format!(
                "{}: neither volume is on this server ({})",
                pair.label(),
                self.local
            )));
        }
        self.repo.write(|tx| {
            for other in tx.pairs()? {
                let same = |a: &Volume, b: &Volume| a.server == b.server && a.device == b.device;
                let same_box =
                    |a: &Volume, b: &Volume| a.box_id == b.box_id && a.number == b.number;
                if same(&other.orig, &pair.orig) && same(&other.rep, &pair.rep)
                    || same(&other.orig, &pair.rep) && same(&other.rep, &pair.orig)
                {
                    return Err(EternusError::AlreadyRegistered(format!(
                        "{} and {} are already registered as a pair ({})",
                        pair.orig.qualified(),
                        pair.rep.qualified(),
                        other.label()
                    )));
                }
                if same_box(&other.orig, &pair.orig) && same_box(&other.rep, &pair.rep)
                    || same_box(&other.orig, &pair.rep) && same_box(&other.rep, &pair.orig)
                {
                    return Err(EternusError::AlreadyRegistered(format!(
                        "a pair with the same box information is already registered ({})",
                        other.label()
                    )));
                }
            }
            if let Some(group) = &pair.group {
                check_group(&tx.group_pairs(group)?, pair, group)?;
            }
            tx.insert_pair(pair)
        })?;
        Ok(())
    }

    /// Removes the pair `orig`/`rep` from this server's list; `false` when it is not there.
    pub fn unregister(&mut self, orig: &str, rep: &str) -> Result<bool> {
        match self.registered(orig, rep) {
            Ok(pair) => {
                self.repo.write(|tx| tx.delete_pair(&pair))?;
                Ok(true)
            }
            Err(EternusError::NotRegistered { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Registered pairs, or those whose original is `orig` (an error when it is none's).
    pub fn volinfo(&mut self, orig: Option<&str>) -> Result<Vec<Pair>> {
        match orig {
            None => self.repo.read(|tx| tx.pairs()),
            Some(text) => {
                let (server, device) = self.name(text)?;
                let pairs = self
                    .repo
                    .read(|tx| tx.pairs_of_original(&server, &device))?;
                if pairs.is_empty() {
                    return Err(EternusError::Refused(format!(
                        "{device}@{server} is not registered as a replication source volume"
                    )));
                }
                Ok(pairs)
            }
        }
    }

    /// The registered pair `orig`/`rep`, exactly in that order.
    pub fn registered(&mut self, orig: &str, rep: &str) -> Result<Pair> {
        let (os, od) = self.name(orig)?;
        let (rs, rd) = self.name(rep)?;
        self.repo
            .read(|tx| tx.pairs_of_original(&os, &od))?
            .into_iter()
            .find(|p| p.rep.server == rs && p.rep.device == rd)
            .ok_or(EternusError::NotRegistered {
                orig: format!("{od}@{os}"),
                rep: format!("{rd}@{rs}"),
            })
    }

    pub fn delvol(
        &mut self,
        orig: &str,
        rep: &str,
        emergency: bool,
        no_partner: bool,
    ) -> Result<()> {
        let pair = self.registered(orig, rep)?;
        // Manual 8.3.1.3: "The option is valid only for server-to-server replication".
        if no_partner && pair.orig.server == pair.rep.server {
            return Err(EternusError::Refused(format!(
                "-d is valid only for server-to-server replication; {} is a single-server pair",
                pair.label()
            )));
        }
        if !no_partner {
            self.check_operation_server(&pair)?;
            self.reach_partners(&[&pair])?;
        }
        let mut partner = None;
        if !emergency {
            let sessions = self.pair_sessions(std::slice::from_ref(&pair))?.remove(0);
            if sessions.regular.is_some() || sessions.reverse.is_some() {
                return Err(EternusError::Refused(format!(
                    "copy processing is in progress between {} and {} (cancel it first, or use -e)",
                    pair.orig.qualified(),
                    pair.rep.qualified()
                )));
            }
        }
        if !no_partner {
            for server in [&pair.orig.server, &pair.rep.server] {
                if self.reachable(server)? {
                    partner = Some(server.clone());
                }
            }
        }
        // The partner's list first; -d leaves it (the partner cannot be reached).
        if let Some(server) = &partner {
            let log = self.log;
            self.remotes()?.session(server, log)?.unregister(&pair)?;
        }
        self.repo.write(|tx| tx.delete_pair(&pair))
    }

    /// The pair and direction of `from`/`to` (either order).
    pub fn find(&mut self, from: &str, to: &str) -> Result<(Pair, Direction)> {
        let (fs, fd) = self.name(from)?;
        let (ts, td) = self.name(to)?;
        let candidates = self.repo.read(|tx| tx.pairs_with(&fs, &fd))?;
        let is = |v: &Volume, s: &str, d: &str| v.server == s && v.device == d;
        for pair in candidates {
            if is(&pair.orig, &fs, &fd) && is(&pair.rep, &ts, &td) {
                return Ok((pair, Direction::Regular));
            }
            if is(&pair.rep, &fs, &fd) && is(&pair.orig, &ts, &td) {
                return Ok((pair, Direction::Reverse));
            }
        }
        Err(EternusError::NotRegistered {
            orig: format!("{fd}@{fs}"),
            rep: format!("{td}@{ts}"),
        })
    }

    /// The pairs of a group in registration order, in the direction asked.
    pub fn group(&mut self, name: &str, reverse: bool) -> Result<Vec<(Pair, Direction)>> {
        let pairs = self.repo.read(|tx| tx.group_pairs(name))?;
        if pairs.is_empty() {
            return Err(EternusError::NoGroup(name.to_string()));
        }
        let direction = if reverse {
            Direction::Reverse
        } else {
            Direction::Regular
        };
        Ok(pairs.into_iter().map(|p| (p, direction)).collect())
    }

    /// Refuses an operation from a server that is not the pair's operation server.
    pub fn check_operation_server(&self, pair: &Pair) -> Result<()> {
        if pair.orig.server == pair.rep.server {
            return Ok(());
        }
        let allowed = match pair.op_server {
            OpServer::Both => true,
            OpServer::Original => pair.orig.server == self.local,
            OpServer::Replica => pair.rep.server == self.local,
        };
        if allowed {
            Ok(())
        } else {
            Err(EternusError::Refused(format!(
                "this server ({}) is not the operation server of {}",
                self.local,
                pair.label()
            )))
        }
    }

    // ----- array state -----------------------------------------------------------------

    /// Every copy session of an array (one query per run, until an action).
    pub fn array_sessions(&mut self, array: &str) -> Result<Vec<CopySession>> {
        self.load_sessions(array)?;
        Ok(self.listed(array))
    }

    /// Asks the array for its session list unless this run holds it already.
    fn load_sessions(&mut self, array: &str) -> Result<()> {
        if self.copies.contains_key(array) {
            return Ok(());
        }
        let lines = self.call(array, &cli::show_sessions(), Kind::Query)?;
        let rows = parse::sessions(&lines).map_err(|e| EternusError::Transport {
            array: array.to_string(),
            message: format!("unexpected output: {e}"),
        })?;
        let list: Vec<Arc<CopySession>> = rows
            .into_iter()
            .map(|r| Arc::new(CopySession::from_row(array, r)))
            .collect();
        self.copies.insert(array.to_string(), list);
        Ok(())
    }

    /// Every REC session a box is an end of (one query per run, until an action).
    pub fn rec_sessions(&mut self, array: &str) -> Result<Vec<CopySession>> {
        self.load_rec_sessions(array)?;
        Ok(self.listed(&rec_key(array)))
    }

    /// Asks the box for its REC session list unless this run holds it already.
    fn load_rec_sessions(&mut self, array: &str) -> Result<()> {
        let key = rec_key(array);
        if self.copies.contains_key(&key) {
            return Ok(());
        }
        let lines = self.call(array, &cli::show_rec_sessions(), Kind::Query)?;
        let rows = parse::rec_sessions(&lines).map_err(|e| Self::garbled(array, e))?;
        let list: Vec<Arc<CopySession>> = rows
            .iter()
            .map(|r| Arc::new(CopySession::from_rec_row(array, r)))
            .collect();
        self.copies.insert(key, list);
        Ok(())
    }

    /// A copy of the session list this run holds under `key`.
    fn listed(&self, key: &str) -> Vec<CopySession> {
        self.copies
            .get(key)
            .map(|list| list.iter().map(|s| CopySession::clone(s)).collect())
            .unwrap_or_default()
    }

    /// Drops the cached session lists, so the next query asks the arrays again (polling).
    pub fn forget_sessions(&mut self) {
        self.copies.clear();
    }

    /// The sessions of each pair (one query per array involved). The pairs' sessions are
    /// looked up in the lists this run holds, not in copies of them (10,000 sessions).
    pub fn pair_sessions<P: Borrow<Pair>>(&mut self, pairs: &[P]) -> Result<Vec<PairSessions>> {
        let mut arrays: Vec<String> = pairs
            .iter()
            .map(Borrow::borrow)
            .filter(|p| !is_rec(p))
            .map(|p| p.orig.array.clone())
            .collect();
        arrays.sort();
        arrays.dedup();
        for array in &arrays {
            self.load_sessions(array)?;
        }
        // Either box lists a REC session: the original's box is asked.
        let mut rec_arrays: Vec<String> = pairs
            .iter()
            .map(Borrow::borrow)
            .filter(|p| is_rec(p))
            .map(|p| rec_key(&p.orig.array))
            .collect();
        rec_arrays.sort();
        rec_arrays.dedup();
        for key in &rec_arrays {
            let array = key.strip_suffix(REC_SUFFIX).unwrap_or(key);
            self.load_rec_sessions(array)?;
        }
        let all = arrays
            .iter()
            .chain(&rec_arrays)
            .filter_map(|key| self.copies.get(key))
            .flatten();
        let index = crate::copy::SessionIndex::new(all);
        Ok(pairs.iter().map(|p| index.pair(p.borrow())).collect())
    }

    /// Confirms on the array what an accepted action did (issue 8 item 14): the session
    /// list, read again once after the action (one query per array, whatever the number of
    /// pairs, on the same CLI session), must show each pair's session as `expect` says.
    /// Returns the index and the reason of each pair the array did not act on.
    fn unconfirmed(
        &mut self,
        checks: &[(&Pair, Direction, Expect)],
    ) -> Result<Vec<(usize, String)>> {
        if checks.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<&Pair> = checks.iter().map(|(p, _, _)| *p).collect();
        let all = self.pair_sessions(&pairs)?;
        let mut missing = Vec::new();
        for (i, ((pair, direction, expect), sessions)) in checks.iter().zip(&all).enumerate() {
            if let Some(what) = expect.unmet(sessions.get(*direction)) {
                missing.push((
                    i,
                    format!(
                        "pair {} ({} direction) {what}",
                        pair.label(),
                        direction.text()
                    ),
                ));
            }
        }
        Ok(missing)
    }

    /// [`Engine::unconfirmed`] as an error naming the first pair the array did not act on.
    fn confirm(&mut self, command: &str, checks: &[(&Pair, Direction, Expect)]) -> Result<()> {
        match self.unconfirmed(checks)?.into_iter().next() {
            None => Ok(()),
            Some((i, message)) => Err(EternusError::NotConfirmed {
                array: checks[i].0.orig.array.clone(),
                command: command.to_string(),
                message,
            }),
        }
    }

    fn ends(pair: &Pair, direction: Direction) -> (&Volume, &Volume) {
        match direction {
            Direction::Regular => (&pair.orig, &pair.rep),
            Direction::Reverse => (&pair.rep, &pair.orig),
        }
    }

    fn would_run(&mut self, script: Script, volume: &Volume, suppress: Suppress) -> Result<bool> {
        let source = matches!(script, Script::SrcPre | Script::SrcPost);
        Ok(
            !(suppress.all || (source && suppress.source) || (!source && suppress.destination))
                && (volume.server == self.local
                    || self.partner && self.reachable(&volume.server)?),
        )
    }

    fn pending_path(&self, id: i64) -> std::path::PathBuf {
        self.paths
            .under_root(PENDING_DIR)
            .join(format!("pair-{id}"))
    }

    /// Records (atomically) the post-processing owed for `pair`, or clears it (`None` or
    /// nothing owed).
    fn owe_post(&self, pair: &Pair, owed: Option<&[(Script, Volume)]>) -> Result<()> {
        let path = self.pending_path(pair.id);
        match owed.filter(|o| !o.is_empty()) {
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(EternusError::io(&path, e))
                }
                _ => Ok(()),
            },
            Some(owed) => {
                let dir = self.paths.under_root(PENDING_DIR);
                std::fs::create_dir_all(&dir).map_err(|e| EternusError::io(&dir, e))?;
                let text: String = owed
                    .iter()
                    .map(|(s, v)| {
                        // The server is named when it is not this one (swsrprecoverres
                        // runs the post-processing there).
                        if v.server == self.local {
                            format!("{} {}\n", s.file_name(), v.device)
                        } else {
                            format!("{} {} {}\n", s.file_name(), v.device, v.server)
                        }
                    })
                    .collect();
                arraysync_core::state::atomic_write(&path, text.as_bytes())
                    .map_err(|e| EternusError::io(&path, e))
            }
        }
    }

    /// swsrprecoverres: runs (or with `skip_post`, drops) the post-processing interrupted
    /// swsrpmake runs left; returns what it ran. `rebuild` (`-r`) first re-reads the
    /// devices from the arrays.
    pub fn recover(&mut self, rebuild: bool, skip_post: bool) -> Result<Vec<String>> {
        if rebuild {
            self.collect_devices()?;
        }
        let dir = self.paths.under_root(PENDING_DIR);
        let mut entries: Vec<std::path::PathBuf> = match std::fs::read_dir(&dir) {
            Ok(list) => list.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(EternusError::io(&dir, e)),
        };
        entries.sort();
        let mut ran = Vec::new();
        let mut first_error = None;
        for path in entries {
            let meta = std::fs::symlink_metadata(&path).map_err(|e| EternusError::io(&path, e))?;
            if !meta.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| EternusError::io(&path, e))?;
            if !skip_post {
                for line in text.lines() {
                    let words: Vec<&str> = line.split(' ').collect();
                    let (name, device, server) = match words.as_slice() {
                        [name, device] => (*name, *device, None),
                        [name, device, server] => (*name, *device, Some(*server)),
                        _ => continue,
                    };
                    let script = match name {
                        "RepSrc.post" => Script::SrcPost,
                        "RepDst.post" => Script::DstPost,
                        _ => continue,
                    };
                    let done = match server {
                        None => scripts::run(self.paths, self.log, script, device),
                        Some(server) => {
                            let log = self.log;
                            self.remotes()
                                .and_then(|r| r.session(server, log))
                                .and_then(|s| s.script(script, device))
                        }
                    };
                    match done {
                        Ok(()) => ran.push(server.map_or(format!("{name} {device}"), |s| {
                            format!("{name} {device}@{s}")
                        })),
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            std::fs::remove_file(&path).map_err(|e| EternusError::io(&path, e))?;
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(ran),
        }
    }

    /// Runs a script on the server that owns `volume`: here, or over that server's
    /// session (Appendix C: "a script for a remote volume runs on that server").
    fn script(&mut self, script: Script, volume: &Volume, suppress: Suppress) -> Result<()> {
        let source = matches!(script, Script::SrcPre | Script::SrcPost);
        if suppress.all || (source && suppress.source) || (!source && suppress.destination) {
            return Ok(());
        }
        if volume.server == self.local {
            return scripts::run(self.paths, self.log, script, &volume.device);
        }
        if !self.partner {
            self.log.info(&format!(
                "{}: on server {}, {} not run (-m)",
                volume.device,
                volume.server,
                script.file_name()
            ));
            return Ok(());
        }
        if !self.reachable(&volume.server)? {
            self.log.info(&format!(
                "{}: on server {}, {} not run (the server is not declared in {})",
                volume.device,
                volume.server,
                script.file_name(),
                crate::servers::SERVERS_FILE
            ));
            return Ok(());
        }
        let log = self.log;
        self.remotes()?
            .session(&volume.server, log)?
            .script(script, &volume.device)
    }

    // ----- startsync -------------------------------------------------------------------

    pub fn startsync(
        &mut self,
        pair: &Pair,
        direction: Direction,
        opts: OpOptions,
    ) -> Result<Started> {
        self.check_operation_server(pair)?;
        check_direction(pair, direction)?;
        self.reach_partners(&[pair])?;
        if is_rec(pair) {
            return self.startsync_rec(pair, direction, opts);
        }
        if opts.rec != RecStart::default() {
            return Err(EternusError::Refused(format!(
                "{}: the REC options (-y -a -v -k -i -g -Xskip -Xremain) are valid only for inter-box replication (REC); both volumes are in one storage system",
                pair.label()
            )));
        }
        let sessions = self.pair_sessions(std::slice::from_ref(pair))?.remove(0);
        refuse_opposite(pair, direction, &sessions)?;
        let (from, to) = Self::ends(pair, direction);
        let (from, to) = (from.clone(), to.clone());
        match sessions.get(direction) {
            None => {
                self.script(Script::DstPre, &to, opts.suppress)?;
                let command = cli::start(Mode::Ec, &[(from.number, to.number)], opts.no_access);
                self.call(&from.array, &command, Kind::Action)?;
                self.confirm(&command, &[(pair, direction, Expect::Synchronous)])?;
                Ok(Started::Started)
            }
            Some(s) if s.ctype.is_sync() => match s.state() {
                PairState::Sync | PairState::Equivalent => Ok(Started::AlreadySynchronizing),
                PairState::Replicated => {
                    if opts.no_access {
                        return Err(EternusError::Refused("-Xda can only be given when synchronous processing starts, not on a resume (cancel and start again to change it)".into()));
                    }
                    self.script(Script::DstPre, &to, opts.suppress)?;
                    let command = cli::resume(&[s.sid]);
                    self.call(&from.array, &command, Kind::Action)?;
                    self.confirm(&command, &[(pair, direction, Expect::Resumed)])?;
                    Ok(Started::Resumed)
                }
                other => Err(EternusError::Refused(format!(
                    "synchronous processing cannot start: status is {}",
                    other.text()
                ))),
            },
            Some(s) => Err(EternusError::Refused(format!(
                "a snapshot session ({}) exists between {}; cancel it first",
                s.ctype_text(),
                pair.label()
            ))),
        }
    }

    /// swsrpstartsync of a REC pair (spec §3.3, §4.6): a total copy in the modes asked, or
    /// the resume of a suspended copy (its modes unchanged; `-t` after a forced suspend).
    fn startsync_rec(
        &mut self,
        pair: &Pair,
        direction: Direction,
        opts: OpOptions,
    ) -> Result<Started> {
        let sessions = self.pair_sessions(std::slice::from_ref(pair))?.remove(0);
        refuse_opposite(pair, direction, &sessions)?;
        let (from, to) = Self::ends(pair, direction);
        let (from, to) = (from.clone(), to.clone());
        let Some(s) = sessions.get(direction) else {
            if opts.rec.remain {
                return Err(EternusError::Refused(
                    "-Xremain applies to the restart of a suspended REC copy only".into(),
                ));
            }
            self.script(Script::DstPre, &to, opts.suppress)?;
            let command = cli::start_rec(
                &[(from.number, to.number)],
                &to.box_id,
                opts.rec.modes,
                opts.rec.skip,
            );
            self.call(&from.array, &command, Kind::Action)?;
            let expect = if opts.rec.skip {
                Expect::Suspended
            } else {
                Expect::Synchronous
            };
            self.confirm(&command, &[(pair, direction, expect)])?;
            return Ok(Started::Started);
        };
        match s.state() {
            PairState::Sync | PairState::Equivalent => Ok(Started::AlreadySynchronizing),
            PairState::Replicated => {
                if opts.no_access {
                    return Err(EternusError::Refused("-Xda can only be given when synchronous processing starts, not on a resume (cancel and start again to change it)".into()));
                }
                if opts.rec.skip {
                    return Err(EternusError::Refused(
                        "-Xskip applies to a total-copy start only; the pair is replicated".into(),
                    ));
                }
                check_same_modes(pair, s, opts.rec.modes)?;
                if s.rec.as_ref().is_some_and(|r| r.forced) && !opts.suppress.destination {
                    return Err(EternusError::Refused(format!(
                        "{} was suspended by force (swsrpmake -j): resume it with swsrpstartsync -t",
                        pair.label()
                    )));
                }
                self.script(Script::DstPre, &to, opts.suppress)?;
                let command = cli::resume_rec(&[s.sid], opts.rec.remain);
                self.call(&from.array, &command, Kind::Action)?;
                self.confirm(&command, &[(pair, direction, Expect::Resumed)])?;
                Ok(Started::Resumed)
            }
            PairState::Halt => Err(halted(format!(
                "{} is in halt status: suspend it by force (swsrpmake -j), then resume it with swsrpstartsync -t",
                pair.label()
            ))),
            other => Err(EternusError::Refused(format!(
                "synchronous processing cannot start: status is {}",
                other.text()
            ))),
        }
    }

    /// swsrpchsync (spec §4.10): changes the REC modes of every pair, checked first; then
    /// pair by pair in order, stopping at the first error; confirmed on the session list.
    pub fn chsync(&mut self, pairs: &[(Pair, Direction)], modes: cli::RecModes) -> Result<()> {
        for (pair, _) in pairs {
            self.check_operation_server(pair)?;
        }
        let plain: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
        let all = self.pair_sessions(&plain)?;
        let mut sids = Vec::new();
        for ((pair, direction), sessions) in pairs.iter().zip(&all) {
            let Some(s) = sessions.get(*direction).filter(|s| s.ctype.is_sync()) else {
                return Err(EternusError::Refused(format!(
                    "{}: no synchronous processing runs from {} to {}",
                    pair.label(),
                    Self::ends(pair, *direction).0.qualified(),
                    Self::ends(pair, *direction).1.qualified()
                )));
            };
            let Some(rec) = s.rec.as_ref() else {
                return Err(EternusError::Refused(format!(
                    "{}: the modes apply to inter-box replication (REC) only; this pair copies within one storage system (EC)",
                    pair.label()
                )));
            };
            if matches!(s.state(), PairState::Failed | PairState::Halt) {
                return Err(EternusError::Refused(format!(
                    "{} is in {} status: its modes cannot be changed",
                    pair.label(),
                    s.state().text()
                )));
            }
            if modes.split.is_some() && modes.transfer.unwrap_or(rec.transfer.as_str()) != "sync" {
                return Err(EternusError::Refused(format!(
                    "{}: -S needs -F Sync or a pair in synchronous transfer mode (it is {})",
                    pair.label(),
                    rec.transfer
                )));
            }
            sids.push(s.sid);
        }
        // Every pair passed the checks: one change command per box.
        let mut by_array: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for ((pair, _), sid) in pairs.iter().zip(&sids) {
            by_array
                .entry(pair.orig.array.clone())
                .or_default()
                .push(*sid);
        }
        let mut commands: BTreeMap<String, String> = BTreeMap::new();
        for (array, list) in by_array {
            let command = cli::change_rec(&list, modes);
            self.call(&array, &command, Kind::Action)?;
            commands.insert(array, command);
        }
        let checks: Vec<(&Pair, Direction, String)> = pairs
            .iter()
            .map(|(pair, direction)| {
                let command = commands.get(&pair.orig.array).cloned().unwrap_or_default();
                (pair, *direction, command)
            })
            .collect();
        // The list read again must show the new modes.
        self.forget_sessions();
        let all = self.pair_sessions(&plain)?;
        for ((pair, direction, command), sessions) in checks.into_iter().zip(&all) {
            let rec = sessions.get(direction).and_then(|s| s.rec.clone());
            let shown = rec.as_ref().is_some_and(|r| {
                modes.transfer.is_none_or(|t| t == r.transfer)
                    && modes.split.is_none_or(|v| v == r.split)
                    && modes.recovery.is_none_or(|v| v == r.recovery)
            });
            if !shown {
                return Err(EternusError::NotConfirmed {
                    array: pair.orig.array.clone(),
                    command,
                    message: format!(
                        "pair {} ({} direction) does not show the new modes: the array did not change them",
                        pair.label(),
                        direction.text()
                    ),
                });
            }
        }
        Ok(())
    }

    /// A volume of a registered pair on this server (swsrprecbuffstat, swsrprecbuffset).
    pub fn replication_volume(&mut self, text: &str) -> Result<Volume> {
        let (server, device) = self.name(text)?;
        let pairs = self.repo.read(|tx| tx.pairs_with(&server, &device))?;
        let is = |v: &Volume| v.server == server && v.device == device;
        let found = pairs
            .iter()
            .flat_map(|p| [&p.orig, &p.rep])
            .find(|v| is(v))
            .cloned();
        found.ok_or_else(|| {
            EternusError::Refused(format!(
                "{device}@{server} is not registered as a replication volume"
            ))
        })
    }

    /// swsrprecbuffstat: the box of `volume` (its id) and its REC buffers.
    pub fn recbuffstat(&mut self, volume: &Volume) -> Result<Vec<parse::RecBufferRow>> {
        let lines = self.call(&volume.array, &cli::show_rec_buffer(), Kind::Query)?;
        parse::rec_buffers(&lines).map_err(|e| Self::garbled(&volume.array, e))
    }

    /// swsrprecbuffset: the use of buffer `id` of the box of `volume`.
    pub fn recbuffset(&mut self, volume: &Volume, id: u32, send: bool) -> Result<()> {
        let buffers = self.recbuffstat(volume)?;
        if !buffers.iter().any(|b| b.id == id) {
            return Err(EternusError::Refused(format!(
                "the storage system of {} ({}) has no REC buffer {id}",
                volume.qualified(),
                volume.array
            )));
        }
        self.call(&volume.array, &cli::set_rec_buffer(id, send), Kind::Action)?;
        let shown = self.recbuffstat(volume)?;
        let usage = if send { "SEND" } else { "RECV" };
        if !shown.iter().any(|b| b.id == id && b.usage == usage) {
            return Err(EternusError::NotConfirmed {
                array: volume.array.clone(),
                command: cli::set_rec_buffer(id, send),
                message: format!("REC buffer {id} does not show use {usage}"),
            });
        }
        Ok(())
    }

    // ----- make ------------------------------------------------------------------------

    /// Checks a make without changing anything; returns the session it applies to.
    fn plan_make(
        pair: &Pair,
        direction: Direction,
        sessions: &PairSessions,
        opts: OpOptions,
    ) -> Result<MakeStep> {
        let current = sessions.get(direction);
        if is_rec(pair) {
            return Self::plan_make_rec(pair, current, opts);
        }
        if let Some(s) = current.filter(|s| s.ctype.is_sync()) {
            if opts.tracking {
                return Err(EternusError::Refused(
                    "-T cannot be used while synchronous processing is running".into(),
                ));
            }
            return match s.state() {
                PairState::Equivalent => Ok(MakeStep::Suspend(s.sid)),
                PairState::Sync if opts.forced => Err(EternusError::Refused(
                    "-j (forced suspend) applies to inter-box replication (REC) only".into(),
                )),
                PairState::Sync => Err(EternusError::Refused(format!(
                    "{} is not in equivalency maintenance status (status sync)",
                    pair.label()
                ))),
                PairState::Replicated => Err(EternusError::Refused(format!(
                    "{} is already in replication established status (replicated)",
                    pair.label()
                ))),
                other => Err(EternusError::Refused(format!(
                    "a replica cannot be created: status is {}",
                    other.text()
                ))),
            };
        }
        if opts.forced {
            return Err(EternusError::Refused(
                "-j applies to synchronous processing only".into(),
            ));
        }
        let opposite = match direction {
            Direction::Regular => sessions.reverse.as_ref(),
            Direction::Reverse => sessions.regular.as_ref(),
        };
        if let Some(o) = opposite {
            if o.ctype.is_sync() {
                return Err(EternusError::Refused(format!(
                    "an EC session exists between {}; cancel it first",
                    pair.label()
                )));
            }
            if o.state() == PairState::Snap {
                return Err(EternusError::Refused(format!(
                    "the {} copy between {} is still in progress ({}%)",
                    if direction == Direction::Reverse {
                        "regular"
                    } else {
                        "reverse"
                    },
                    pair.label(),
                    o.copied_pct.unwrap_or(0)
                )));
            }
            if direction == Direction::Regular && o.state() != PairState::None {
                return Err(EternusError::Refused(format!(
                    "a reverse session exists between {}",
                    pair.label()
                )));
            }
        }
        if direction == Direction::Reverse && opts.tracking {
            return Err(EternusError::Refused("QuickOPC (-T) cannot run in the reverse direction; restore with an ordinary snapshot".into()));
        }
        if direction == Direction::Reverse && opts.snap != Snap::No {
            return Err(EternusError::Refused("-C and -P cannot be used to restore: restore from a Snap Data Volume with an ordinary snapshot (no -T, -C or -P)".into()));
        }
        let mode = make_mode(opts);
        if opts.snap != Snap::No {
            return Self::plan_snap(pair, current, mode);
        }
        if let Some(s) = current.filter(|s| s.is_snap()) {
            return Err(EternusError::Refused(format!(
                "a {} session exists between {}: a Snap Data Volume takes -C or -P only (or cancel it first)",
                s.ctype_text(),
                pair.label()
            )));
        }
        Ok(match current {
            None => MakeStep::Start { stop: None, mode },
            Some(s)
                if s.ctype == CopyType::QuickOpc
                    && mode == Mode::QuickOpc
                    && s.state() != PairState::Failed =>
            {
                MakeStep::Start { stop: None, mode }
            }
            Some(s) if matches!(s.ctype, CopyType::Opc | CopyType::QuickOpc) => MakeStep::Start {
                stop: Some(s.sid),
                mode,
            },
            Some(s) => {
                return Err(EternusError::Refused(format!(
                    "a {} session exists between {}; cancel it first",
                    s.ctype_text(),
                    pair.label()
                )))
            }
        })
    }

    /// swsrpmake of a REC pair: the suspend of an equivalent copy, or with `-j` a forced
    /// suspend from sync, equivalent or halt. Snapshots are intra-box only.
    fn plan_make_rec(
        pair: &Pair,
        current: Option<&CopySession>,
        opts: OpOptions,
    ) -> Result<MakeStep> {
        let Some(s) = current.filter(|s| s.ctype.is_sync()) else {
            return Err(EternusError::Refused(format!(
                "{}: no REC copy runs; snapshot replication (OPC, QuickOPC, SnapOPC) is intra-box only and the volumes are in two storage systems (start REC with swsrpstartsync)",
                pair.label()
            )));
        };
        if opts.tracking || opts.snap != Snap::No {
            return Err(EternusError::Refused(
                "-T, -C and -P apply to intra-box snapshots only".into(),
            ));
        }
        match s.state() {
            PairState::Sync | PairState::Equivalent | PairState::Halt if opts.forced => {
                Ok(MakeStep::ForceSuspend(s.sid))
            }
            PairState::Equivalent => Ok(MakeStep::Suspend(s.sid)),
            PairState::Sync => Err(EternusError::Refused(format!(
                "{} is not in equivalency maintenance status (status sync)",
                pair.label()
            ))),
            PairState::Halt => Err(halted(format!(
                "{} is in halt status: only a forced suspend (-j) can make the replica",
                pair.label()
            ))),
            PairState::Replicated => Err(EternusError::Refused(format!(
                "{} is already in replication established status (replicated)",
                pair.label()
            ))),
            other => Err(EternusError::Refused(format!(
                "a replica cannot be created: status is {}",
                other.text()
            ))),
        }
    }

    /// `-C`/`-P` (Table 8.6 and §3.2): a new copy-on-write session; SnapOPC replaces its
    /// own session; SnapOPC+ to the oldest generation's destination drops that generation
    /// and makes it the newest, and fails on any other existing generation.
    fn plan_snap(pair: &Pair, current: Option<&CopySession>, mode: Mode) -> Result<MakeStep> {
        let Some(s) = current else {
            return Ok(MakeStep::Start { stop: None, mode });
        };
        match (&s.ctype, mode) {
            (CopyType::SnapOpc, Mode::SnapOpc) => Ok(MakeStep::Start {
                stop: Some(s.sid),
                mode,
            }),
            (CopyType::SnapOpcPlus, Mode::SnapOpcPlus) => {
                let (n, m) = (s.generation.unwrap_or(1), s.generations.unwrap_or(1));
                if n == 1 && m > 1 {
                    Ok(MakeStep::Start {
                        stop: Some(s.sid),
                        mode,
                    })
                } else if n == m {
                    Err(EternusError::Refused(format!(
                        "the same SnapOPC+ session already exists between {} (generation {n} of {m})",
                        pair.label()
                    )))
                } else {
                    Err(EternusError::Refused(format!(
                        "{} is generation {n} of {m}: only the oldest generation's destination can take a new SnapOPC+ generation",
                        pair.label()
                    )))
                }
            }
            _ => Err(EternusError::Refused(format!(
                "a {} session exists between {}; cancel it first",
                s.ctype_text(),
                pair.label()
            ))),
        }
    }

    /// A restore (reverse snapshot) from a Snap Data Volume (manual 8.3.2.2 NOTES and
    /// chapter 6): there must be a SnapOPC session between the copy source volume and the
    /// copy destination volume, and a source with SnapOPC to several destinations cannot
    /// be restored. Checked before anything is sent to the array; the volume list is asked
    /// only when the pair has no working copy-on-write session.
    fn check_snap_restore(&mut self, pair: &Pair, sessions: &PairSessions) -> Result<()> {
        match sessions.regular.as_ref().filter(|s| s.is_snap()) {
            Some(s) if s.state() == PairState::Failed => Err(EternusError::Refused(format!(
                "the {} session between {} is in error suspend status (failed): its Snap Data Volume cannot be restored from",
                s.ctype_text(),
                pair.label()
            ))),
            Some(s) if s.ctype == CopyType::SnapOpc => {
                let destinations = self
                    .array_sessions(&pair.orig.array)?
                    .iter()
                    .filter(|o| o.ctype == CopyType::SnapOpc && o.source == pair.orig.number)
                    .count();
                if destinations > 1 {
                    return Err(EternusError::Refused(format!(
                        "SnapOPC is being performed from {} to {destinations} copy destination volumes: restoration cannot be performed (cancel the other SnapOPC sessions first)",
                        pair.orig.qualified()
                    )));
                }
                Ok(())
            }
            Some(_) => Ok(()),
            None => {
                let lines =
                    self.call(&pair.rep.array, &cli::show_volumes(), Kind::Query)?;
                let volumes =
                    parse::volumes(&lines).map_err(|e| Self::garbled(&pair.rep.array, e))?;
                let sdv = volumes
                    .iter()
                    .any(|v| v.number == pair.rep.number && v.vtype == "SDV");
                if sdv {
                    return Err(EternusError::Refused(format!(
                        "{} is a Snap Data Volume: to restore from it there must be a SnapOPC session between the copy source volume and the copy destination volume",
                        pair.rep.qualified()
                    )));
                }
                Ok(())
            }
        }
    }

    pub fn make(&mut self, pair: &Pair, direction: Direction, opts: OpOptions) -> Result<()> {
        self.make_with(pair, direction, opts, Concurrent::No)
    }

    /// [`Engine::make`] of one pair with `-Xconcur` (a Concurrent Suspend of that one EC
    /// pair: refused unless it is synchronous) or not.
    pub fn make_with(
        &mut self,
        pair: &Pair,
        direction: Direction,
        opts: OpOptions,
        concurrent: Concurrent,
    ) -> Result<()> {
        self.check_operation_server(pair)?;
        check_direction(pair, direction)?;
        self.reach_partners(&[pair])?;
        let sessions = self.pair_sessions(std::slice::from_ref(pair))?.remove(0);
        check_concurrent(
            std::slice::from_ref(&sessions.get(direction).is_some_and(|s| s.ctype.is_sync())),
            concurrent,
        )?;
        let step = Self::plan_make(pair, direction, &sessions, opts)?;
        if direction == Direction::Reverse {
            self.check_snap_restore(pair, &sessions)?;
        }
        let (from, to) = Self::ends(pair, direction);
        let (from, to) = (from.clone(), to.clone());
        // Check first, then act: the replica is recorded after the array action.
        self.repo.check_writable()?;
        // A forced suspend runs no scripts (spec §4.7 -j).
        let suppress = match step {
            MakeStep::ForceSuspend(_) => Suppress {
                all: true,
                ..opts.suppress
            },
            _ => opts.suppress,
        };
        let sync = matches!(step, MakeStep::Suspend(_) | MakeStep::ForceSuspend(_));
        // Owed from the source pre-processing on, until both post-processings ran (for a
        // sync pair the destination post remounts what swsrpstartsync's pre unmounted).
        let owed = vec![
            (Script::SrcPost, from.clone()),
            (Script::DstPost, to.clone()),
        ];
        let mut kept = Vec::new();
        for (script, volume) in owed {
            if self.would_run(script, &volume, suppress)? {
                kept.push((script, volume));
            }
        }
        let owed = kept;
        self.owe_post(pair, Some(&owed))?;
        if let Err(e) = self.script(Script::SrcPre, &from, suppress) {
            self.owe_post(pair, None)?;
            return Err(e);
        }
        if !sync {
            if let Err(e) = self.script(Script::DstPre, &to, suppress) {
                // Remount what the source pre-processing unmounted.
                let _ = self.script(Script::SrcPost, &from, suppress);
                self.owe_post(pair, None)?;
                return Err(e);
            }
        }
        let done = self
            .apply(&from, &to, &step)
            .and_then(|command| self.confirm(&command, &[(pair, direction, Expect::after(&step))]));
        if let Err(e) = done {
            let _ = self.script(Script::SrcPost, &from, suppress);
            if !sync {
                let _ = self.script(Script::DstPost, &to, suppress);
            }
            self.owe_post(pair, None)?;
            return Err(e);
        }
        self.record_made(pair)
            .map_err(|e| after_array_action(e, &step_done(&from, &to, &step)))?;
        // Both post-processings run whatever the first did: a failed source remount must
        // not leave the replica unmounted too. The first failure is reported after.
        let source = self.script(Script::SrcPost, &from, suppress);
        let destination = self.script(Script::DstPost, &to, suppress);
        // A post-processing that could not reach its server stays owed: swsrprecoverres
        // runs it there once the server answers again.
        let mut still = Vec::new();
        for (script, volume, result) in [
            (Script::SrcPost, &from, &source),
            (Script::DstPost, &to, &destination),
        ] {
            if matches!(result, Err(EternusError::Server { .. })) {
                still.push((script, volume.clone()));
            }
        }
        self.owe_post(pair, Some(&still))?;
        let owed = |e: EternusError| {
            match e {
            EternusError::Server { server, message } => EternusError::Server {
                message: format!(
                    "{message}; the replica was made, its post-processing there is left for swsrprecoverres"
                ),
                server,
            },
            other => other,
        }
        };
        source.and(destination).map_err(owed)
    }

    /// Sends the step's action; returns the command line, for its confirmation.
    fn apply(&mut self, from: &Volume, to: &Volume, step: &MakeStep) -> Result<String> {
        let rec = from.box_id != to.box_id;
        let command = match step {
            MakeStep::Suspend(sid) if rec => cli::suspend_rec(&[*sid], false),
            MakeStep::ForceSuspend(sid) => cli::suspend_rec(&[*sid], true),
            MakeStep::Suspend(sid) => cli::suspend(&[*sid]),
            MakeStep::Start { stop, mode } => {
                if let Some(sid) = stop {
                    self.stop_running(&from.array, &[*sid])?;
                }
                cli::start(*mode, &[(from.number, to.number)], false)
            }
        };
        self.call(&from.array, &command, Kind::Action)?;
        Ok(command)
    }

    /// Ends running snapshot sessions before a restart (Table 8.6). A session that ended
    /// by itself since the status query (its physical copy finished) is what the stop
    /// wanted: when the array answers that a session does not exist, the list is read
    /// again and only the sessions still there are stopped.
    fn stop_running(&mut self, array: &str, sids: &[u32]) -> Result<()> {
        match self.call(array, &cli::stop(sids, false), Kind::Action) {
            Ok(_) => Ok(()),
            Err(EternusError::Array { code, .. }) if code == cli::NO_SESSION => {
                let alive: Vec<u32> = self
                    .array_sessions(array)?
                    .iter()
                    .map(|s| s.sid)
                    .filter(|sid| sids.contains(sid))
                    .collect();
                for sid in sids.iter().filter(|sid| !alive.contains(sid)) {
                    self.log.info(&format!(
                        "{array}: session {sid} ended by itself before its stop (physical copy finished)"
                    ));
                }
                if alive.is_empty() {
                    return Ok(());
                }
                self.call(array, &cli::stop(&alive, false), Kind::Action)?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn record_made(&mut self, pair: &Pair) -> Result<()> {
        self.record_made_all(std::slice::from_ref(&pair.id))
    }

    /// Records the replicas made, in one transaction.
    fn record_made_all(&mut self, ids: &[i64]) -> Result<()> {
        let now = arraysync_core::clock::timestamp();
        self.repo.write(|tx| tx.set_last_made(ids, now))
    }

    /// `swsrpmake -Xgroup`: checks every pair first (a group mixing snapshot and
    /// synchronous pairs fails before any copy), then processes them in order and stops at
    /// the first error; [`Concurrent::Suspend`] suspends the EC pairs, and
    /// [`Concurrent::Opc`] starts the snapshots, all in one command.
    pub fn make_group<P: Borrow<Pair>>(
        &mut self,
        pairs: &[(P, Direction)],
        opts: OpOptions,
        concurrent: Concurrent,
    ) -> Result<()> {
        // Borrowed, not cloned: a group is thousands of pairs of ten strings each.
        let pairs: Vec<(&Pair, Direction)> = pairs.iter().map(|(p, d)| (p.borrow(), *d)).collect();
        let pairs = pairs.as_slice();
        for (pair, direction) in pairs {
            self.check_operation_server(pair)?;
            check_direction(pair, *direction)?;
        }
        let members: Vec<&Pair> = pairs.iter().map(|(p, _)| *p).collect();
        self.reach_partners(&members)?;
        self.repo.check_writable()?;
        let plain: Vec<&Pair> = pairs.iter().map(|(p, _)| *p).collect();
        let all = self.pair_sessions(&plain)?;
        let sync: Vec<bool> = pairs
            .iter()
            .zip(&all)
            .map(|((_, d), s)| s.get(*d).is_some_and(|s| s.ctype.is_sync()))
            .collect();
        if sync.iter().any(|s| *s) && sync.iter().any(|s| !*s) {
            return Err(EternusError::Refused("the group contains both snapshot-type and synchronous-type replication; nothing was done".into()));
        }
        check_concurrent(&sync, concurrent)?;
        if opts.tracking && concurrent == Concurrent::Opc && !opts.mixed_tracking {
            let tracking: Vec<bool> = pairs
                .iter()
                .zip(&all)
                .map(|((_, d), s)| s.get(*d).is_some_and(|s| s.tracking()))
                .collect();
            if tracking.iter().any(|t| *t) && tracking.iter().any(|t| !*t) {
                return Err(EternusError::Refused("Concurrent OPC with -T: the group mixes tracking and non-tracking pairs; nothing was done".into()));
            }
        }
        // A group of REC pairs is suspended in one command, at one point in time (the REC
        // buffer of Consistency mode; for the other modes the same single command).
        let rec_group = pairs.iter().all(|(p, _)| is_rec(p));
        if concurrent == Concurrent::No && !rec_group {
            let mut made = Vec::new();
            let mut checks = Vec::new();
            let mut last_command = String::new();
            let mut outcome = Ok(());
            for ((pair, direction), sessions) in pairs.iter().zip(&all) {
                let planned = Self::plan_make(pair, *direction, sessions, opts).and_then(|step| {
                    if *direction == Direction::Reverse {
                        self.check_snap_restore(pair, sessions)?;
                    }
                    Ok(step)
                });
                let step = match planned {
                    Ok(step) => step,
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                };
                let (from, to) = Self::ends(pair, *direction);
                let (from, to) = (from.clone(), to.clone());
                match self.apply(&from, &to, &step) {
                    Ok(command) => last_command = command,
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
                made.push(pair.id);
                checks.push((*pair, *direction, Expect::after(&step)));
            }
            // One session list for every pair acted on; a pair the array did not act on
            // is not recorded, and is the error.
            let unconfirmed = self.unconfirmed(&checks)?;
            if let Some((i, message)) = unconfirmed.first() {
                if outcome.is_ok() {
                    outcome = Err(EternusError::NotConfirmed {
                        array: checks[*i].0.orig.array.clone(),
                        command: last_command,
                        message: message.clone(),
                    });
                }
                let skip: Vec<i64> = unconfirmed.iter().map(|(i, _)| checks[*i].0.id).collect();
                made.retain(|id| !skip.contains(id));
            }
            // The pairs done before an error keep their replicas: record them either way.
            self.record_made_all(&made).map_err(|e| {
                after_array_action(e, &format!("{} pair(s) of the group were made", made.len()))
            })?;
            return outcome;
        }
        let mut steps = Vec::new();
        for ((pair, direction), sessions) in pairs.iter().zip(&all) {
            steps.push(Self::plan_make(pair, *direction, sessions, opts)?);
        }
        let array = &pairs[0].0.orig.array;
        if pairs.iter().any(|(p, _)| &p.orig.array != array) {
            return Err(EternusError::Refused(
                "a concurrent operation needs every pair of the group in one storage system".into(),
            ));
        }
        let array = array.clone();
        let command = if sync.first().copied().unwrap_or(false) {
            let sids: Vec<u32> = steps
                .iter()
                .filter_map(|s| match s {
                    MakeStep::Suspend(sid) | MakeStep::ForceSuspend(sid) => Some(*sid),
                    MakeStep::Start { .. } => None,
                })
                .collect();
            let command = if rec_group {
                cli::suspend_rec(&sids, opts.forced)
            } else {
                cli::suspend(&sids)
            };
            self.call(&array, &command, Kind::Action)?;
            command
        } else {
            let stops: Vec<u32> = steps
                .iter()
                .filter_map(|s| {
                    if let MakeStep::Start {
                        stop: Some(sid), ..
                    } = s
                    {
                        Some(*sid)
                    } else {
                        None
                    }
                })
                .collect();
            if !stops.is_empty() {
                self.stop_running(&array, &stops)?;
            }
            let ends: Vec<(u32, u32)> = pairs
                .iter()
                .map(|(p, d)| {
                    let (f, t) = Self::ends(p, *d);
                    (f.number, t.number)
                })
                .collect();
            let command = cli::start(make_mode(opts), &ends, false);
            self.call(&array, &command, Kind::Action)?;
            command
        };
        let checks: Vec<(&Pair, Direction, Expect)> = pairs
            .iter()
            .zip(&steps)
            .map(|((p, d), step)| (*p, *d, Expect::after(step)))
            .collect();
        self.confirm(&command, &checks)?;
        let ids: Vec<i64> = pairs.iter().map(|(p, _)| p.id).collect();
        self.record_made_all(&ids).map_err(|e| {
            after_array_action(
                e,
                &format!("the {} pair(s) of the group were made", ids.len()),
            )
        })
    }

    // ----- cancel ----------------------------------------------------------------------

    pub fn cancel(
        &mut self,
        pair: &Pair,
        direction: Direction,
        opts: OpOptions,
        non_operation_server: bool,
    ) -> Result<()> {
        if !non_operation_server {
            self.check_operation_server(pair)?;
            self.reach_partners(&[pair])?;
        }
        let sessions = self.pair_sessions(std::slice::from_ref(pair))?.remove(0);
        let Some(session) = sessions.get(direction).cloned() else {
            return Err(EternusError::Refused(format!(
                "no copy processing is in progress from {} to {}",
                Self::ends(pair, direction).0.qualified(),
                Self::ends(pair, direction).1.qualified()
            )));
        };
        let (from, to) = Self::ends(pair, direction);
        let (from, to) = (from.clone(), to.clone());
        if opts.force && session.ctype != CopyType::SnapOpcPlus {
            return Err(EternusError::Refused(format!(
                "-Xforce applies to SnapOPC+ only ({} is {})",
                pair.label(),
                session.ctype_text()
            )));
        }
        if session.ctype == CopyType::SnapOpcPlus {
            return self.cancel_generations(pair, &from, &session, opts.force);
        }
        let halted = session.state() == PairState::Halt;
        if opts.halt_stop && !halted {
            return Err(EternusError::Refused(format!(
                "-b stops an inter-box copy (REC) in halt status; {} is {}",
                pair.label(),
                session.state().text()
            )));
        }
        if session.ctype == CopyType::Rec && !opts.tracking {
            if halted && !opts.halt_stop {
                return Err(EternusError::Refused(format!(
                    "{} is in halt status: stop it with -b",
                    pair.label()
                )));
            }
            return self.cancel_rec(pair, &from, &to, &session, opts);
        }
        if opts.tracking {
            if !session.tracking() {
                return Err(EternusError::Refused(format!(
                    "-T: {} is not tracking (status {})",
                    pair.label(),
                    session.state().text()
                )));
            }
            let command = cli::stop(&[session.sid], true);
            self.call(&from.array, &command, Kind::Action)?;
            return self.confirm(
                &command,
                &[(pair, direction, Expect::TrackingStopped(session.sid))],
            );
        }
        let equivalent = session.state() == PairState::Equivalent;
        if equivalent {
            self.script(Script::SrcPre, &from, opts.suppress)?;
        }
        let command = cli::stop(&[session.sid], false);
        let stopped = self.call(&from.array, &command, Kind::Action);
        // The array's word is its session list, read once after the stop (issue 8).
        let confirmed = match &stopped {
            Ok(_) => self.confirm(&command, &[(pair, direction, Expect::Stopped(session.sid))]),
            Err(_) => Ok(()),
        };
        if equivalent {
            let post = self.script(Script::SrcPost, &from, opts.suppress);
            stopped?;
            post?;
            confirmed?;
            return self.script(Script::DstPost, &to, opts.suppress);
        }
        stopped?;
        confirmed
    }

    /// Confirms on the REC list of the box a stop went to (one listing, every session
    /// together) that each stopped REC session is gone; an error names the first pair whose
    /// session is still there.
    fn confirm_rec_stopped(
        &mut self,
        array: &str,
        command: &str,
        stopped: &[(&Pair, u32)],
    ) -> Result<()> {
        let listed = self.rec_sessions(array)?;
        match stopped
            .iter()
            .find_map(|(pair, sid)| listed.iter().find(|s| s.sid == *sid).map(|s| (pair, s)))
        {
            None => Ok(()),
            Some((pair, s)) => Err(EternusError::NotConfirmed {
                array: array.to_string(),
                command: command.to_string(),
                message: format!(
                    "pair {} still has REC session {} ({}): the array did not stop it",
                    pair.label(),
                    s.sid,
                    s.state().text()
                ),
            }),
        }
    }

    /// Stops a REC session: on the original's box; with `-b` (halt), on the other box when
    /// that one cannot be reached (a single-server pair: either box will do).
    fn cancel_rec(
        &mut self,
        pair: &Pair,
        from: &Volume,
        to: &Volume,
        session: &CopySession,
        opts: OpOptions,
    ) -> Result<()> {
        let command = cli::stop_rec(&[session.sid]);
        let stopped = [(pair, session.sid)];
        if opts.halt_stop {
            return match self.call(&pair.orig.array, &command, Kind::Action) {
                Ok(_) => self.confirm_rec_stopped(&pair.orig.array, &command, &stopped),
                Err(first) => {
                    self.log.info(&format!(
                        "{}: stopping REC session {} failed ({first}); trying {}",
                        pair.orig.array, session.sid, pair.rep.array
                    ));
                    self.call(&pair.rep.array, &command, Kind::Action)
                        .map_err(|_| first)?;
                    self.confirm_rec_stopped(&pair.rep.array, &command, &stopped)
                }
            };
        }
        let equivalent = session.state() == PairState::Equivalent;
        if equivalent {
            self.script(Script::SrcPre, from, opts.suppress)?;
        }
        let result = self.call(&pair.orig.array, &command, Kind::Action);
        let confirmed = match &result {
            Ok(_) => self.confirm_rec_stopped(&pair.orig.array, &command, &stopped),
            Err(_) => Ok(()),
        };
        if equivalent {
            let post = self.script(Script::SrcPost, from, opts.suppress);
            result?;
            post?;
            confirmed?;
            return self.script(Script::DstPost, to, opts.suppress);
        }
        result?;
        confirmed
    }

    /// `swsrpcancel -Xgroup` of REC pairs (no scripts in group mode): every pair checked,
    /// then one stop command per box (with `-b`, on the replicas' box when the originals'
    /// cannot be reached).
    fn cancel_rec_group(
        &mut self,
        sessions: &[(&Pair, CopySession)],
        opts: OpOptions,
        non_operation_server: bool,
    ) -> Result<()> {
        let mut by_array: BTreeMap<(String, String), Vec<(&Pair, u32)>> = BTreeMap::new();
        for (pair, session) in sessions {
            if !non_operation_server {
                self.check_operation_server(pair)?;
            }
            if session.state() == PairState::Halt && !opts.halt_stop {
                return Err(EternusError::Refused(format!(
                    "{} is in halt status: stop it with -b",
                    pair.label()
                )));
            }
            by_array
                .entry((pair.orig.array.clone(), pair.rep.array.clone()))
                .or_default()
                .push((*pair, session.sid));
        }
        for ((array, other), stopped) in by_array {
            let sids: Vec<u32> = stopped.iter().map(|(_, sid)| *sid).collect();
            let command = cli::stop_rec(&sids);
            let answered = match self.call(&array, &command, Kind::Action) {
                Ok(_) => array,
                Err(first) if opts.halt_stop => {
                    self.log.info(&format!(
                        "{array}: stopping REC sessions failed ({first}); trying {other}"
                    ));
                    self.call(&other, &command, Kind::Action)
                        .map_err(|_| first)?;
                    other
                }
                Err(e) => return Err(e),
            };
            self.confirm_rec_stopped(&answered, &command, &stopped)?;
        }
        Ok(())
    }

    /// Cancels a SnapOPC+ generation: the oldest only, or with `-Xforce` this one and every
    /// older one (the older generations' images are built on the newer ones' data).
    fn cancel_generations(
        &mut self,
        pair: &Pair,
        from: &Volume,
        session: &CopySession,
        force: bool,
    ) -> Result<()> {
        let n = session.generation.unwrap_or(1);
        if n > 1 && !force {
            return Err(EternusError::Refused(format!(
                "generation {n} of {} is not the oldest: only the oldest SnapOPC+ generation can be cancelled (or use -Xforce to cancel it and every older one)",
                session.generations.unwrap_or(n)
            )));
        }
        let sids: Vec<u32> = self
            .array_sessions(&from.array)?
            .iter()
            .filter(|s| {
                s.ctype == CopyType::SnapOpcPlus
                    && s.source == session.source
                    && s.generation.unwrap_or(1) <= n
            })
            .map(|s| s.sid)
            .collect();
        let command = cli::stop(&sids, false);
        self.call(&from.array, &command, Kind::Action)?;
        // One listing after the stop: every generation stopped must be gone.
        let listed = self.array_sessions(&from.array)?;
        match listed.iter().find(|s| sids.contains(&s.sid)) {
            None => Ok(()),
            Some(s) => Err(EternusError::NotConfirmed {
                array: from.array.clone(),
                command,
                message: format!(
                    "pair {}: SnapOPC+ session {} is still there: the array did not stop it",
                    pair.label(),
                    s.sid
                ),
            }),
        }
    }

    /// `swsrpcancel -Xgroup`: every pair with a session (in order, stopping at the first
    /// error); an error when none has one (or, with `-T`, none is tracking).
    pub fn cancel_group(
        &mut self,
        pairs: &[(Pair, Direction)],
        opts: OpOptions,
        non_operation_server: bool,
    ) -> Result<()> {
        if !non_operation_server {
            let members: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
            self.reach_partners(&members)?;
        }
        let plain: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
        let all = self.pair_sessions(&plain)?;
        let active: Vec<&(Pair, Direction)> = pairs
            .iter()
            .zip(&all)
            .filter(|((_, d), s)| {
                s.get(*d).is_some_and(|s| {
                    (!opts.tracking || s.tracking())
                        && (!opts.halt_stop || s.state() == PairState::Halt)
                })
            })
            .map(|(p, _)| p)
            .collect();
        if active.is_empty() {
            return Err(EternusError::Refused(if opts.halt_stop {
                "no copy of the group is in halt status (-b)".to_string()
            } else if opts.tracking {
                "no pair of the group is tracking".to_string()
            } else {
                "no copy processing is in progress in the group".to_string()
            }));
        }
        if !opts.tracking && !opts.force && active.iter().all(|(p, _)| is_rec(p)) {
            let mut sessions = Vec::new();
            for ((pair, direction), s) in pairs.iter().zip(&all) {
                if let Some(s) = s.get(*direction).filter(|_| {
                    active
                        .iter()
                        .any(|(p, d)| p.id == pair.id && d == direction)
                }) {
                    sessions.push((pair, s.clone()));
                }
            }
            return self.cancel_rec_group(&sessions, opts, non_operation_server);
        }
        for (pair, direction) in active {
            // -Xforce stops a whole SnapOPC+ chain at once: its other pairs may be gone.
            if opts.force {
                let left = self.pair_sessions(std::slice::from_ref(pair))?.remove(0);
                if left.get(*direction).is_none() {
                    continue;
                }
            }
            self.cancel(pair, *direction, opts, non_operation_server)?;
        }
        Ok(())
    }

    /// Starts or resumes the EC sessions of many pairs without pre-processing (the
    /// `eternus` resource): every pair is checked on one session list first, then the new
    /// sessions are started in one command and the suspended ones resumed in another.
    pub fn startsync_batch(&mut self, pairs: &[Pair]) -> Result<Vec<Started>> {
        for pair in pairs {
            self.check_operation_server(pair)?;
        }
        self.reach_partners(&pairs.iter().collect::<Vec<_>>())?;
        let all = self.pair_sessions(pairs)?;
        let mut starts: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        let mut resumes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        // REC pairs (a DR copy on another box): started per (box, remote box), in the
        // default (Through) modes; resumed as they were.
        let mut rec_starts: BTreeMap<(String, String), Vec<(u32, u32)>> = BTreeMap::new();
        let mut rec_resumes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut done = Vec::new();
        let mut checks = Vec::new();
        for (pair, sessions) in pairs.iter().zip(&all) {
            refuse_opposite(pair, Direction::Regular, sessions)?;
            let array = pair.orig.array.clone();
            let rec = is_rec(pair);
            match sessions.regular.as_ref() {
                None if rec => {
                    rec_starts
                        .entry((array, pair.rep.box_id.clone()))
                        .or_default()
                        .push((pair.orig.number, pair.rep.number));
                    done.push(Started::Started);
                    checks.push((pair, Direction::Regular, Expect::Synchronous));
                }
                None => {
                    starts
                        .entry(array)
                        .or_default()
                        .push((pair.orig.number, pair.rep.number));
                    done.push(Started::Started);
                    checks.push((pair, Direction::Regular, Expect::Synchronous));
                }
                Some(s) if s.ctype.is_sync() => match s.state() {
                    PairState::Sync | PairState::Equivalent => {
                        done.push(Started::AlreadySynchronizing)
                    }
                    PairState::Replicated => {
                        if rec {
                            rec_resumes.entry(array).or_default().push(s.sid);
                        } else {
                            resumes.entry(array).or_default().push(s.sid);
                        }
                        done.push(Started::Resumed);
                        checks.push((pair, Direction::Regular, Expect::Resumed));
                    }
                    other => {
                        return Err(EternusError::Refused(format!(
                            "{}: synchronous processing cannot start: status is {}",
                            pair.label(),
                            other.text()
                        )))
                    }
                },
                Some(s) => {
                    return Err(EternusError::Refused(format!(
                        "a snapshot session ({}) exists between {}; cancel it first",
                        s.ctype_text(),
                        pair.label()
                    )))
                }
            }
        }
        let mut commands = Vec::new();
        for (array, ends) in starts {
            let command = cli::start(Mode::Ec, &ends, false);
            self.call(&array, &command, Kind::Action)?;
            commands.push(command);
        }
        for (array, sids) in resumes {
            let command = cli::resume(&sids);
            self.call(&array, &command, Kind::Action)?;
            commands.push(command);
        }
        for ((array, remote_box), ends) in rec_starts {
            let command = cli::start_rec(&ends, &remote_box, cli::RecModes::default(), false);
            self.call(&array, &command, Kind::Action)?;
            commands.push(command);
        }
        for (array, sids) in rec_resumes {
            let command = cli::resume_rec(&sids, false);
            self.call(&array, &command, Kind::Action)?;
            commands.push(command);
        }
        // One session list per array for every pair started or resumed.
        self.confirm(&commands.join("; "), &checks)?;
        Ok(done)
    }

    // ----- 8.5: update measurement and Snap Data Volumes ---------------------------------

    fn garbled(array: &str, e: parse::ParseError) -> EternusError {
        EternusError::Transport {
            array: array.to_string(),
            message: format!("unexpected output: {e}"),
        }
    }

    /// `swstestupdate start|stop` of a volume.
    pub fn update_measurement(&mut self, volume: &Volume, start: bool) -> Result<()> {
        let verb = if start { "start" } else { "stop" };
        self.call(
            &volume.array,
            &cli::update_measurement(verb, volume.number),
            Kind::Action,
        )?;
        Ok(())
    }

    /// `swstestupdate status`: 512-byte blocks updated since the start, `None` without a
    /// measurement.
    pub fn update_status(&mut self, volume: &Volume) -> Result<Option<u64>> {
        let lines = self.call(
            &volume.array,
            &cli::update_measurement("show", volume.number),
            Kind::Query,
        )?;
        parse::update_blocks(&lines).map_err(|e| Self::garbled(&volume.array, e))
    }

    pub fn sdv_stat(&mut self, volume: &Volume) -> Result<parse::SdvRow> {
        let lines = self.call(&volume.array, &cli::show_sdv(volume.number), Kind::Query)?;
        parse::sdv(&lines).map_err(|e| Self::garbled(&volume.array, e))
    }

    pub fn pool_stat(&mut self, volume: &Volume) -> Result<Vec<parse::PoolRow>> {
        let lines = self.call(&volume.array, &cli::show_pool(), Kind::Query)?;
        parse::pools(&lines).map_err(|e| Self::garbled(&volume.array, e))
    }

    pub fn sdv_init(&mut self, volume: &Volume) -> Result<()> {
        self.call(&volume.array, &cli::init_sdv(volume.number), Kind::Action)?;
        Ok(())
    }

    // ----- revsync ----------------------------------------------------------------------

    /// `swsrprevsync`: reverses the suspended EC sessions running `direction` on `pairs`
    /// (spec §4.11). Every pair is checked first; pairs already running the other way are
    /// skipped (group form); the rest are reversed in one command. Returns how many were.
    pub fn revsync(&mut self, pairs: &[(Pair, Direction)], group: bool) -> Result<usize> {
        for (pair, _) in pairs {
            self.check_operation_server(pair)?;
            check_direction(pair, Direction::Reverse)?;
        }
        let members: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
        self.reach_partners(&members)?;
        let plain: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
        let all = self.pair_sessions(&plain)?;
        let mut by_array: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut rec_by_array: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for ((pair, direction), sessions) in pairs.iter().zip(&all) {
            let opposite = direction.opposite();
            let session = match (sessions.get(*direction), sessions.get(opposite)) {
                (Some(s), _) => s,
                (None, Some(s))
                    if group && s.ctype.is_sync() && s.state() == PairState::Replicated =>
                {
                    continue
                }
                _ => {
                    return Err(EternusError::Refused(format!(
                        "{}: no synchronous processing runs from {} to {}",
                        pair.label(),
                        Self::ends(pair, *direction).0.qualified(),
                        Self::ends(pair, *direction).1.qualified()
                    )))
                }
            };
            if !session.ctype.is_sync() || session.state() != PairState::Replicated {
                return Err(EternusError::Refused(format!(
                    "{} is not in replication established status (status {}): only a suspended EC can be reversed",
                    pair.label(),
                    session.state().text()
                )));
            }
            let target = if session.rec.is_some() {
                &mut rec_by_array
            } else {
                &mut by_array
            };
            target
                .entry(pair.orig.array.clone())
                .or_default()
                .push(session.sid);
        }
        let mut reversed = 0;
        for (array, sids) in by_array {
            self.call(&array, &cli::reverse(&sids), Kind::Action)?;
            reversed += sids.len();
        }
        for (array, sids) in rec_by_array {
            self.call(&array, &cli::reverse_rec(&sids), Kind::Action)?;
            reversed += sids.len();
        }
        Ok(reversed)
    }

    /// `swsrpstartsync -Xgroup`: in order, stopping at the first error.
    pub fn startsync_group(
        &mut self,
        pairs: &[(Pair, Direction)],
        opts: OpOptions,
    ) -> Result<Vec<Started>> {
        let members: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
        self.reach_partners(&members)?;
        if !pairs.is_empty() && pairs.iter().all(|(p, _)| is_rec(p)) {
            return self.startsync_rec_group(pairs, opts);
        }
        let mut done = Vec::new();
        for (pair, direction) in pairs {
            done.push(self.startsync(pair, *direction, opts)?);
        }
        Ok(done)
    }

    /// `swsrpstartsync -Xgroup` of REC pairs: every pair checked on one session list
    /// (nothing is sent when one is refused), then one start command per pair of boxes and
    /// one resume command per box, confirmed on one list.
    fn startsync_rec_group(
        &mut self,
        pairs: &[(Pair, Direction)],
        opts: OpOptions,
    ) -> Result<Vec<Started>> {
        for (pair, direction) in pairs {
            self.check_operation_server(pair)?;
            check_direction(pair, *direction)?;
        }
        let plain: Vec<&Pair> = pairs.iter().map(|(p, _)| p).collect();
        let all = self.pair_sessions(&plain)?;
        let mut starts: BTreeMap<(String, String), Vec<(u32, u32)>> = BTreeMap::new();
        let mut resumes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut done = Vec::new();
        let mut checks = Vec::new();
        for ((pair, direction), sessions) in pairs.iter().zip(&all) {
            refuse_opposite(pair, *direction, sessions)?;
            let (from, to) = Self::ends(pair, *direction);
            match sessions.get(*direction) {
                None => {
                    if opts.rec.remain {
                        return Err(EternusError::Refused(format!(
                            "{}: -Xremain applies to the restart of a suspended REC copy only",
                            pair.label()
                        )));
                    }
                    starts
                        .entry((from.array.clone(), to.box_id.clone()))
                        .or_default()
                        .push((from.number, to.number));
                    done.push(Started::Started);
                    let expect = if opts.rec.skip {
                        Expect::Suspended
                    } else {
                        Expect::Synchronous
                    };
                    checks.push((pair, *direction, expect));
                }
                Some(s) => match s.state() {
                    PairState::Sync | PairState::Equivalent => {
                        done.push(Started::AlreadySynchronizing)
                    }
                    PairState::Replicated => {
                        if opts.no_access || opts.rec.skip {
                            return Err(EternusError::Refused(format!(
                                "{}: -Xda and -Xskip apply to a total-copy start only; the pair is replicated",
                                pair.label()
                            )));
                        }
                        check_same_modes(pair, s, opts.rec.modes)?;
                        if s.rec.as_ref().is_some_and(|r| r.forced) && !opts.suppress.destination
                        {
                            return Err(EternusError::Refused(format!(
                                "{} was suspended by force (swsrpmake -j): resume it with swsrpstartsync -t",
                                pair.label()
                            )));
                        }
                        resumes.entry(from.array.clone()).or_default().push(s.sid);
                        done.push(Started::Resumed);
                        checks.push((pair, *direction, Expect::Resumed));
                    }
                    PairState::Halt => {
                        return Err(halted(format!(
                            "{} is in halt status: suspend it by force (swsrpmake -j), then resume it with swsrpstartsync -t",
                            pair.label()
                        )))
                    }
                    other => {
                        return Err(EternusError::Refused(format!(
                            "{}: synchronous processing cannot start: status is {}",
                            pair.label(),
                            other.text()
                        )))
                    }
                },
            }
        }
        let mut commands = Vec::new();
        for ((array, remote_box), ends) in starts {
            let command = cli::start_rec(&ends, &remote_box, opts.rec.modes, opts.rec.skip);
            self.call(&array, &command, Kind::Action)?;
            commands.push(command);
        }
        for (array, sids) in resumes {
            let command = cli::resume_rec(&sids, opts.rec.remain);
            self.call(&array, &command, Kind::Action)?;
            commands.push(command);
        }
        self.confirm(&commands.join("; "), &checks)?;
        Ok(done)
    }
}

enum MakeStep {
    Suspend(u32),
    /// `-j` on a REC pair.
    ForceSuspend(u32),
    Start {
        stop: Option<u32>,
        mode: Mode,
    },
}

/// What an accepted action must show in the session list afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// `start -mode ec`: a synchronous session.
    Synchronous,
    /// `resume`: a synchronous session no longer suspended.
    Resumed,
    /// `suspend`: a suspended session.
    Suspended,
    /// A snapshot start (QuickOPC, SnapOPC, SnapOPC+): a session. A plain OPC session may
    /// already have ended by itself (its physical copy finished), so nothing is expected.
    Snapshot { may_have_ended: bool },
    /// `stop` (swsrpcancel): the session with this id is gone.
    Stopped(u32),
    /// `stop -tracking` (swsrpcancel -T): the session with this id tracks no more.
    TrackingStopped(u32),
}

impl Expect {
    fn after(step: &MakeStep) -> Expect {
        match step {
            MakeStep::Suspend(_) | MakeStep::ForceSuspend(_) => Expect::Suspended,
            MakeStep::Start { mode, .. } => match mode {
                Mode::Ec => Expect::Synchronous,
                mode => Expect::Snapshot {
                    may_have_ended: *mode == Mode::Opc,
                },
            },
        }
    }

    /// Why `session` does not show the action done (`None` when it does).
    fn unmet(self, session: Option<&CopySession>) -> Option<String> {
        let state = |s: &CopySession| s.state().text();
        match (self, session) {
            (
                Expect::Snapshot {
                    may_have_ended: true,
                },
                None,
            ) => None,
            (Expect::Synchronous, None) | (Expect::Snapshot { .. }, None) => {
                Some("has no copy session: the array did not start it".into())
            }
            (Expect::Resumed | Expect::Suspended, None) => {
                Some("has no copy session any more: the array ended it".into())
            }
            (Expect::Stopped(sid), Some(s)) if s.sid == sid => Some(format!(
                "still has copy session {sid} ({}): the array did not stop it",
                state(s)
            )),
            (Expect::TrackingStopped(sid), Some(s)) if s.sid == sid && s.tracking() => Some(
                format!("session {sid} is still tracking: the array did not stop its tracking"),
            ),
            (Expect::Synchronous, Some(s)) if !s.ctype.is_sync() => Some(format!(
                "has a {} session, not a synchronous one: the array did not start it",
                s.ctype_text()
            )),
            (Expect::Resumed, Some(s)) if s.state() == PairState::Replicated => Some(format!(
                "is still {}: the array did not resume it",
                state(s)
            )),
            (Expect::Suspended, Some(s)) if s.state() != PairState::Replicated => Some(format!(
                "is {}, not replicated: the array did not suspend it",
                state(s)
            )),
            _ => None,
        }
    }
}

impl CopySession {
    fn ctype_text(&self) -> String {
        match &self.ctype {
            CopyType::Opc => "OPC".into(),
            CopyType::QuickOpc => "QuickOPC".into(),
            CopyType::SnapOpc => "SnapOPC".into(),
            CopyType::SnapOpcPlus => "SnapOPC+".into(),
            CopyType::Ec => "EC".into(),
            CopyType::Rec => "REC".into(),
            CopyType::Other(t) => t.clone(),
        }
    }
}

/// Replication refuses a volume that backup management registered (manual 3.2.2, 6.2).
fn refuse_backup_volume(paths: &Paths, device: &str) -> Result<()> {
    let Some(mut list) = crate::backup_repo::BackupRepository::open_existing(paths)? else {
        return Ok(());
    };
    if let Some(v) = list.read(|tx| tx.volume(device))? {
        return Err(EternusError::Refused(format!(
            "{device} is registered as a {} volume of backup management: unregister it there first (swstdevinfoset -o)",
            match v.mode {
                crate::backup_repo::Mode::Transaction => "transaction",
                crate::backup_repo::Mode::Backup => "backup",
            }
        )));
    }
    Ok(())
}

/// What an apply step did on the array, for the message of a failure after it.
fn step_done(from: &Volume, to: &Volume, step: &MakeStep) -> String {
    let what = match step {
        MakeStep::Suspend(sid) | MakeStep::ForceSuspend(sid) => {
            format!("session {sid} was suspended")
        }
        MakeStep::Start { .. } => "a copy session was started".to_string(),
    };
    format!(
        "{what} on {} (volume {} to {})",
        from.array, from.number, to.number
    )
}

/// A failure after the array changed says so, and what a rerun does (issue 8): the
/// replica exists; only its record is missing.
fn after_array_action(e: EternusError, done: &str) -> EternusError {
    EternusError::Repository {
        path: match &e {
            EternusError::Repository { path, .. } => path.clone(),
            _ => String::new(),
        },
        message: format!(
            "the array action was done ({done}) but recording it failed: {e}; \
             the replica exists; rerun the command once the repository is writable \
             (or swsrprecoverres) to record it"
        ),
    }
}

/// The pre-check of the concurrent functions (manual 8.3.2.2 NOTES): Concurrent OPC
/// fails, creating no copy, when any pair is synchronous; Concurrent Suspend applies to
/// synchronous pairs only. `sync` says, per pair, whether its session is EC/REC.
fn check_concurrent(sync: &[bool], concurrent: Concurrent) -> Result<()> {
    match concurrent {
        Concurrent::No => Ok(()),
        Concurrent::Opc if sync.iter().any(|s| *s) => Err(EternusError::Refused(
            "-Xconcur-opc (Concurrent OPC): synchronous processing (EC) exists in the group; nothing was done".into(),
        )),
        Concurrent::Suspend if sync.iter().any(|s| !*s) => Err(EternusError::Refused(
            "-Xconcur (Concurrent Suspend) applies to synchronous processing (EC) only; nothing was done".into(),
        )),
        _ => Ok(()),
    }
}

fn check_direction(pair: &Pair, direction: Direction) -> Result<()> {
    if direction == Direction::Reverse && pair.copy == CopyDirection::Unidirectional {
        return Err(EternusError::Refused(format!(
            "{} is registered for unidirectional copy: copying from the replica to the original is not allowed",
            pair.label()
        )));
    }
    Ok(())
}

/// Group membership conditions (spec §2.2).
fn check_group(members: &[Pair], pair: &Pair, group: &str) -> Result<()> {
    let Some(first) = members.first() else {
        return Ok(());
    };
    if first.orig.server != pair.orig.server || first.rep.server != pair.rep.server {
        return Err(EternusError::Refused(format!(
            "group {group}: its pairs copy from server {} to server {}; this pair does not",
            first.orig.server, first.rep.server
        )));
    }
    // REC (spec §2.2, manual 6.4.7.1 "matching attributes"): a group holds either
    // pairs within one box or REC pairs between the same two boxes, never a mix.
    let boxes = |p: &Pair| (is_rec(p), p.orig.box_id.clone(), p.rep.box_id.clone());
    let rec_mismatch = if is_rec(first) || is_rec(pair) {
        boxes(first) != boxes(pair)
    } else {
        false
    };
    if rec_mismatch {
        return Err(EternusError::Refused(format!(
            "group {group}: {} {}; inter-box (REC) and intra-box pairs cannot be mixed, and every REC pair of a group copies between the same two storage systems",
            pair.label(),
            if is_rec(pair) {
                "is an inter-box (REC) pair whose storage systems differ from the group's"
            } else {
                "is an intra-box pair and the group holds inter-box (REC) pairs"
            }
        )));
    }
    if first.op_server != pair.op_server || first.copy != pair.copy {
        return Err(EternusError::Refused(format!(
            "group {group}: its pairs have copy {} and operation server {}; this pair must match",
            first.copy.as_str(),
            first.op_server.as_str()
        )));
    }
    let same = |a: &Volume, b: &Volume| a.server == b.server && a.device == b.device;
    for member in members {
        for volume in [&pair.orig, &pair.rep] {
            if same(volume, &member.orig) || same(volume, &member.rep) {
                return Err(EternusError::Refused(format!(
                    "group {group}: {} is already in the group ({})",
                    volume.qualified(),
                    member.label()
                )));
            }
        }
    }
    Ok(())
}

/// The cache key of a box's REC session list.
fn rec_key(array: &str) -> String {
    format!("{array}{REC_SUFFIX}")
}

const REC_SUFFIX: &str = "\u{0}rec";

/// A resume keeps the REC modes (spec §3.3): flags, when given, must match them.
fn check_same_modes(pair: &Pair, s: &CopySession, modes: cli::RecModes) -> Result<()> {
    let Some(rec) = s.rec.as_ref() else {
        return Ok(());
    };
    for (what, asked, current) in [
        ("transfer mode", modes.transfer, rec.transfer.as_str()),
        ("split mode", modes.split, rec.split.as_str()),
        ("recovery mode", modes.recovery, rec.recovery.as_str()),
    ] {
        if let Some(asked) = asked {
            if asked != current {
                return Err(EternusError::Refused(format!(
                    "{}: the {what} cannot be changed on a resume (it is {current}, {asked} was given); change it with swsrpchsync",
                    pair.label()
                )));
            }
        }
    }
    Ok(())
}

/// A REC copy in halt (spec §1.5: swsrp2648, "REC hardware error; Status shows halt").
fn halted(text: String) -> EternusError {
    EternusError::Message {
        id: "swsrp2648",
        text: format!("A REC hardware error occurred (status halt): {text}"),
    }
}

/// Refuses an action on `pair` in `direction` while a session runs the other way.
fn refuse_opposite(pair: &Pair, direction: Direction, sessions: &PairSessions) -> Result<()> {
    match sessions.get(direction.opposite()) {
        Some(other) => Err(EternusError::Refused(format!(
            "a copy session ({}) exists in the opposite direction between {}; cancel it first",
            other.state().text(),
            pair.label()
        ))),
        None => Ok(()),
    }
}
