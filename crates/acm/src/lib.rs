//! arraysync-acm: the ETERNUS SF AdvancedCopy Manager backup (`swst*`), replication
//! (`swsrp*`) and agent configuration (`stg*`, `acmcapture`) commands
//! with the manual's names, option syntax, output, messages and exit codes (seed 004
//! chapter 8.3; docs/reference/eternus-replication.md), over the engine of
//! arraysync-eternus.
//!
//! One module per command, each with `spec()` (its option table, usage and lock class) and
//! `run()`; [`main`] does what every command shares: the root-only rule, option parsing,
//! `-h`, the command-exclusion locks, printing the result or the error once, the exit code.
//! A binary is one line: `arraysync_acm::bin!(swsrpmake);`.

pub mod acmcapture;
pub mod agent;
pub mod args;
pub mod bkp;
pub mod messages;
pub mod metrics;
pub mod output;
pub mod remote_agent;
pub mod stgcmmodnode;
pub mod stgenvdisp;
pub mod stgmgrinfobkup;
pub mod stgmgrinfodisp;
pub mod stgmgrinfoset;
pub mod stgxfwcmdispsrv;
pub mod swsrpcancel;
pub mod swsrpchsync;
pub mod swsrpdelvol;
pub mod swsrpmake;
pub mod swsrprecbuffset;
pub mod swsrprecbuffstat;
pub mod swsrprecoverres;
pub mod swsrprevsync;
pub mod swsrpsetvol;
pub mod swsrpstartsync;
pub mod swsrpstat;
pub mod swsrpvolinfo;
pub mod swstbackstat;
pub mod swstbackup;
pub mod swstbkpoldel;
pub mod swstbkpoldisp;
pub mod swstbkpolset;
pub mod swstcancelrest;
pub mod swstcancelsync;
pub mod swstcanceltrk;
pub mod swstdevdisp;
pub mod swstdevinfoset;
pub mod swstestupdate;
pub mod swstexecstat;
pub mod swsthistdel;
pub mod swsthistdisp;
pub mod swstresback;
pub mod swstresrst;
pub mod swstrestore;
pub mod swstreststat;
pub mod swstsdv;
pub mod swstsrsemtch;
pub mod swststartsync;
pub mod swstsvrdisp;
pub mod swstsvrset;
pub mod swstsyncstat;
pub mod swsttrkstat;

use args::{Args, Flag};
use arraysync_core::log::{Level, Logger};
use arraysync_core::paths::PathOverrides;
use arraysync_core::Paths;
use arraysync_eternus::backup::BackupEngine;
use arraysync_eternus::exclusion::{self, Class};
use arraysync_eternus::replication::{self, Engine};
use arraysync_eternus::transport::Options;
use messages::{AcmError, Family};
use std::io::Write;
use std::time::Instant;

/// Every ACM command's spec: replication, backup management, then the agent configuration
/// commands (for the man pages, the install manifest and documentation generators:
/// arraysync-gen).
pub const COMMANDS: &[fn() -> Spec] = &[
    swsrpsetvol::spec,
    swsrpvolinfo::spec,
    swsrpdelvol::spec,
    swsrpstartsync::spec,
    swsrpmake::spec,
    swsrpstat::spec,
    swsrpcancel::spec,
    swsrprevsync::spec,
    swsrprecoverres::spec,
    swsrpchsync::spec,
    swsrpchsync::alias_spec,
    swsrprecbuffstat::spec,
    swsrprecbuffset::spec,
    swstestupdate::spec,
    swstsdv::spec,
    swstsvrset::spec,
    swstsvrdisp::spec,
    swstdevinfoset::spec,
    swstdevdisp::spec,
    swstbkpolset::spec,
    swstbkpoldisp::spec,
    swstbkpoldel::spec,
    swstbackup::spec,
    swstbackstat::spec,
    swstrestore::spec,
    swstcancelrest::spec,
    swstreststat::spec,
    swsthistdisp::spec,
    swsthistdel::spec,
    swststartsync::spec,
    swstcancelsync::spec,
    swstsyncstat::spec,
    swstexecstat::spec,
    swstcanceltrk::spec,
    swsttrkstat::spec,
    swstsrsemtch::spec,
    swstresback::spec,
    swstresrst::spec,
    stgcmmodnode::spec,
    stgenvdisp::spec,
    stgmgrinfoset::spec,
    stgmgrinfobkup::spec,
    stgmgrinfodisp::spec,
    stgxfwcmdispsrv::spec,
    acmcapture::spec,
];

