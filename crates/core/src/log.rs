//! Action logs in the seeds' format, through `tracing`, to stderr and to
//! `<var>/log/<svc>.log`:
//! `2014-09-18 23:04:02,189 - IISTSTIBMDS.SYNC#1 - INFO - <message>`.
//!
//! One subscriber per process ([`init`], shared by every binary) with one layer of ours,
//! [`SeedLayer`], that formats every event in the seeds' line format. A [`Logger`] is a
//! named handle (`SVC`, `SVC.SYNC#1`) on a sink (the service's log file and its secrets);
//! its lines are `tracing` events carrying the logger name and sink id, so the layer knows
//! which file gets them. Plain `tracing` events (progress of a wait, for instance) go to
//! the sink of the innermost [`Logger::span`] they happen in. Service, resource and vendor
//! command spans report their duration at DEBUG when they close (`--debug` timings).
//!
//! Levels: the file gets INFO and up (DEBUG too with `--debug`); stderr gets the level
//! chosen by [`stderr_level`] (INFO at a terminal, WARNING otherwise, ERROR with
//! `--quiet`, DEBUG with `--debug`), and never less than the logger's own floor.
//!
//! Progress lines of a wait ([`Logger::progress`], `progress = true` on a plain event) are
//! ordinary INFO lines in the file; on a terminal's stderr they update one line in place
//! (carriage return, erase line), which the next other line, or the end of the wait
//! ([`end_progress_line`]), closes with a newline, so the last count stays on screen.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The tracing target of [`Logger`] lines.
const TARGET: &str = "arraysync::action";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
        })
    }
}

impl Level {
    fn from_u8(value: u8) -> Level {
        match value {
            0 => Level::Debug,
            1 => Level::Info,
            2 => Level::Warning,
            _ => Level::Error,
        }
    }

    fn as_u8(self) -> u8 {
        self as u8
    }

    fn of(level: &tracing::Level) -> Level {
        match *level {
            tracing::Level::ERROR => Level::Error,
            tracing::Level::WARN => Level::Warning,
            tracing::Level::INFO => Level::Info,
            _ => Level::Debug,
        }
    }

    /// Parses `debug`, `info`, `warning` (or `warn`), `error`.
    pub fn parse(text: &str) -> Option<Level> {
        match text.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warning" | "warn" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// The stderr level of a run: `--debug` everything, `--quiet` errors only, then the node
/// settings' `log.stderr` when not `auto`, otherwise INFO at a terminal and WARNING when
/// not (cron, systemd): a successful cron run is silent.
pub fn stderr_level(debug: bool, quiet: bool, configured: Option<Level>) -> Level {
    match (debug, quiet, configured) {
        (true, _, _) => Level::Debug,
        (false, true, _) => Level::Error,
        (false, false, Some(level)) => level,
        _ if std::io::stderr().is_terminal() => Level::Info,
        _ => Level::Warning,
    }
}

/// Process-wide levels, set by [`init`].
static STDERR_LEVEL: AtomicU8 = AtomicU8::new(2);
static FILE_LEVEL: AtomicU8 = AtomicU8::new(1);
/// Logger name of events outside any logger span (the program name, uppercased).
static DEFAULT_NAME: OnceLock<String> = OnceLock::new();
static INSTALLED: OnceLock<bool> = OnceLock::new();
static SYSLOG: OnceLock<Option<std::os::unix::net::UnixDatagram>> = OnceLock::new();

/// How a program logs.
#[derive(Debug, Clone, Copy)]
pub struct LogOptions {
    /// Lowest level on stderr (see [`stderr_level`]).
    pub stderr: Level,
    /// Lowest level written to log files (INFO; DEBUG with `--debug`).
    pub file: Level,
    /// Also send action log lines (from the file level up) to the local syslog socket
    /// (journald reads it too).
    pub syslog: bool,
}

/// Installs the process's subscriber (once) and sets its levels: call first in `main`.
/// Later calls only change the levels.
pub fn init(program: &str, options: LogOptions) {
    let _ = DEFAULT_NAME.set(program.to_uppercase());
    STDERR_LEVEL.store(options.stderr.as_u8(), Ordering::Relaxed);
    FILE_LEVEL.store(options.file.as_u8(), Ordering::Relaxed);
    if options.syslog {
        SYSLOG.get_or_init(|| connect_syslog(Path::new(SYSLOG_SOCKET)));
    }
    ensure_installed();
}

/// The local syslog socket (journald listens on it too).
const SYSLOG_SOCKET: &str = "/dev/log";

/// A datagram socket connected to the syslog socket at `path`, if there is one.
fn connect_syslog(path: &Path) -> Option<std::os::unix::net::UnixDatagram> {
    let socket = std::os::unix::net::UnixDatagram::unbound().ok()?;
    socket.connect(path).ok()?;
    Some(socket)
}

/// One syslog message (RFC 3164 form, facility user): `<14>arraysync[42]: SVC - INFO - text`.
fn syslog_datagram(program: &str, pid: u32, name: &str, level: Level, message: &str) -> String {
    let severity = match level {
        Level::Error => 3,
        Level::Warning => 4,
        Level::Info => 6,
        Level::Debug => 7,
    };
    format!(
        "<{}>{program}[{pid}]: {name} - {level} - {message}",
        8 + severity
    )
}

/// Sends one line to syslog, best effort: logging must not fail an action.
fn to_syslog(name: &str, level: Level, message: &str) {
    let Some(Some(socket)) = SYSLOG.get() else {
        return;
    };
    let program = DEFAULT_NAME
        .get()
        .map(|n| n.to_lowercase())
        .unwrap_or_else(|| "arraysync".into());
    let datagram = syslog_datagram(&program, std::process::id(), name, level, message);
    let _ = socket.send(datagram.as_bytes());
}

/// Installs the subscriber with the current levels unless one is there: loggers made by
/// library code and tests work without an `init`.
fn ensure_installed() {
    INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(SeedLayer))
            .is_ok()
    });
}

