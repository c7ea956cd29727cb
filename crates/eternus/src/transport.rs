//! The CLI transport: ONE process (ssh, or the configured command prefix) per command run,
//! commands written one per line on its stdin, each answer read up to the next `CLI> `
//! prompt. A command answered `Error: E0060 Resource locked` is retried in the same
//! session with backoff. Every command line is logged before it is sent (queries at
//! DEBUG, state changes at INFO), as `<command> | <program argv>`.

use crate::array::ArrayConf;
use crate::cli;
use crate::error::{EternusError, Result};
use crate::parse;
use arraysync_core::log::Logger;
use arraysync_core::runner::{cap_for_log, passed_environment, Capture, VendorBusy};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How the session behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Limit for opening the session and for each answer.
    pub timeout: Duration,
    /// Retries of a command answered with E0060.
    pub locked_retries: u32,
    /// First delay between retries (doubled each time).
    pub locked_delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        let delay_ms = std::env::var("ARRAYSYNC_ETERNUS_RETRY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500);
        Options {
            timeout: Duration::from_secs(300),
            locked_retries: 3,
            locked_delay: Duration::from_millis(delay_ms),
        }
    }
}

/// Whether a command changes the array (logged at INFO) or only reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Action,
}

/// One command's answer: the lines between the echo and the next prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub lines: Vec<String>,
}

impl Reply {
    pub fn error(&self) -> Option<(String, String)> {
        parse::error_line(&self.lines)
    }
}

/// An open CLI session on one array.
pub struct Session {
    array: String,
    display: String,
    child: Option<Child>,
    pid: Pid,
    stdin: Option<ChildStdin>,
    out: Receiver<Vec<u8>>,
    err: Arc<Mutex<Capture>>,
    /// The answer read so far, bounded like every vendor output (issue 8 item 5).
    buffer: Capture,
    options: Options,
    log: Logger,
}