/// A command's static description.
pub struct Spec {
    pub name: &'static str,
    pub usage: &'static str,
    pub flags: &'static [Flag],
    pub class: Class,
    /// For a command whose class depends on its arguments (`swstestupdate status` only
    /// reads): when this says so, the run is a display (it creates nothing, and takes the
    /// display lock).
    pub read_only_when: Option<fn(&Args) -> bool>,
}

impl Spec {
    /// The command-exclusion class of this run.
    fn class_of(&self, args: &Args) -> Class {
        match self.read_only_when {
            Some(read_only) if read_only(args) => Class::Display,
            _ => self.class,
        }
    }
}

/// What a command run has: paths, the log, and its output lines.
pub struct Cx {
    pub name: &'static str,
    pub paths: Paths,
    pub log: Logger,
    pub out: Vec<String>,
    /// Informational messages (stderr, exit status unchanged).
    pub notes: Vec<String>,
    _lock: Option<exclusion::Guard>,
}

impl Cx {
    /// The engine over the existing repository (a missing one is read as empty, not created).
    pub fn engine(&self) -> Result<Engine<'_>, AcmError> {
        Ok(Engine::open(&self.paths, &self.log, Options::default())?)
    }

    /// The backup engine (swst* commands); refuses to run before swstsvrset.
    pub fn backup(&self) -> Result<BackupEngine<'_>, AcmError> {
        Ok(BackupEngine::open(
            &self.paths,
            &self.log,
            Options::default(),
        )?)
    }

    /// The backup engine without the swstsvrset precondition (swstsvrset itself).
    pub fn backup_unchecked(&self) -> Result<BackupEngine<'_>, AcmError> {
        Ok(BackupEngine::open_unchecked(
            &self.paths,
            &self.log,
            Options::default(),
        )?)
    }

    /// The engine of a configuring command: creates the repository when absent.
    pub fn engine_creating(&self) -> Result<Engine<'_>, AcmError> {
        Ok(Engine::open_creating(
            &self.paths,
            &self.log,
            Options::default(),
        )?)
    }

    /// Takes the per-pair locks of an operation (released when the command ends).
    pub fn lock_pairs(&self, ids: &[i64]) -> Result<exclusion::Guard, AcmError> {
        Ok(exclusion::acquire(
            &self.paths,
            self.name,
            Class::Display,
            ids,
        )?)
    }

    pub fn println(&mut self, line: impl Into<String>) {
        self.out.push(line.into());
    }
}

/// Runs a command with the process arguments; returns the exit code.
pub fn main(spec: Spec, run: fn(&Args, &mut Cx) -> Result<(), AcmError>) -> i32 {
    let started = Instant::now();
    if let Err(e) = arraysync_core::signals::install() {
        eprintln!("{}: cannot install signal handlers: {e}", spec.name);
        return 1;
    }
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = execute(&spec, run, &argv);
    if std::env::var_os("ARRAYSYNC_TIMING").is_some() {
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        let vendor = arraysync_core::runner::vendor_wall_time().as_secs_f64() * 1000.0;
        eprintln!(
            "arraysync timing: wall_ms={wall:.3} vendor_ms={vendor:.3} own_ms={:.3} cpu_ms={:.3}",
            (wall - vendor).max(0.0),
            arraysync_core::timing::process_cpu_time().as_secs_f64() * 1000.0
        );
    }
    code
}

fn fail(spec: &Spec, e: &AcmError) -> i32 {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", e.line_for(Family::of(spec.name)));
    if e.usage {
        let _ = writeln!(err, "Usage: {}", spec.usage);
    }
    e.code
}