/// One sink: a log file (optional) and the secrets masked in every line sent to it.
struct Sink {
    id: u64,
    file: Option<Mutex<File>>,
    /// Lowest level this logger's lines reach stderr with (a floor over the process level).
    stderr_floor: Level,
    /// Strings replaced by `xxxx` wherever they appear.
    secrets: Vec<String>,
}

static NEXT_SINK: AtomicU64 = AtomicU64::new(1);

/// Live sinks by id; weak so a dropped logger closes its file.
fn sinks() -> &'static Mutex<HashMap<u64, Weak<Sink>>> {
    static SINKS: OnceLock<Mutex<HashMap<u64, Weak<Sink>>>> = OnceLock::new();
    SINKS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn register(file: Option<File>, stderr_floor: Level, secrets: Vec<String>) -> Arc<Sink> {
    let sink = Arc::new(Sink {
        id: NEXT_SINK.fetch_add(1, Ordering::Relaxed),
        file: file.map(Mutex::new),
        stderr_floor,
        secrets,
    });
    if let Ok(mut map) = sinks().lock() {
        map.retain(|_, weak| weak.strong_count() > 0);
        map.insert(sink.id, Arc::downgrade(&sink));
    }
    sink
}

fn sink_by_id(id: u64) -> Option<Arc<Sink>> {
    sinks().lock().ok()?.get(&id)?.upgrade()
}

/// Opens (creating, appending) the action log file. The only place a log file is opened.
fn open_log_file(path: &Path) -> std::io::Result<File> {
    crate::safefs::open_append_create(path, crate::safefs::LOG_MODE)
}

/// A named logger (`SVC` or `SVC.RID`) writing to the shared sink of one run.
#[derive(Clone)]
pub struct Logger {
    name: String,
    sink: Arc<Sink>,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger").field("name", &self.name).finish()
    }
}

impl Logger {
    /// A logger for service `service` writing to `log_file` (created, appended) when given.
    /// The file receives INFO and up; stderr receives the run's level, never below
    /// `stderr_level`.
    pub fn open(
        service: &str,
        log_file: Option<&Path>,
        stderr_level: Level,
    ) -> std::io::Result<Logger> {
        ensure_installed();
        let file = log_file.map(open_log_file).transpose()?;
        Ok(Logger {
            name: service.to_uppercase(),
            sink: register(file, stderr_level, Vec::new()),
        })
    }

    /// A logger that writes nowhere but stderr, from `stderr_level` up (status, check).
    pub fn stderr_only(service: &str, stderr_level: Level) -> Logger {
        ensure_installed();
        Logger {
            name: service.to_uppercase(),
            sink: register(None, stderr_level, Vec::new()),
        }
    }