impl Session {
    /// Starts the session process and waits for the first prompt.
    pub fn open(array: &ArrayConf, log: &Logger, options: Options) -> Result<Session> {
        let (program, args) = array.argv();
        let display = std::iter::once(program.display().to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = Command::new(&program);
        command
            .args(&args)
            .env_clear()
            .envs(passed_environment())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(signal) = arraysync_core::signals::received() {
            return Err(EternusError::Transport {
                array: array.name.clone(),
                message: format!(
                    "interrupted by signal {}: CLI session not started",
                    arraysync_core::signals::name(signal)
                ),
            });
        }
        let busy = VendorBusy::start();
        let mut child = command.spawn().map_err(|e| EternusError::Transport {
            array: array.name.clone(),
            message: format!("{}: cannot run: {e}", program.display()),
        })?;
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let stdin = child.stdin.take();
        let out = chunks(child.stdout.take());
        let err = Arc::new(Mutex::new(Capture::default()));
        collect(child.stderr.take(), Arc::clone(&err));
        let mut session = Session {
            array: array.name.clone(),
            display,
            child: Some(child),
            pid,
            stdin,
            out,
            err,
            buffer: Capture::default(),
            options,
            log: log.clone(),
        };
        let greeting = session.read_answer("(session start)");
        drop(busy);
        greeting?;
        Ok(session)
    }

    pub fn array(&self) -> &str {
        &self.array
    }

    /// Sends one command; retries it while the array answers E0060; an `Error:` answer is
    /// [`EternusError::Array`].
    pub fn call(&mut self, command: &str, kind: Kind) -> Result<Reply> {
        let mut attempt = 0;
        loop {
            let reply = self.send(command, kind)?;
            match reply.error() {
                None => {
                    if kind == Kind::Action && !reply.lines.iter().all(|l| l.trim().is_empty()) {
                        // The array confirms an action with the bare prompt and refuses it
                        // with an `Error:` line (vendor-cli.md §4): anything else is not a
                        // confirmation (issue 8).
                        let text = reply.lines.join("\n");
                        self.log.info(&cap_for_log(text.trim_end()));
                        return Err(self.failure(format!(
                            "unrecognised answer to '{command}' (neither the bare prompt nor an \
                             Error line): {:?}; check the copy sessions on the array before rerunning",
                            cap_for_log(text.trim())
                        )));
                    }
                    return Ok(reply);
                }
                Some((code, message))
                    if code == cli::RESOURCE_LOCKED && attempt < self.options.locked_retries =>
                {
                    // Jittered, so hosts on the same cron minute do not retry in lockstep.
                    let delay = arraysync_core::poll::Backoff::new(
                        self.options.locked_delay,
                        self.options.locked_delay.saturating_mul(1 << 10),
                    )
                    .jittered(attempt);
                    self.log.warning(&format!(
                        "{}: {code} {message}; retrying '{command}' in {} ms",
                        self.array,
                        delay.as_millis()
                    ));
                    thread::sleep(delay);
                    attempt += 1;
                }
                Some((code, message)) => {
                    self.log.warning(&format!(
                        "{}: {command}: Error: {code} {message}",
                        self.array
                    ));
                    return Err(EternusError::Array {
                        array: self.array.clone(),
                        command: command.to_string(),
                        code,
                        message,
                    });
                }
            }
        }
    }

    fn send(&mut self, command: &str, kind: Kind) -> Result<Reply> {
        let line = format!("{command} | {}", self.display);
        match kind {
            Kind::Query => self.log.debug(&line),
            Kind::Action => self.log.info(&line),
        }
        let _busy = VendorBusy::start();
        self.exchange(command)
    }

    fn exchange(&mut self, command: &str) -> Result<Reply> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.failure("session already closed".into()));
        };
        if let Err(e) = stdin
            .write_all(format!("{command}\n").as_bytes())
            .and_then(|_| stdin.flush())
        {
            let message = format!("cannot send '{command}': {e}{}", self.stderr_suffix());
            return Err(self.failure(message));
        }
        let text = self.read_answer(command)?;
        let mut lines: Vec<String> = text
            .split('\n')
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        // The CLI echoes the command line first.
        if let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) {
            if lines[first].trim() == command.trim() {
                lines.drain(..=first);
            }
        }
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        Ok(Reply { lines })
    }

    /// Reads up to the next prompt; returns the text before it.
    fn read_answer(&mut self, what: &str) -> Result<String> {
        let deadline = Instant::now() + self.options.timeout;
        loop {
            if self.buffer.ends_with(cli::PROMPT.as_bytes()) {
                // Cut in place: an answer of 10,000 rows is 2 MB, not worth a second copy.
                let mut text = std::mem::take(&mut self.buffer).into_text();
                if text.ends_with(cli::PROMPT) {
                    text.truncate(text.len() - cli::PROMPT.len());
                }
                return Ok(text);
            }
            match next_output(&self.out, deadline) {
                Output::Some(chunk) => self.buffer.push(&chunk),
                Output::Signal(signal) => {
                    // Ctrl-C, SIGTERM, SIGHUP: end the session's process group before leaving.
                    self.kill();
                    return Err(self.failure(format!(
                        "interrupted by signal {} while waiting for the answer to '{what}' (the CLI session was ended)",
                        arraysync_core::signals::name(signal)
                    )));
                }
                Output::TimedOut => {
                    self.kill();
                    return Err(EternusError::Timeout {
                        array: self.array.clone(),
                        program: self
                            .display
                            .split_whitespace()
                            .next()
                            .unwrap_or("cli")
                            .to_string(),
                        seconds: self.options.timeout.as_secs(),
                        waiting_for: what.to_string(),
                    });
                }
                Output::Ended => {
                    let _ = self.child.as_mut().map(Child::wait);
                    let partial = cap_for_log(self.buffer.text().trim()).into_owned();
                    let message = format!(
                        "the CLI session ended while waiting for the answer to '{what}'{}{}",
                        if partial.is_empty() {
                            String::new()
                        } else {
                            format!(" (got {partial:?})")
                        },
                        self.stderr_suffix()
                    );
                    return Err(self.failure(message));
                }
            }
        }
    }

    fn stderr_suffix(&self) -> String {
        stderr_suffix(&self.err)
    }

    fn failure(&self, message: String) -> EternusError {
        EternusError::Transport {
            array: self.array.clone(),
            message,
        }
    }

    fn kill(&mut self) {
        crate::transport::kill_session(self.pid, &mut self.child, &mut self.stdin);
    }

    /// Ends the session with `exit` and reaps the process (killed if it lingers).
    pub fn close(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        let _busy = VendorBusy::start();
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(format!("{}\n", cli::EXIT).as_bytes());
        }
        if let Some(child) = self.child.take() {
            reap_or_kill(child, self.pid);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.finish();
        }
    }
}

