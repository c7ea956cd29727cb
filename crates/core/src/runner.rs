//! Runs vendor commands: argv only (never a shell), an optional stdin script, a timeout
//! that kills the whole process group, stdout and stderr captured, every mutating command
//! logged before it runs in the seed 000 form (`<stdin script> | <argv>`).

use crate::error::CommandError;
use crate::log::{Level, Logger};
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Wall time during which at least one vendor command was running, for the tool's
/// overhead measurement (`ARRAYSYNC_TIMING`): total wall time minus this is our own time,
/// correct also when per-pair commands run concurrently.
struct BusyClock {
    in_flight: u32,
    since: Option<Instant>,
    total: Duration,
}

static BUSY: std::sync::Mutex<BusyClock> = std::sync::Mutex::new(BusyClock {
    in_flight: 0,
    since: None,
    total: Duration::ZERO,
});

/// Counts the wall time while a vendor process is being waited on, for transports that
/// keep their own process (the ETERNUS CLI session): busy from `start` until dropped.
#[must_use = "the time is counted until the guard is dropped"]
pub struct VendorBusy(());

impl VendorBusy {
    pub fn start() -> VendorBusy {
        VENDOR_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        busy_enter();
        VendorBusy(())
    }
}

impl Drop for VendorBusy {
    fn drop(&mut self) {
        busy_exit();
    }
}

fn busy_enter() {
    if let Ok(mut busy) = BUSY.lock() {
        if busy.in_flight == 0 {
            busy.since = Some(Instant::now());
        }
        busy.in_flight += 1;
    }
}

fn busy_exit() {
    if let Ok(mut busy) = BUSY.lock() {
        busy.in_flight = busy.in_flight.saturating_sub(1);
        if busy.in_flight == 0 {
            if let Some(since) = busy.since.take() {
                busy.total += since.elapsed();
            }
        }
    }
}

/// Vendor commands run so far in this process (metrics: calls of the last action).
static VENDOR_CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The number of vendor commands run so far in this process.
pub fn vendor_calls() -> u64 {
    VENDOR_CALLS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Wall time spent waiting on vendor commands so far in this process.
pub fn vendor_wall_time() -> Duration {
    BUSY.lock().map(|b| b.total).unwrap_or_default()
}

/// How long a killed process group gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Environment variables passed to vendor commands; everything else is dropped so a
/// command sees the same environment from a shell, cron or a service hook.
const PASSED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "TZ",
    "TMPDIR",
    "JAVA_HOME",
];
const PASSED_ENV_PREFIXES: &[&str] = &["LC_", "ARRAYSYNC_", "ARRAYSIM_", "SYMCLI_"];

/// Whether the command line and output go to the action log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logging {
    /// State-changing command: command line and stdout at INFO, stderr at ERROR/WARNING.
    Action,
    /// Query: command line at DEBUG, output not logged.
    Query,
}

/// One vendor command to run.
#[derive(Debug, Clone)]
pub struct VendorCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Script written to stdin (dscli batches); stdin is closed when `None`.
    pub stdin: Option<String>,
    pub timeout: Duration,
    pub logging: Logging,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Strip these strings from stdout/stderr before logging and returning (prompts).
    pub strip: Vec<String>,
    /// How the program is named in logs when not by its path: commands found through
    /// PATH are logged by name, as the seeds show (`iSMsc_unlink -lv ...`).
    pub display_name: Option<String>,
}

impl VendorCommand {
    pub fn new(program: impl Into<PathBuf>, args: Vec<String>, timeout: Duration) -> Self {
        VendorCommand {
            program: program.into(),
            args,
            stdin: None,
            timeout,
            logging: Logging::Action,
            env: Vec::new(),
            strip: Vec::new(),
            display_name: None,
        }
    }

    /// Logs the program under `name` instead of its full path.
    pub fn display_as(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    pub fn stdin(mut self, script: impl Into<String>) -> Self {
        self.stdin = Some(script.into());
        self
    }

    pub fn query(mut self) -> Self {
        self.logging = Logging::Query;
        self
    }

    pub fn strip(mut self, text: impl Into<String>) -> Self {
        self.strip.push(text.into());
        self
    }

    /// The program's file name, for messages.
    pub fn program_name(&self) -> String {
        self.program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.program.display().to_string())
    }