    /// The same sink with more secrets to mask. Call before handing the logger out.
    pub fn with_secrets(self, secrets: impl IntoIterator<Item = String>) -> Logger {
        let mut all = self.sink.secrets.clone();
        all.extend(secrets.into_iter().filter(|s| !s.is_empty()));
        let file = self
            .sink
            .file
            .as_ref()
            .and_then(|f| f.lock().ok().and_then(|f| f.try_clone().ok()));
        Logger {
            name: self.name,
            sink: register(file, self.sink.stderr_floor, all),
        }
    }

    /// A child logger for a resource: `SVC.SYNC#1`.
    pub fn child(&self, rid: &str) -> Logger {
        Logger {
            name: format!("{}.{}", self.name, rid.to_uppercase()),
            sink: Arc::clone(&self.sink),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Replaces every known secret in `text` by `xxxx`.
    pub fn mask(&self, text: &str) -> String {
        mask_secrets(text, &self.sink.secrets)
    }

    /// A span (`kind` = service, resource, vendor, wait) naming this logger: plain
    /// `tracing` events inside it go to this logger's sink under its name, and its
    /// duration is logged at DEBUG when it closes.
    pub fn span(&self, kind: &'static str, what: &str) -> tracing::Span {
        tracing::info_span!(
            target: TARGET,
            "arraysync",
            kind,
            what = %self.mask(what),
            logger = %self.name,
            sink = self.sink.id
        )
    }

    /// Whether a line at `level` goes anywhere (stderr, the file or syslog): callers skip
    /// building a message nobody reads (a query's command line at DEBUG, per vendor call).
    pub fn enabled(&self, level: Level) -> bool {
        let stderr_min = Level::from_u8(STDERR_LEVEL.load(Ordering::Relaxed));
        let file_min = Level::from_u8(FILE_LEVEL.load(Ordering::Relaxed));
        level >= stderr_min.max(self.sink.stderr_floor)
            || (level >= file_min && (self.sink.file.is_some() || SYSLOG.get().is_some()))
    }

    pub fn log(&self, level: Level, message: &str) {
        if !self.enabled(level) {
            return;
        }
        let sink = self.sink.id;
        let name = self.name.as_str();
        match level {
            Level::Debug => {
                tracing::debug!(target: TARGET, logger = name, sink, "{message}")
            }
            Level::Info => tracing::info!(target: TARGET, logger = name, sink, "{message}"),
            Level::Warning => {
                tracing::warn!(target: TARGET, logger = name, sink, "{message}")
            }
            Level::Error => {
                tracing::error!(target: TARGET, logger = name, sink, "{message}")
            }
        }
    }

    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message);
    }
    pub fn info(&self, message: &str) {
        self.log(Level::Info, message);
    }
    /// An INFO line reporting the progress of a wait (see the module docs).
    pub fn progress(&self, message: &str) {
        if !self.enabled(Level::Info) {
            return;
        }
        let (sink, name) = (self.sink.id, self.name.as_str());
        tracing::info!(target: TARGET, logger = name, sink, progress = true, "{message}");
    }
    pub fn warning(&self, message: &str) {
        self.log(Level::Warning, message);
    }
    pub fn error(&self, message: &str) {
        self.log(Level::Error, message);
    }
}

/// Replaces each secret by `xxxx`.
pub fn mask_secrets(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |acc, secret| {
            acc.replace(secret.as_str(), "xxxx")
        })
}

/// One line in the seeds' format (the message is already masked).
pub fn format_line(
    time: chrono::DateTime<chrono::Local>,
    name: &str,
    level: Level,
    message: &str,
) -> String {
    format!(
        "{} - {} - {} - {}\n",
        time.format("%Y-%m-%d %H:%M:%S,%3f"),
        name,
        level,
        message
    )
}

/// The fields of an event or span that matter to the layer.
#[derive(Default)]
struct Fields {
    message: String,
    logger: Option<String>,
    sink: Option<u64>,
    kind: Option<String>,
    what: Option<String>,
    /// A progress line of a wait.
    progress: bool,
    /// Other fields, `key=value`, appended to the message.
    extra: Vec<String>,
}

impl Visit for Fields {
    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "progress" => self.progress = value,
            name => self.extra.push(format!("{name}={value}")),
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "sink" => self.sink = Some(value),
            name => self.extra.push(format!("{name}={value}")),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "logger" => self.logger = Some(value),
            "kind" => self.kind = Some(value),
            "what" => self.what = Some(value),
            name => self.extra.push(format!("{name}={value}")),
        }
    }
}