/// Waits up to 5 s for a session process told to end, then kills its process group: a
/// session (CLI or far server) that lingers must not outlive the command.
pub(crate) fn reap_or_kill(mut child: Child, pid: Pid) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) if Instant::now() >= deadline => {
                let _ = killpg(pid, Signal::SIGKILL);
                let _ = child.wait();
                return;
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
        }
    }
}

fn chunks<R: Read + Send + 'static>(pipe: Option<R>) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Some(mut pipe) = pipe else { return };
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send(buffer[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// What waiting on a session's output gave.
pub(crate) enum Output<T> {
    /// The next piece of output.
    Some(T),
    /// A signal arrived (its number): the caller ends the session.
    Signal(i32),
    /// Nothing came before the deadline.
    TimedOut,
    /// The session closed its output.
    Ended,
}

/// Waits for the next piece of a session's output until `deadline`, looking for a signal
/// (Ctrl-C, SIGTERM, SIGHUP) every 50 ms meanwhile, and before the first wait.
pub(crate) fn next_output<T>(output: &Receiver<T>, deadline: Instant) -> Output<T> {
    loop {
        if let Some(signal) = arraysync_core::signals::received() {
            return Output::Signal(signal);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        match output.recv_timeout(remaining.min(Duration::from_millis(50))) {
            Ok(piece) => return Output::Some(piece),
            Err(RecvTimeoutError::Timeout) if !remaining.is_zero() => {}
            Err(RecvTimeoutError::Timeout) => return Output::TimedOut,
            Err(RecvTimeoutError::Disconnected) => return Output::Ended,
        }
    }
}

/// Ends a session at once: its process group gets SIGTERM, then SIGKILL 100 ms later
/// (whatever the session started goes with it), and the leader is reaped.
pub(crate) fn kill_session(pid: Pid, child: &mut Option<Child>, stdin: &mut Option<ChildStdin>) {
    let _ = killpg(pid, Signal::SIGTERM);
    thread::sleep(Duration::from_millis(100));
    let _ = killpg(pid, Signal::SIGKILL);
    if let Some(mut child) = child.take() {
        let _ = child.wait();
    }
    *stdin = None;
}

/// `: <what the session printed on stderr>` for an error message, or nothing. ssh prints
/// its reason just before exiting: the stderr reader is given a moment first.
pub(crate) fn stderr_suffix(err: &Mutex<Capture>) -> String {
    thread::sleep(Duration::from_millis(20));
    let text = err
        .lock()
        .map(|e| cap_for_log(e.text().trim()).into_owned())
        .unwrap_or_default();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// Appends everything a pipe yields to `into` (a session's stderr, kept for errors).
pub(crate) fn collect<R: Read + Send + 'static>(pipe: Option<R>, into: Arc<Mutex<Capture>>) {
    thread::spawn(move || {
        let Some(mut pipe) = pipe else { return };
        let mut buffer = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                return;
            }
            if let Ok(mut all) = into.lock() {
                all.push(&buffer[..n]);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Access;
    use arraysync_core::log::Level;

    /// A fake CLI in sh: a prompt, echo, canned answers, E0060 once for `start`.
    const FAKE: &str = r#"
printf '\r\nCLI> '
locked=0
while IFS= read -r line; do
  case "$line" in
    exit) exit 0;;
    "show boxid") printf '%s\r\nBox ID [BOX1]\r\nCLI> ' "$line";;
    "start garbled"*) printf '%s\r\nsomething unexpected\r\nCLI> ' "$line";;
    start*) if [ $locked = 0 ]; then locked=1; printf '%s\r\nError: E0060 Resource locked\r\nCLI> ' "$line";
            else printf '%s\r\nCLI> ' "$line"; fi;;
    hang) sleep 30;;
    "show huge") printf '%s\r\nfirst line\r\n' "$line"; head -c 20000000 /dev/zero | tr '\0' 'x';
                 printf '\r\nlast line\r\nCLI> ';;
    *) printf '%s\r\nError: E0001 Bad value\r\nCLI> ' "$line";;
  esac