    /// The command line as logged: `<script lines joined by ; > | <program> <args>`.
    pub fn display_line(&self) -> String {
        let program = self
            .display_name
            .clone()
            .unwrap_or_else(|| self.program.display().to_string());
        let argv = std::iter::once(program)
            .chain(self.args.iter().map(|a| quote_for_display(a)))
            .collect::<Vec<_>>()
            .join(" ");
        match &self.stdin {
            Some(script) => {
                let lines: Vec<&str> = script.lines().filter(|l| !l.trim().is_empty()).collect();
                format!("{} | {argv}", lines.join("; "))
            }
            None => argv,
        }
    }
}

fn quote_for_display(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+#".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// What a finished command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs vendor commands and logs them.
#[derive(Debug, Clone, Default)]
pub struct Runner {
    /// In dry-run mode, action commands are logged and not run.
    pub dry_run: bool,
}

impl Runner {
    /// Runs `command`, logging it on `log`. A non-zero exit is an error carrying stderr;
    /// use [`Runner::run_status`] to interpret exit codes yourself.
    pub fn run(&self, log: &Logger, command: &VendorCommand) -> Result<Output, CommandError> {
        let output = self.run_status(log, command)?;
        if output.code != 0 {
            return Err(CommandError::Exit {
                program: command.program_name(),
                code: output.code,
                stderr: log.mask(&output.stderr),
            });
        }
        Ok(output)
    }

    /// Runs `command` and returns its output whatever the exit code; errors are reserved
    /// for not being able to run it, a timeout or a signal.
    pub fn run_status(
        &self,
        log: &Logger,
        command: &VendorCommand,
    ) -> Result<Output, CommandError> {
        let level = match command.logging {
            Logging::Action => Level::Info,
            Logging::Query => Level::Debug,
        };
        if log.enabled(level) {
            log.log(level, &command.display_line());
        }
        if self.dry_run && command.logging == Logging::Action {
            log.info("dry run: command not executed");
            return Ok(Output {
                code: 0,
                stdout: String::new(),
                stderr: String::new(),
                elapsed: Duration::ZERO,
            });
        }
        let _span = log.span("vendor", &command.program_name()).entered();
        VENDOR_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        busy_enter();
        let result = execute(command);
        busy_exit();
        let mut output = result?;
        for text in &command.strip {
            output.stdout = output.stdout.replace(text.as_str(), "");
            output.stderr = output.stderr.replace(text.as_str(), "");
        }
        if command.logging == Logging::Action {
            log_output(log, &output);
        }
        Ok(output)
    }
}

/// stdout at INFO; stderr at ERROR on failure, at WARNING on success (seed 002's
/// "command successful but stderr").
fn log_output(log: &Logger, output: &Output) {
    let stdout = cap_for_log(output.stdout.trim_end());
    if !stdout.trim().is_empty() {
        log.info(&stdout);
    }
    let stderr = cap_for_log(output.stderr.trim_end());
    let stderr = stderr.as_ref();
    if stderr.trim().is_empty() {
        return;
    }
    if output.code == 0 {
        log.warning(&format!("command successful but stderr:\n{stderr}"));
    } else {
        log.error(stderr);
    }
}

fn execute(command: &VendorCommand) -> Result<Output, CommandError> {
    let program = command.program_name();
    let mut cmd = Command::new(&command.program);
    cmd.args(&command.args)
        .env_clear()
        .envs(passed_environment())
        .envs(command.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(if command.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(signal) = crate::signals::received() {
        return Err(CommandError::Interrupted {
            program,
            signal,
            started: false,
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CommandError::NotFound {
            program: command.program.display().to_string(),
        },
        _ => CommandError::Spawn {
            program: command.program.display().to_string(),
            reason: e.to_string(),
        },
    })?;
    let pid = Pid::from_raw(child.id() as i32);
    let mut pipes = Pipes::new(&mut child, command.stdin.as_deref());
    let status = match pump_until_exit(&mut child, &mut pipes, started, command.timeout) {
        Waited::Exited(Ok(status)) => status,
        Waited::Exited(Err(e)) => {
            return Err(CommandError::Spawn {
                program,
                reason: e.to_string(),
            })
        }
        Waited::TimedOut => {
            drop(pipes);
            kill_group(pid, &mut child);
            return Err(CommandError::Timeout {
                program,
                seconds: command.timeout.as_secs(),
            });
        }
        Waited::Interrupted(signal) => {
            drop(pipes);
            kill_group(pid, &mut child);
            return Err(CommandError::Interrupted {
                program,
                signal,
                started: true,
            });
        }
    };
    let elapsed = started.elapsed();
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => return Err(CommandError::Signal { program, signal }),
        (None, None) => -1,
    };
    Ok(Output {
        code,
        stdout: pipes.out.into_text(),
        stderr: pipes.err.into_text(),
        elapsed,
    })
}

enum Waited {
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
    Interrupted(i32),
}

/// How long one poll of the pipes may sleep: a signal or the timeout is noticed within it.
const SLICE: Duration = Duration::from_millis(50);

/// Feeds stdin and reads stdout and stderr until the leader exits and both pipes are at
/// end of file, waking every [`SLICE`] to notice a signal or the timeout. The group may
/// hold the pipes open after the leader exits (a grandchild left running): the pipes then
/// get [`KILL_GRACE`] more, and what the command wrote is kept.
fn pump_until_exit(
    child: &mut Child,
    pipes: &mut Pipes,
    started: Instant,
    timeout: Duration,
) -> Waited {
    // Sleep between checks of a leader whose pipes are all closed: short at first (it is
    // normally exiting), never longer than a slice.
    let mut nap = Duration::from_micros(50);
    let mut looked = Instant::now();
    let (status, exited_at) = loop {
        if let Some(signal) = crate::signals::received() {
            return Waited::Interrupted(signal);
        }
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Waited::TimedOut;
        }
        // While output flows the leader is looked at once a slice only: it normally
        // ends by closing its pipes.
        if pipes.open() && pipes.pump(left.min(SLICE)) && looked.elapsed() < SLICE {
            continue;
        }
        looked = Instant::now();
        match child.try_wait() {
            Ok(Some(status)) => break (status, Instant::now()),
            Ok(None) if !pipes.open() => {
                thread::sleep(nap.min(left));
                nap = (nap * 2).min(SLICE);
            }
            Ok(None) => {}
            Err(e) => return Waited::Exited(Err(e)),
        }
    };
    // The leader is gone: nobody reads stdin any more; what is left in stdout and stderr
    // is read until end of file, or for the grace period while something it started keeps
    // them open. A signal now ends the wait, not the finished command.
    pipes.stdin = None;
    while pipes.open() && crate::signals::received().is_none() {
        let left = KILL_GRACE.saturating_sub(exited_at.elapsed());
        if left.is_zero() {
            break;
        }
        pipes.pump(left.min(SLICE));
    }
    Waited::Exited(Ok(status))
}

/// Bytes read from a pipe at a time (one pipe buffer).
const CHUNK: usize = 64 << 10;

/// The pipes of a running command, served from the calling thread by one `poll` loop:
/// the stdin script written as the command reads it (a command that never reads its
/// stdin cannot block us), stdout and stderr read into bounded [`Capture`]s. No thread per
/// pipe: creating threads cost more CPU than everything else the tool does per command.
struct Pipes {
    stdin: Option<(ChildStdin, Vec<u8>, usize)>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    out: Capture,
    err: Capture,
}

impl Pipes {
    fn new(child: &mut Child, script: Option<&str>) -> Pipes {
        let stdin = match (child.stdin.take(), script) {
            (Some(pipe), Some(script)) if set_nonblocking(&pipe) => {
                Some((pipe, script.as_bytes().to_vec(), 0))
            }
            // A pipe that cannot be made non-blocking is written at once, then closed
            // (the script is small against a pipe buffer).
            (Some(mut pipe), Some(script)) => {
                let _ = pipe.write_all(script.as_bytes());
                None
            }
            _ => None,
        };
        Pipes {
            stdin,
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            out: Capture::default(),
            err: Capture::default(),
        }
    }

    /// Whether a pipe is still open.
    fn open(&self) -> bool {
        self.stdin.is_some() || self.stdout.is_some() || self.stderr.is_some()
    }

    /// Waits up to `wait` for a pipe to be ready, then moves what it can; false when
    /// nothing was ready.
    fn pump(&mut self, wait: Duration) -> bool {
        let timeout = PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX);
        let ready = {
            let mut fds = Vec::with_capacity(3);
            let mut which = Vec::with_capacity(3);
            if let Some((pipe, _, _)) = &self.stdin {
                fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLOUT));
                which.push(Stream::Stdin);
            }
            if let Some(pipe) = &self.stdout {
                fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
                which.push(Stream::Stdout);
            }
            if let Some(pipe) = &self.stderr {
                fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
                which.push(Stream::Stderr);
            }
            match poll(&mut fds, timeout) {
                Ok(n) if n > 0 => fds
                    .iter()
                    .zip(which)
                    .filter(|(fd, _)| fd.any().unwrap_or(true))
                    .map(|(_, stream)| stream)
                    .collect(),
                // Nothing ready, or EINTR (a signal: the caller looks at it).
                _ => Vec::new(),
            }
        };
        let any = !ready.is_empty();
        for stream in ready {
            match stream {
                Stream::Stdin => self.feed(),
                Stream::Stdout => {
                    if !read_into(self.stdout.as_mut(), &mut self.out) {
                        self.stdout = None;
                    }
                }
                Stream::Stderr => {
                    if !read_into(self.stderr.as_mut(), &mut self.err) {
                        self.stderr = None;
                    }
                }
            }
        }
        any
    }

    /// Writes what the stdin pipe takes now; closes it when the script is written or the
    /// command closed its end.
    fn feed(&mut self) {
        let Some((pipe, script, written)) = self.stdin.as_mut() else {
            return;
        };
        loop {
            match pipe.write(&script[*written..]) {
                Ok(0) => break,
                Ok(n) => {
                    *written += n;
                    if *written >= script.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(_) => break,
            }
        }
        self.stdin = None;
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

/// Reads once from a ready pipe into `capture`; false at end of file or on an error.
fn read_into<R: Read>(pipe: Option<&mut R>, capture: &mut Capture) -> bool {
    let Some(pipe) = pipe else { return false };
    let mut chunk = [0u8; CHUNK];
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                capture.push(&chunk[..n]);
                return true;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

fn set_nonblocking(pipe: &ChildStdin) -> bool {
    let fd = pipe.as_raw_fd();
    let Ok(flags) = fcntl(fd, FcntlArg::F_GETFL) else {
        return false;
    };
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(fd, FcntlArg::F_SETFL(flags)).is_ok()
}

/// Bytes of each stream kept from its start and from its end; the middle of a larger
/// answer is dropped and counted (a 300 MB answer must not take 900 MB of memory).
const KEEP_HEAD: usize = 8 << 20;
const KEEP_TAIL: usize = 8 << 20;
/// Bytes of each stream written to the action log, half from the start, half from the end.
pub const LOG_CAP: usize = 64 << 10;

/// What a stream produced so far: its head, its tail, how much was dropped between.
/// Also used by drivers that read a vendor's answer themselves (the ETERNUS CLI session).
#[derive(Debug, Default)]
pub struct Capture {
    head: Vec<u8>,
    tail: Vec<u8>,
    dropped: u64,
}

impl Capture {
    pub fn push(&mut self, chunk: &[u8]) {
        let room = KEEP_HEAD.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..room]);
        self.tail.extend_from_slice(&chunk[room..]);
        if self.tail.len() > 2 * KEEP_TAIL {
            let cut = self.tail.len() - KEEP_TAIL;
            self.tail.drain(..cut);
            self.dropped += cut as u64;
        }
    }

    /// Whether the bytes received so far end with `suffix` (a prompt that ends an answer).
    pub fn ends_with(&self, suffix: &[u8]) -> bool {
        let from_tail = suffix.len().min(self.tail.len());
        let (rest, last) = suffix.split_at(suffix.len() - from_tail);
        self.tail.ends_with(last) && (rest.is_empty() || self.head.ends_with(rest))
    }

    /// [`Capture::text`], without copying the output when nothing was dropped (a
    /// 1,024-device SYMCLI answer is half a megabyte).
    pub fn into_text(self) -> String {
        if self.dropped > 0 || !self.tail.is_empty() {
            return self.text();
        }
        String::from_utf8(self.head)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The head, a line saying how many bytes were dropped (if any), and the tail.
    pub fn text(&self) -> String {
        let cut = self.tail.len().saturating_sub(KEEP_TAIL);
        let dropped = self.dropped + cut as u64;
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if dropped > 0 {
            text.push_str(&format!(
                "\n[... {dropped} bytes of output dropped (kept the first and last {} MiB) ...]\n",
                KEEP_TAIL >> 20
            ));
        }
        text.push_str(&String::from_utf8_lossy(&self.tail[cut..]));
        text
    }
}

/// At most [`LOG_CAP`] bytes of `text` for the log: its start and end, with the size of
/// what was left out, cut on character boundaries.
pub fn cap_for_log(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= LOG_CAP {
        return std::borrow::Cow::Borrowed(text);
    }
    let half = LOG_CAP / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}\n[... {} bytes not logged ...]\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    ))
}