/// What a span of ours keeps: its logger, sink and start time.
struct SpanInfo {
    logger: Option<String>,
    sink: Option<u64>,
    label: Option<String>,
    started: Instant,
}

/// The formatting layer: seed-format lines to the sink's file and to stderr.
pub struct SeedLayer;

/// Whether the last thing written to stderr is a progress line still open (no newline).
static PROGRESS_OPEN: AtomicBool = AtomicBool::new(false);

/// Whether stderr is a terminal (asked once: it does not change during a run).
fn stderr_is_terminal() -> bool {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    *TERMINAL.get_or_init(|| std::io::stderr().is_terminal())
}

/// What goes to stderr for one formatted `line`: on a terminal a progress line replaces
/// the open one in place and stays open; any other line first closes an open one.
fn stderr_bytes(line: &str, progress: bool, terminal: bool, open: &AtomicBool) -> String {
    if progress && terminal {
        open.store(true, Ordering::Relaxed);
        return format!("\r\x1b[K{}", line.trim_end_matches('\n'));
    }
    if open.swap(false, Ordering::Relaxed) {
        return format!("\n{line}");
    }
    line.to_string()
}

/// Ends an open progress line with a newline (a wait is over); nothing otherwise.
pub fn end_progress_line() {
    if PROGRESS_OPEN.swap(false, Ordering::Relaxed) {
        let _ = std::io::stderr().write_all(b"\n");
    }
}

/// Held for the length of a wait that reports progress: however the wait ends (ready,
/// timed out, failed, interrupted), an open progress line is closed.
#[derive(Debug, Default)]
pub struct ProgressScope;

impl Drop for ProgressScope {
    fn drop(&mut self) {
        end_progress_line();
    }
}

impl SeedLayer {
    fn write(
        &self,
        name: &str,
        sink: Option<Arc<Sink>>,
        level: Level,
        message: &str,
        progress: bool,
    ) {
        let stderr_min = Level::from_u8(STDERR_LEVEL.load(Ordering::Relaxed));
        let file_min = Level::from_u8(FILE_LEVEL.load(Ordering::Relaxed));
        let floor = sink.as_ref().map_or(Level::Debug, |s| s.stderr_floor);
        let to_stderr = level >= stderr_min.max(floor);
        let file = sink.as_ref().and_then(|s| s.file.as_ref());
        let to_file = file.is_some() && level >= file_min;
        let to_syslog_too = sink.is_some() && level >= file_min && SYSLOG.get().is_some();
        if !to_stderr && !to_file && !to_syslog_too {
            return;
        }
        let masked = match &sink {
            Some(sink) => mask_secrets(message, &sink.secrets),
            None => message.to_string(),
        };
        let line = format_line(crate::clock::now(), name, level, &masked);
        if let (true, Some(file)) = (to_file, file) {
            if let Ok(mut file) = file.lock() {
                // A full disk must not turn a successful array action into a failure.
                let _ = file.write_all(line.as_bytes());
            }
        }
        if to_stderr {
            let mut stderr = std::io::stderr().lock();
            let bytes = stderr_bytes(&line, progress, stderr_is_terminal(), &PROGRESS_OPEN);
            let _ = stderr.write_all(bytes.as_bytes());
        }
        if to_syslog_too {
            to_syslog(name, level, &masked);
        }
    }
}