done
"#;

    fn fake() -> ArrayConf {
        ArrayConf {
            name: "DX1".into(),
            access: Access::Prefix {
                program: "/bin/sh".into(),
                args: vec!["-c".into(), FAKE.into()],
            },
        }
    }

    fn options() -> Options {
        Options {
            timeout: Duration::from_secs(2),
            locked_retries: 2,
            locked_delay: Duration::from_millis(10),
        }
    }

    #[test]
    fn one_session_answers_several_commands_and_retries_locked() {
        let log = Logger::stderr_only("test", Level::Error);
        let mut session = Session::open(&fake(), &log, options()).expect("opens");
        let reply = session.call("show boxid", Kind::Query).expect("boxid");
        assert_eq!(reply.lines, vec!["Box ID [BOX1]".to_string()]);
        session
            .call("start advanced-copy -mode opc", Kind::Action)
            .expect("retried");
        let err = session.call("bogus", Kind::Query).unwrap_err();
        assert!(
            matches!(err, EternusError::Array { ref code, .. } if code == "E0001"),
            "{err}"
        );
        session.close();
    }

    #[test]
    fn an_action_answered_with_anything_but_the_prompt_is_not_confirmed() {
        let log = Logger::stderr_only("test", Level::Error);
        let mut session = Session::open(&fake(), &log, options()).expect("opens");
        let err = session
            .call("start garbled advanced-copy", Kind::Action)
            .unwrap_err();
        assert!(err.to_string().contains("unrecognised answer"), "{err}");
        session.close();
    }

    #[test]
    fn a_huge_answer_keeps_its_head_and_tail_and_says_what_was_dropped() {
        let log = Logger::stderr_only("test", Level::Error);
        let options = Options {
            timeout: Duration::from_secs(60),
            ..options()
        };
        let mut session = Session::open(&fake(), &log, options).expect("opens");
        let reply = session.call("show huge", Kind::Query).expect("answer");
        let size: usize = reply.lines.iter().map(String::len).sum();
        assert!(size < 17 << 20, "{size} bytes kept of a 20 MB answer");
        assert_eq!(reply.lines.first().map(String::as_str), Some("first line"));
        assert_eq!(reply.lines.last().map(String::as_str), Some("last line"));
        assert!(
            reply
                .lines
                .iter()
                .any(|l| l.contains("bytes of output dropped")),
            "the cut is not said"
        );
        // The session goes on after the cut answer.
        let reply = session.call("show boxid", Kind::Query).expect("boxid");
        assert_eq!(reply.lines, vec!["Box ID [BOX1]".to_string()]);
        session.close();
    }

    #[test]
    fn hung_cli_is_killed_at_the_timeout() {
        let log = Logger::stderr_only("test", Level::Error);
        let mut session = Session::open(
            &fake(),
            &log,
            Options {
                timeout: Duration::from_millis(300),
                ..options()
            },
        )
        .expect("opens");
        let started = Instant::now();
        let err = session.call("hang", Kind::Query).unwrap_err();
        assert!(matches!(err, EternusError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn next_output_gives_what_came_then_the_deadline_then_the_end() {
        let (tx, rx) = mpsc::channel();
        tx.send(1).expect("send");
        let past = Instant::now();
        assert!(matches!(next_output(&rx, past), Output::Some(1)));
        assert!(matches!(next_output(&rx, past), Output::TimedOut));
        drop(tx);
        let later = Instant::now() + Duration::from_secs(5);
        assert!(matches!(next_output(&rx, later), Output::Ended));
    }

    #[test]
    fn dead_cli_reports_its_stderr() {
        let log = Logger::stderr_only("test", Level::Error);
        let array = ArrayConf {
            name: "DX1".into(),
            access: Access::Prefix {
                program: "/bin/sh".into(),
                args: vec![
                    "-c".into(),
                    "echo 'Permission denied (publickey)' >&2; exit 255".into(),
                ],
            },
        };
        let err = Session::open(&array, &log, options()).err().expect("fails");
        assert!(err.to_string().contains("Permission denied"), "{err}");
    }
}