/// SIGTERM the group, give the leader a grace period, then SIGKILL the group (also when
/// the leader went at TERM: nothing it started may linger), and reap the leader.
fn kill_group(pid: Pid, child: &mut Child) {
    let _ = killpg(pid, Signal::SIGTERM);
    let _ = reap_within(child, KILL_GRACE);
    let _ = killpg(pid, Signal::SIGKILL);
    let _ = reap_within(child, KILL_GRACE);
}

/// Waits up to `grace` for the leader to exit, polling its status.
fn reap_within(child: &mut Child, grace: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + grace;
    let mut nap = Duration::from_millis(1);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        thread::sleep(nap.min(left));
        nap = (nap * 2).min(SLICE);
    }
}

/// The environment given to vendor processes: a fixed list, whatever the caller had, so a
/// command behaves the same from a shell, cron or a service hook; plus what the node
/// settings add (`[vendor] pass_env`, `set_env`). Computed once the settings are
/// installed, then reused: the process's environment does not change during a run, and
/// walking it cost a measurable part of each vendor command.
pub fn passed_environment() -> Vec<(String, String)> {
    static ONCE_SETTLED: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    if let Some(env) = ONCE_SETTLED.get() {
        return env.clone();
    }
    let env = environment_now();
    if crate::settings::installed() {
        let _ = ONCE_SETTLED.set(env.clone());
    }
    env
}

