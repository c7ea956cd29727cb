//! Runs vendor commands: argv only (never a shell), an optional stdin script, a timeout
//! that kills the whole process group, stdout and stderr captured, every mutating command
//! logged before it runs in the seed 000 form (`<stdin script> | <argv>`).

use crate::error::CommandError;
use crate::log::Logger;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
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
        let line = command.display_line();
        match command.logging {
            Logging::Action => log.info(&line),
            Logging::Query => log.debug(&line),
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
    if let (Some(script), Some(mut stdin)) = (command.stdin.clone(), child.stdin.take()) {
        // A writer thread: a child that does not read its stdin must not block us.
        thread::spawn(move || {
            let _ = stdin.write_all(script.as_bytes());
        });
    }
    let (stdout, stdout_done) = reader(child.stdout.take());
    let (stderr, stderr_done) = reader(child.stderr.take());
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let status = match wait_child(&done_rx, started, command.timeout) {
        Waited::Exited(Ok(status)) => status,
        Waited::Exited(Err(e)) => {
            return Err(CommandError::Spawn {
                program,
                reason: e.to_string(),
            })
        }
        Waited::TimedOut => {
            kill_group(pid, &done_rx);
            return Err(CommandError::Timeout {
                program,
                seconds: command.timeout.as_secs(),
            });
        }
        Waited::Interrupted(signal) => {
            kill_group(pid, &done_rx);
            return Err(CommandError::Interrupted {
                program,
                signal,
                started: true,
            });
        }
    };
    let elapsed = started.elapsed();
    // The group may hold the pipes open after the leader exits (a grandchild left
    // running): wait a grace period for the end, then keep what the command wrote.
    let _ = stdout_done.recv_timeout(KILL_GRACE);
    let _ = stderr_done.recv_timeout(KILL_GRACE);
    let stdout = snapshot(&stdout);
    let stderr = snapshot(&stderr);
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => return Err(CommandError::Signal { program, signal }),
        (None, None) => -1,
    };
    Ok(Output {
        code,
        stdout,
        stderr,
        elapsed,
    })
}

enum Waited {
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
    Interrupted(i32),
}

/// Waits for the child until `timeout`, waking every few milliseconds to notice a signal.
fn wait_child(
    done: &mpsc::Receiver<std::io::Result<std::process::ExitStatus>>,
    started: Instant,
    timeout: Duration,
) -> Waited {
    const SLICE: Duration = Duration::from_millis(50);
    loop {
        if let Some(signal) = crate::signals::received() {
            return Waited::Interrupted(signal);
        }
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Waited::TimedOut;
        }
        match done.recv_timeout(left.min(SLICE)) {
            Ok(result) => return Waited::Exited(result),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Waited::Exited(Err(std::io::Error::other("wait thread ended")))
            }
        }
    }
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

type Shared = std::sync::Arc<std::sync::Mutex<Capture>>;

/// Reads a pipe into a bounded [`Capture`]; the receiver gets `()` at end of file.
fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> (Shared, mpsc::Receiver<()>) {
    let capture = Shared::default();
    let (tx, rx) = mpsc::channel();
    let into = std::sync::Arc::clone(&capture);
    thread::spawn(move || {
        if let Some(mut pipe) = pipe {
            let mut chunk = vec![0u8; 64 << 10];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Ok(mut c) = into.lock() {
                            c.push(&chunk[..n]);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = tx.send(());
    });
    (capture, rx)
}

fn snapshot(capture: &Shared) -> String {
    capture.lock().map(|c| c.text()).unwrap_or_default()
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

/// SIGTERM the group, give it a grace period, then SIGKILL.
fn kill_group(pid: Pid, done: &mpsc::Receiver<std::io::Result<std::process::ExitStatus>>) {
    let _ = killpg(pid, Signal::SIGTERM);
    if done.recv_timeout(KILL_GRACE).is_err() {
        let _ = killpg(pid, Signal::SIGKILL);
        let _ = done.recv_timeout(KILL_GRACE);
    } else {
        // The leader is gone; make sure nothing it started lingers.
        let _ = killpg(pid, Signal::SIGKILL);
    }
}

/// The environment given to vendor processes: a fixed list, whatever the caller had, so a
/// command behaves the same from a shell, cron or a service hook; plus what the node
/// settings add (`[vendor] pass_env`, `set_env`).
pub fn passed_environment() -> Vec<(String, String)> {
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
    use crate::log::Level;

    fn quiet() -> Logger {
        Logger::stderr_only("test", Level::Error)
    }

    fn sh(script: &str, timeout: Duration) -> VendorCommand {
        VendorCommand::new("/bin/sh", vec!["-c".into(), script.into()], timeout)
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