/// The command without the process: `argv` excludes the program name.
pub fn execute(
    spec: &Spec,
    run: fn(&Args, &mut Cx) -> Result<(), AcmError>,
    argv: &[String],
) -> i32 {
    if std::env::var_os("ARRAYSYNC_ROOT").is_none_or(|r| r.is_empty())
        && !nix::unistd::geteuid().is_root()
    {
        return fail(spec, &messages::not_root());
    }
    let args = match args::parse(spec.flags, argv) {
        Ok(a) => a,
        Err(e) => return fail(spec, &AcmError::usage(e)),
    };
    let family = Family::of(spec.name);
    let paths = Paths::from_env(&PathOverrides::default());
    let log_file = paths.under_root(family.log_file());
    // Read-only commands create nothing: no log directory, no lock directory (issue 8).
    let class = spec.class_of(&args);
    let display = class == Class::Display;
    let creates = |path: &std::path::Path| !display || path.exists();
    let log = match log_file.parent().is_some_and(creates) {
        true => Logger::open(spec.name, Some(&log_file), Level::Error)
            .unwrap_or_else(|_| Logger::stderr_only(spec.name, Level::Error)),
        false => Logger::stderr_only(spec.name, Level::Error),
    };
    if let Some(server) = args.value("-h") {
        match replication::local_server_name(&paths) {
            Ok(local) if local == server => {}
            Ok(local) => return forward(spec, &paths, &log, server, &local, argv),
            Err(e) => return fail(spec, &AcmError::from(e)),
        }
    }
    // No lock directory means no command ever ran that a display could conflict with.
    let lock = if creates(&paths.under_root(family.lock_dir())) {
        match exclusion::acquire_in(&paths, family.lock_dir(), spec.name, class, &[]) {
            Ok(l) => Some(l),
            Err(e) => return fail(spec, &AcmError::from(e)),
        }
    } else {
        None
    };
    let mut cx = Cx {
        name: spec.name,
        paths,
        log,
        out: Vec::new(),
        notes: Vec::new(),
        _lock: lock,
    };
    let result = run(&args, &mut cx);
    let mut text = cx.out.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    // A closed reader (`| head`) is not an error; a full disk is (issue 8).
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    for note in &cx.notes {
        eprintln!("{note}");
    }
    let code = match result {
        Ok(()) => 0,
        Err(e) => fail(spec, &e),
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("{}: cannot write to standard output: {e}", spec.name);
            code.max(1)
        }
        _ => code,
    }
}

/// `-h serverName` naming another Managed Server: the command runs there, over one
/// session to that server's remote agent (it takes its own locks and prints its own
/// output); its output and exit code are this command's.
fn forward(
    spec: &Spec,
    paths: &Paths,
    log: &Logger,
    server: &str,
    local: &str,
    argv: &[String],
) -> i32 {
    let table = match arraysync_eternus::servers::ServerTable::load(paths) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                spec,
                &AcmError::from(arraysync_eternus::EternusError::from(e)),
            )
        }
    };
    let Some(conf) = table.get(server) else {
        return fail(spec, &messages::remote_server(server, local));
    };
    let result = arraysync_eternus::remote::RemoteSession::open(conf, log).and_then(|mut s| {
        let mut full = vec![spec.name.to_string()];
        full.extend(argv.iter().cloned());
        let result = s.command(&full);
        s.close();
        result
    });
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            let written = stdout
                .write_all(out.stdout.as_bytes())
                .and_then(|()| stdout.flush());
            eprint!("{}", out.stderr);
            match written {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("{}: cannot write to standard output: {e}", spec.name);
                    out.code.max(1)
                }
                _ => out.code,
            }
        }
        Err(e) => fail(spec, &AcmError::from(e)),
    }
}

/// `main` for a command module: `arraysync_acm::bin!(swsrpmake);`
#[macro_export]
macro_rules! bin {
    ($command:ident) => {
        fn main() {
            std::process::exit($crate::main(
                $crate::$command::spec(),
                $crate::$command::run,
            ));
        }
    };
}

/// Checks the operand count; `group` commands take none with `-Xgroup`.
pub fn operands(args: &Args, exactly: usize) -> Result<(), AcmError> {
    if args.has("-Xgroup") {
        if !args.operands.is_empty() {
            return Err(AcmError::usage(
                "volume operands cannot be given with -Xgroup",
            ));
        }
        return Ok(());
    }
    if args.has("-Xreverse") {
        return Err(AcmError::usage("-Xreverse can only be given with -Xgroup"));
    }
    if args.operands.len() != exactly {
        return Err(AcmError::usage(format!(
            "{exactly} volume operand(s) expected, {} given",
            args.operands.len()
        )));
    }
    Ok(())
}

/// Refuses options that exclude each other.
pub fn exclusive(args: &Args, sets: &[&[&str]]) -> Result<(), AcmError> {
    let given: Vec<&'static str> = sets.iter().filter_map(|set| args.any(set)).collect();
    if given.len() > 1 {
        return Err(AcmError::usage(format!(
            "{} cannot be given together",
            given.join(" and ")
        )));
    }
    Ok(())
}