fn environment_now() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(key, _)| {
            PASSED_ENV.contains(&key.as_str())
                || PASSED_ENV_PREFIXES.iter().any(|p| key.starts_with(p))
        })
        .collect();
    env.extend(crate::settings::current().vendor_env(std::env::vars()));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> Logger {
        Logger::stderr_only("test", Level::Error)
    }

    fn sh(script: &str, timeout: Duration) -> VendorCommand {
        VendorCommand::new("/bin/sh", vec!["-c".into(), script.into()], timeout)
    }

    #[test]
    fn a_capture_becomes_its_text_whole_or_cut() {
        let mut whole = Capture::default();
        whole.push(b"caf\xc3\xa9 ");
        whole.push(b"ok \xff");
        assert_eq!(whole.text(), "caf\u{e9} ok \u{fffd}");
        assert_eq!(whole.into_text(), "caf\u{e9} ok \u{fffd}");
        let mut cut = Capture::default();
        cut.push(&vec![b'a'; KEEP_HEAD + 3 * KEEP_TAIL]);
        let text = cut.text();
        assert!(text.contains("bytes of output dropped"));
        assert_eq!(cut.into_text(), text);
    }

    #[test]
    fn captures_stdout_stderr_and_code() {
        let out = Runner::default()
            .run_status(
                &quiet(),
                &sh("echo out; echo err >&2; exit 3", Duration::from_secs(10)),
            )
            .expect("runs");
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (3, "out\n", "err\n")
        );
    }

    #[test]
    fn feeds_stdin_and_strips_prompts() {
        let cmd = VendorCommand::new("/bin/cat", vec![], Duration::from_secs(10))
            .stdin("dscli> lsflash\n")
            .strip("dscli>");
        let out = Runner::default().run(&quiet(), &cmd).expect("runs");
        assert_eq!(out.stdout, " lsflash\n");
    }

    #[test]
    fn a_script_larger_than_a_pipe_buffer_is_fed_whole_while_output_is_read() {
        // cat echoes as it reads: neither side may wait for the other to finish.
        let script: String = (0..40_000).map(|i| format!("line {i}\n")).collect();
        let cmd = VendorCommand::new("/bin/cat", vec![], Duration::from_secs(20)).stdin(&*script);
        let out = Runner::default().run(&quiet(), &cmd).expect("runs");
        assert_eq!(out.stdout.len(), script.len());
        assert!(out.stdout.ends_with("line 39999\n"));
    }

    #[test]
    fn a_command_that_never_reads_its_stdin_does_not_block_the_runner() {
        // It fills its stdout pipe while ours to its stdin is full: a runner that writes
        // the whole script before reading would wait for it until the timeout.
        let script = "x".repeat(1 << 20);
        let answer = "head -c 300000 /dev/zero | tr '\\0' a; echo; echo done";
        let cmd = sh(answer, Duration::from_secs(20)).stdin(script);
        let started = Instant::now();
        let out = Runner::default().run(&quiet(), &cmd).expect("runs");
        assert!(out.stdout.ends_with("a\ndone\n"), "{}", out.stdout.len());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("grandchild-survived");
        let script = format!("(sleep 3; touch {}) & sleep 60", marker.display());
        let started = Instant::now();
        let err = Runner::default()
            .run(&quiet(), &sh(&script, Duration::from_millis(300)))
            .unwrap_err();
        assert!(matches!(err, CommandError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        thread::sleep(Duration::from_secs(4));
        assert!(!marker.exists(), "a grandchild outlived the timeout");
    }

    #[test]
    fn huge_output_keeps_head_and_tail_and_says_what_was_dropped() {
        let script = "head -c 30000000 /dev/zero | tr '\\0' a; echo; echo THE-END";
        let out = Runner::default()
            .run(&quiet(), &sh(script, Duration::from_secs(60)))
            .expect("runs");
        assert!(
            out.stdout.len() < KEEP_HEAD + KEEP_TAIL + 200,
            "{}",
            out.stdout.len()
        );
        assert!(out.stdout.contains("bytes of output dropped"));
        assert!(out.stdout.trim_end().ends_with("THE-END"));
        let logged = cap_for_log(&out.stdout);
        assert!(logged.len() < LOG_CAP + 100 && logged.contains("bytes not logged"));
    }

    #[test]
    fn output_is_kept_when_a_grandchild_holds_stdout_open() {
        let out = Runner::default()
            .run(
                &quiet(),
                &sh("echo real answer; (sleep 4) &", Duration::from_secs(20)),
            )
            .expect("runs");
        assert_eq!(out.stdout, "real answer\n");
    }

    #[test]
    fn missing_program_is_not_found() {
        let err = Runner::default()
            .run(
                &quiet(),
                &VendorCommand::new("/nonexistent/dscli", vec![], Duration::from_secs(1)),
            )
            .unwrap_err();
        assert!(matches!(err, CommandError::NotFound { .. }), "{err}");
    }

    #[test]
    fn display_line_puts_the_script_before_the_pipe() {
        let cmd = VendorCommand::new(
            "/opt/ibm/dscli/dscli",
            vec!["-hmc1".into(), "10.10.10.10".into()],
            Duration::from_secs(1),
        )
        .stdin("resyncflash -dev IBM.X 0001:0002\n");
        assert_eq!(
            cmd.display_line(),
            "resyncflash -dev IBM.X 0001:0002 | /opt/ibm/dscli/dscli -hmc1 10.10.10.10"
        );
    }

    #[test]
    fn dry_run_does_not_execute_action_commands() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("ran");
        let runner = Runner { dry_run: true };
        runner
            .run(
                &quiet(),
                &sh(
                    &format!("touch {}", marker.display()),
                    Duration::from_secs(5),
                ),
            )
            .expect("dry run");
        assert!(!marker.exists());
    }
}