impl<S> Layer<S> for SeedLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let label = match (&fields.kind, &fields.what) {
            (Some(kind), Some(what)) => Some(format!("{kind} {what}")),
            (Some(kind), None) => Some(kind.clone()),
            _ => None,
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanInfo {
                logger: fields.logger,
                sink: fields.sink,
                label,
                started: Instant::now(),
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let (mut logger, mut sink) = (fields.logger.take(), fields.sink);
        if logger.is_none() || sink.is_none() {
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope {
                    if let Some(info) = span.extensions().get::<SpanInfo>() {
                        logger = logger.or_else(|| info.logger.clone());
                        sink = sink.or(info.sink);
                    }
                    if logger.is_some() && sink.is_some() {
                        break;
                    }
                }
            }
        }
        let name = logger
            .or_else(|| DEFAULT_NAME.get().cloned())
            .unwrap_or_else(|| "ARRAYSYNC".into());
        let mut message = fields.message;
        for extra in fields.extra {
            message.push(' ');
            message.push_str(&extra);
        }
        let level = Level::of(event.metadata().level());
        let sink = sink.and_then(sink_by_id);
        self.write(&name, sink, level, &message, fields.progress);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if Level::from_u8(STDERR_LEVEL.load(Ordering::Relaxed)) > Level::Debug
            && Level::from_u8(FILE_LEVEL.load(Ordering::Relaxed)) > Level::Debug
        {
            return;
        }
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        let Some(info) = extensions.get::<SpanInfo>() else {
            return;
        };
        let Some(label) = &info.label else { return };
        let name = info
            .logger
            .clone()
            .or_else(|| DEFAULT_NAME.get().cloned())
            .unwrap_or_else(|| "ARRAYSYNC".into());
        let message = format!("{label}: {:.3} s", info.started.elapsed().as_secs_f64());
        self.write(
            &name,
            info.sink.and_then(sink_by_id),
            Level::Debug,
            &message,
            false,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lines_have_the_seed_format_and_mask_secrets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log/svc.log");
        let log = Logger::open("iiststibmds", Some(&path), Level::Error)
            .expect("open")
            .with_secrets(["s3cret".to_string()]);
        log.child("sync#1").info("resyncflash -pw s3cret");
        log.child("sync#1").debug("lsflash -pw s3cret");
        let text = std::fs::read_to_string(&path).expect("read");
        let (stamp, rest) = text.split_at(23);
        assert!(
            chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S,%3f").is_ok(),
            "{stamp}"
        );
        assert_eq!(
            rest,
            " - IISTSTIBMDS.SYNC#1 - INFO - resyncflash -pw xxxx\n"
        );
    }

    #[test]
    fn plain_events_inside_a_logger_span_reach_its_file_masked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("svc.log");
        let log = Logger::open("svc", Some(&path), Level::Error)
            .expect("open")
            .with_secrets(["pw9".to_string()]);
        let rlog = log.child("sync#2");
        {
            let _span = rlog.span("wait", "copy").entered();
            tracing::info!("1/2 pairs copied, pw9");
        }
        tracing::info!("outside any span: not in the file");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.ends_with(" - SVC.SYNC#2 - INFO - 1/2 pairs copied, xxxx\n"),
            "{text}"
        );
    }

    #[test]
    fn syslog_messages_carry_priority_tag_and_the_seed_fields() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let server = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
        let client = connect_syslog(&path).expect("connects");
        let line = syslog_datagram("syncresync", 42, "SVC.SYNC#1", Level::Warning, "stderr");
        client.send(line.as_bytes()).expect("send");
        let mut buffer = [0u8; 256];
        let n = server.recv(&mut buffer).expect("recv");
        assert_eq!(
            std::str::from_utf8(&buffer[..n]).expect("utf8"),
            "<12>syncresync[42]: SVC.SYNC#1 - WARNING - stderr"
        );
        assert!(connect_syslog(&dir.path().join("absent")).is_none());
    }

    #[test]
    fn progress_lines_update_one_terminal_line_and_the_next_line_closes_it() {
        let open = AtomicBool::new(false);
        let line = |text: &str| format!("2026-11-29 02:00:00,000 - S - INFO - {text}\n");
        let first = stderr_bytes(&line("1/8 pairs copied"), true, true, &open);
        assert_eq!(
            first,
            format!("\r\x1b[K{}", line("1/8 pairs copied").trim_end())
        );
        let second = stderr_bytes(&line("5/8 pairs copied"), true, true, &open);
        assert!(second.starts_with("\r\x1b[K") && !second.ends_with('\n'));
        assert_eq!(
            stderr_bytes(&line("done"), false, true, &open),
            format!("\n{}", line("done"))
        );
        assert_eq!(
            stderr_bytes(&line("next"), false, true, &open),
            line("next")
        );
        // Not a terminal (cron, a pipe): every progress line is a line of its own.
        assert_eq!(stderr_bytes(&line("2/8"), true, false, &open), line("2/8"));
        assert!(!open.load(Ordering::Relaxed));
    }

    #[test]
    fn levels_parse() {
        assert_eq!(Level::parse("WARN"), Some(Level::Warning));
        assert_eq!(Level::parse("info"), Some(Level::Info));
        assert_eq!(Level::parse("loud"), None);
    }
}
