//! Sessions to other Managed Servers: ONE process per server per command run (`ssh -T -o
//! BatchMode=yes ... AGENT`, or the server's command prefix), speaking a line-delimited
//! JSON protocol on its stdin/stdout with the remote agent (`swsrp-remote`), which runs on
//! the far server under its own root: device lookup (its devices file), the pre/post
//! scripts of the volumes it owns (Appendix C), its own pair list (registration), and
//! the ACM commands `-h` sends there.
//!
//! One request line, one answer line:
//!
//! ```text
//! {"op":"hello"}                                   -> {"ok":true,"server":"TARG-SV","protocol":1}
//! {"op":"lookup","devices":["/dev/vg02"]}          -> {"ok":true,"devices":[{"device":..,"array":..,"number":..}]}
//! {"op":"script","script":"RepDst.pre","device":"/dev/vg02"} -> {"ok":true} | {"ok":false,"code":99,..}
//! {"op":"command","argv":["swsrpstat","-L"]}       -> {"ok":true,"code":0,"stdout":..,"stderr":..}
//! {"op":"register","pair":{..}}                    -> {"ok":true} | {"ok":false,"refusal":"already-registered",..}
//! {"op":"unregister","orig":"/dev/vg01@SRC-SV","rep":"/dev/vg02@TARG-SV"} -> {"ok":true}
//! {"op":"bye"}                                     -> (the agent exits)
//! ```
//!
//! The session is opened and greeted before the array changes (check first, then act), and
//! stays open across pre-processing, the array action and post-processing. Every answer has
//! the server's timeout; on expiry the session's process group is killed. Anything that is
//! not a protocol line (a login banner, a shell error, garbage) ends the session with an
//! error naming the server and quoting what came.

use crate::device::{self, Volume};
use crate::error::{EternusError, Result};
use crate::replication::Engine;
use crate::repo::{CopyDirection, OpServer, Pair};
use crate::scripts::{self, Script};
use crate::servers::{Server, ServerTable};
use crate::transport::{collect, next_output, reap_or_kill, Options, Output};
use arraysync_core::log::Logger;
use arraysync_core::runner::{cap_for_log, passed_environment, Capture, VendorBusy};
use arraysync_core::Paths;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The protocol version both ends speak.
pub const PROTOCOL: u32 = 1;
/// The longest answer line read (a command's whole output fits; garbage does not grow).
const MAX_LINE: u64 = 16 * 1024 * 1024;

/// One request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Request {
    Hello,
    Lookup {
        devices: Vec<String>,
    },
    Script {
        script: String,
        device: String,
    },
    Command {
        argv: Vec<String>,
    },
    /// Add a pair to that server's list (swsrpsetvol of an inter-server pair).
    Register {
        pair: Box<WirePair>,
    },
    /// Remove a pair from that server's list (swsrpdelvol without `-d`).
    Unregister {
        orig: String,
        rep: String,
    },
    Bye,
}

/// A volume of a pair, as both lists keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireVolume {
    pub server: String,
    pub device: String,
    pub array: String,
    pub box_id: String,
    pub number: u32,
    pub size: u64,
}

/// A pair's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePair {
    pub orig: WireVolume,
    pub rep: WireVolume,
    /// `bi-direction` | `uni-direction`
    pub copy: String,
    /// `original` | `replica` | `both`
    pub op_server: String,
    #[serde(default)]
    pub group: Option<String>,
}

impl WirePair {
    pub fn from_pair(pair: &Pair) -> WirePair {
        let volume = |v: &Volume| WireVolume {
            server: v.server.clone(),
            device: v.device.clone(),
            array: v.array.clone(),
            box_id: v.box_id.clone(),
            number: v.number,
            size: v.size,
        };
        WirePair {
            orig: volume(&pair.orig),
            rep: volume(&pair.rep),
            copy: pair.copy.as_str().to_string(),
            op_server: pair.op_server.as_str().to_string(),
            group: pair.group.clone(),
        }
    }

    /// The pair, refusing values that are not names (the answer of a peer is input too).
    pub fn to_pair(&self) -> std::result::Result<Pair, String> {
        let volume = |v: &WireVolume| {
            if !device::valid_device(&v.device)
                || !device::valid_server_name(&v.server)
                || !crate::array::valid_array_name(&v.array)
            {
                return Err(format!("{}@{}: not a volume name", v.device, v.server));
            }
            Ok(Volume {
                server: v.server.clone(),
                device: v.device.clone(),
                array: v.array.clone(),
                box_id: v.box_id.clone(),
                number: v.number,
                size: v.size,
            })
        };
        let copy = match self.copy.as_str() {
            "bi-direction" => CopyDirection::Bidirectional,
            "uni-direction" => CopyDirection::Unidirectional,
            other => return Err(format!("'{other}' is not a copy direction")),
        };
        let op_server = match self.op_server.as_str() {
            "original" => OpServer::Original,
            "replica" => OpServer::Replica,
            "both" => OpServer::Both,
            other => return Err(format!("'{other}' is not an operation server")),
        };
        if let Some(group) = &self.group {
            if !crate::replication::valid_group_name(group) {
                return Err(format!("'{group}' is not a group name"));
            }
        }
        Ok(Pair {
            id: 0,
            orig: volume(&self.orig)?,
            rep: volume(&self.rep)?,
            copy,
            op_server,
            group: self.group.clone(),
            last_made: None,
        })
    }
}

/// One device of the far server's devices file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEntry {
    pub device: String,
    pub array: String,
    pub number: u32,
}

/// One answer; fields a request does not use stay at their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
    /// A script's or command's exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceEntry>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Why a request was refused, when the refusal is the manual's (not a failure to
    /// talk): `already-registered` or `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

impl Response {
    fn failed(message: impl Into<String>) -> Response {
        Response {
            error: Some(message.into()),
            ..Default::default()
        }
    }

    /// The answer to a repository change: done, refused as the manual refuses, or failed.
    fn of(result: Result<()>) -> Response {
        match result {
            Ok(()) => Response {
                ok: true,
                ..Default::default()
            },
            Err(e) => {
                let refusal = match &e {
                    EternusError::AlreadyRegistered(_) => Some("already-registered"),
                    EternusError::Refused(_) | EternusError::NoGroup(_) => Some("refused"),
                    _ => None,
                };
                Response {
                    error: Some(e.to_string()),
                    refusal: refusal.map(str::to_string),
                    ..Default::default()
                }
            }
        }
    }
}

/// What a forwarded command printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

// ----- client --------------------------------------------------------------------------

/// An open session to one Managed Server.
pub struct RemoteSession {
    server: Server,
    child: Option<Child>,
    pid: Pid,
    stdin: Option<ChildStdin>,
    lines: Receiver<Vec<u8>>,
    err: Arc<Mutex<Capture>>,
    log: Logger,
}

fn server_error(server: &str, message: impl Into<String>) -> EternusError {
    EternusError::Server {
        server: server.to_string(),
        message: message.into(),
    }
}

impl RemoteSession {
    /// Starts the session process and checks the agent's greeting: the far end must name
    /// itself as `server`.
    pub fn open(server: &Server, log: &Logger) -> Result<RemoteSession> {
        let (program, args) = server.argv();
        let display = std::iter::once(program.display().to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(signal) = arraysync_core::signals::received() {
            return Err(server_error(
                &server.name,
                format!(
                    "interrupted by signal {}: session not started",
                    arraysync_core::signals::name(signal)
                ),
            ));
        }
        log.info(&format!(
            "session to Managed Server {}: {display}",
            server.name
        ));
        let mut command = Command::new(&program);
        command
            .args(&args)
            .env_clear()
            .envs(passed_environment())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().map_err(|e| {
            server_error(
                &server.name,
                format!("{}: cannot run: {e}", program.display()),
            )
        })?;
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let stdin = child.stdin.take();
        let lines = read_lines(child.stdout.take());
        let err = Arc::new(Mutex::new(Capture::default()));
        collect(child.stderr.take(), Arc::clone(&err));
        let mut session = RemoteSession {
            server: server.clone(),
            child: Some(child),
            pid,
            stdin,
            lines,
            err,
            log: log.clone(),
        };
        let hello = session.ask(&Request::Hello)?;
        match (hello.server.as_deref(), hello.protocol) {
            (Some(name), Some(PROTOCOL)) if name == server.name => Ok(session),
            (Some(name), Some(PROTOCOL)) => Err(session.fail(format!(
                "the agent there calls itself '{name}' (check {} and its swnode.ini)",
                crate::servers::SERVERS_FILE
            ))),
            (_, protocol) => Err(session.fail(format!(
                "the agent speaks protocol {protocol:?}, this one {PROTOCOL}"
            ))),
        }
    }

    pub fn server(&self) -> &str {
        &self.server.name
    }

    /// The far server's devices file entries for `devices` (those it maps).
    pub fn lookup(&mut self, devices: &[String]) -> Result<Vec<DeviceEntry>> {
        let answer = self.ask(&Request::Lookup {
            devices: devices.to_vec(),
        })?;
        Ok(answer.devices)
    }

    /// Runs one pre/post script on the far server; a non-zero exit is the same error as a
    /// local script's.
    pub fn script(&mut self, script: Script, device: &str) -> Result<()> {
        self.log.info(&format!(
            "{}@{}: {} (on Managed Server {})",
            device,
            self.server.name,
            script.file_name(),
            self.server.name
        ));
        let answer = self.ask_any(&Request::Script {
            script: script.file_name().to_string(),
            device: device.to_string(),
        })?;
        if answer.ok {
            return Ok(());
        }
        let Some(code) = answer.code else {
            return Err(self.fail(answer.error.unwrap_or_else(|| "script failed".into())));
        };
        let script_name = format!("{}@{}", script.file_name(), self.server.name);
        Err(if script.is_pre() {
            EternusError::PreScript {
                script: script_name,
                device: device.to_string(),
                code,
            }
        } else {
            EternusError::PostScript {
                script: script_name,
                device: device.to_string(),
                code,
            }
        })
    }

    /// Runs an ACM command on the far server (`-h serverName`).
    pub fn command(&mut self, argv: &[String]) -> Result<CommandResult> {
        self.log.info(&format!(
            "{} (on Managed Server {})",
            argv.join(" "),
            self.server.name
        ));
        let answer = self.ask(&Request::Command {
            argv: argv.to_vec(),
        })?;
        Ok(CommandResult {
            code: answer.code.unwrap_or(1),
            stdout: answer.stdout,
            stderr: answer.stderr,
        })
    }

    /// Registers `pair` in that server's list too.
    pub fn register(&mut self, pair: &Pair) -> Result<()> {
        let request = Request::Register {
            pair: Box::new(WirePair::from_pair(pair)),
        };
        self.change_list(pair, "registered on", &request)
    }

    /// Removes `pair` from that server's list (nothing to do when it is not there).
    pub fn unregister(&mut self, pair: &Pair) -> Result<()> {
        let request = Request::Unregister {
            orig: pair.orig.qualified(),
            rep: pair.rep.qualified(),
        };
        self.change_list(pair, "removed from", &request)
    }

    /// Logs the change of `pair` in that server's list (`done`: "registered on"), then
    /// asks for it.
    fn change_list(&mut self, pair: &Pair, done: &str, request: &Request) -> Result<()> {
        self.log.info(&format!(
            "{}: {done} Managed Server {} too",
            pair.label(),
            self.server.name
        ));
        self.ask(request).map(|_| ())
    }

    /// [`RemoteSession::ask_any`], with a refusal (`ok: false`) as an error.
    fn ask(&mut self, request: &Request) -> Result<Response> {
        let answer = self.ask_any(request)?;
        if answer.ok {
            Ok(answer)
        } else if let Some(kind) = answer.refusal.as_deref() {
            let text = format!(
                "on Managed Server {}: {}",
                self.server.name,
                answer.error.unwrap_or_default()
            );
            Err(match kind {
                "already-registered" => EternusError::AlreadyRegistered(text),
                _ => EternusError::Refused(text),
            })
        } else {
            Err(self.fail(
                answer
                    .error
                    .unwrap_or_else(|| "the agent refused the request".into()),
            ))
        }
    }

    /// Sends one request and reads its answer line.
    fn ask_any(&mut self, request: &Request) -> Result<Response> {
        let line = serde_json::to_string(request)
            .map_err(|e| self.fail(format!("cannot encode the request: {e}")))?;
        let _busy = VendorBusy::start();
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.fail("session already closed".into()));
        };
        // A process that is already gone may have said why on stdout (a banner, garbage)
        // or stderr (ssh's reason): read on, and name the write failure only if it did not.
        let unsent = stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| stdin.flush())
            .err();
        let deadline = Instant::now() + self.server.timeout;
        match next_output(&self.lines, deadline) {
            Output::Some(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let text = text.trim_end_matches(['\n', '\r']);
                serde_json::from_str::<Response>(text).map_err(|_| {
                    self.kill();
                    self.fail(format!(
                        "answered something that is not the remote agent's protocol: {:?} (the session was ended)",
                        cap_for_log(text.trim())
                    ))
                })
            }
            Output::Signal(signal) => {
                self.kill();
                Err(self.fail(format!(
                    "interrupted by signal {} (the session was ended)",
                    arraysync_core::signals::name(signal)
                )))
            }
            Output::TimedOut => {
                self.kill();
                Err(self.fail(format!(
                    "no answer within {}s, session killed (process group)",
                    self.server.timeout.as_secs()
                )))
            }
            Output::Ended => {
                let what = match &unsent {
                    Some(e) => format!("cannot send the request: {e}"),
                    None => "the session ended before answering".to_string(),
                };
                Err(self.ended(&what))
            }
        }
    }

    /// The error of a session whose process ended: its exit status and stderr.
    fn ended(&mut self, what: &str) -> EternusError {
        let status = self.child.as_mut().and_then(|c| c.wait().ok());
        self.child = None;
        self.stdin = None;
        let code = status
            .and_then(|s| s.code())
            .map(|c| format!(" (exit {c})"))
            .unwrap_or_default();
        let message = format!("{what}{code}{}", self.stderr_suffix());
        self.fail(message)
    }

    fn stderr_suffix(&self) -> String {
        crate::transport::stderr_suffix(&self.err)
    }

    fn fail(&self, message: String) -> EternusError {
        self.log
            .warning(&format!("Managed Server {}: {message}", self.server.name));
        server_error(&self.server.name, message)
    }

    fn kill(&mut self) {
        crate::transport::kill_session(self.pid, &mut self.child, &mut self.stdin);
    }

    /// Says goodbye and reaps the process (killed if it lingers).
    pub fn close(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            if let Ok(line) = serde_json::to_string(&Request::Bye) {
                let _ = stdin.write_all(format!("{line}\n").as_bytes());
            }
        }
        if let Some(child) = self.child.take() {
            reap_or_kill(child, self.pid);
        }
    }
}

impl Drop for RemoteSession {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.finish();
        }
    }
}

/// Lines of a pipe, each bounded to [`MAX_LINE`] bytes.
fn read_lines<R: Read + Send + 'static>(pipe: Option<R>) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Some(pipe) = pipe else { return };
        let mut reader = BufReader::new(pipe);
        loop {
            let mut line = Vec::new();
            match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// The sessions of one command run: at most one per declared server, opened on first use
/// (the engine opens them before the array changes) and kept to the end.
pub struct Remotes {
    table: ServerTable,
    sessions: BTreeMap<String, RemoteSession>,
}

impl Remotes {
    pub fn load(paths: &Paths) -> Result<Remotes> {
        Ok(Remotes {
            table: ServerTable::load(paths)?,
            sessions: BTreeMap::new(),
        })
    }

    /// Whether `server` is declared in the server table.
    pub fn declared(&self, server: &str) -> bool {
        self.table.get(server).is_some()
    }

    pub fn table(&self) -> &ServerTable {
        &self.table
    }

    /// The session to a declared server, opened now if needed.
    pub fn session(&mut self, server: &str, log: &Logger) -> Result<&mut RemoteSession> {
        if !self.sessions.contains_key(server) {
            let conf = self.table.get(server).ok_or_else(|| {
                server_error(
                    server,
                    format!(
                        "not declared in {} (no way to reach it)",
                        crate::servers::SERVERS_FILE
                    ),
                )
            })?;
            let session = RemoteSession::open(conf, log)?;
            self.sessions.insert(server.to_string(), session);
        }
        self.sessions
            .get_mut(server)
            .ok_or_else(|| server_error(server, "no session"))
    }

    /// How many sessions this run opened.
    pub fn opened(&self) -> usize {
        self.sessions.len()
    }

    pub fn close(&mut self) {
        for (_, session) in std::mem::take(&mut self.sessions) {
            session.close();
        }
    }
}

// ----- agent ---------------------------------------------------------------------------

/// The agent's side: answers requests from `input` on `output` until `bye` or end of
/// input, on this server's root (`paths`). `commands` are the ACM command names `-h` may
/// run, found in `bin_dir`.
pub fn serve(
    paths: &Paths,
    log: &Logger,
    input: impl BufRead,
    mut output: impl Write,
    commands: &[&str],
    bin_dir: &std::path::Path,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Err(e) => Response::failed(format!("not a request: {e}")),
            Ok(Request::Bye) => return Ok(()),
            Ok(request) => answer(paths, log, request, commands, bin_dir),
        };
        let text = serde_json::to_string(&answer)
            .unwrap_or_else(|_| r#"{"ok":false,"error":"cannot encode the answer"}"#.into());
        output.write_all(format!("{text}\n").as_bytes())?;
        output.flush()?;
    }
    Ok(())
}

fn answer(
    paths: &Paths,
    log: &Logger,
    request: Request,
    commands: &[&str],
    bin_dir: &std::path::Path,
) -> Response {
    match request {
        Request::Hello => match crate::replication::local_server_name(paths) {
            Ok(name) => Response {
                ok: true,
                server: Some(name),
                protocol: Some(PROTOCOL),
                ..Default::default()
            },
            Err(e) => Response::failed(e.to_string()),
        },
        Request::Lookup { devices } => match device::load_entries(paths) {
            Err(e) => Response::failed(e.to_string()),
            Ok(entries) => Response {
                ok: true,
                devices: entries
                    .into_iter()
                    .filter(|e| e.server.is_none() && devices.contains(&e.device))
                    .map(|e| DeviceEntry {
                        device: e.device,
                        array: e.array,
                        number: e.number,
                    })
                    .collect(),
                ..Default::default()
            },
        },
        Request::Script { script, device } => {
            let script = match script.as_str() {
                "RepSrc.pre" => Script::SrcPre,
                "RepDst.pre" => Script::DstPre,
                "RepSrc.post" => Script::SrcPost,
                "RepDst.post" => Script::DstPost,
                other => return Response::failed(format!("'{other}' is not a replication script")),
            };
            if !device::valid_device(&device) {
                return Response::failed(format!("{device}: not a device name"));
            }
            match scripts::run(paths, log, script, &device) {
                Ok(()) => Response {
                    ok: true,
                    ..Default::default()
                },
                Err(
                    EternusError::PreScript { code, .. } | EternusError::PostScript { code, .. },
                ) => Response {
                    code: Some(code),
                    error: Some(format!(
                        "{} {device} exited with {code}",
                        script.file_name()
                    )),
                    ..Default::default()
                },
                Err(e) => Response::failed(e.to_string()),
            }
        }
        Request::Command { argv } => run_command(log, &argv, commands, bin_dir),
        Request::Register { pair } => {
            let pair = match pair.to_pair() {
                Ok(p) => p,
                Err(e) => return Response::failed(e),
            };
            Response::of(
                Engine::open_creating(paths, log, Options::default())
                    .and_then(|mut engine| engine.register(&pair)),
            )
        }
        Request::Unregister { orig, rep } => Response::of(
            Engine::open(paths, log, Options::default())
                .and_then(|mut engine| engine.unregister(&orig, &rep))
                .map(|_| ()),
        ),
        Request::Bye => Response::default(),
    }
}

/// A forwarded ACM command: one of `commands`, from `bin_dir`, never through a shell.
fn run_command(
    log: &Logger,
    argv: &[String],
    commands: &[&str],
    bin_dir: &std::path::Path,
) -> Response {
    let Some((name, args)) = argv.split_first() else {
        return Response::failed("empty command");
    };
    if !commands.contains(&name.as_str()) {
        return Response::failed(format!("'{name}' is not an ACM command this agent runs"));
    }
    let mut command = arraysync_core::runner::VendorCommand::new(
        bin_dir.join(name),
        args.to_vec(),
        Duration::from_secs(24 * 3600),
    );
    command.logging = arraysync_core::runner::Logging::Query;
    match arraysync_core::runner::Runner::default().run_status(log, &command) {
        Ok(out) => Response {
            ok: true,
            code: Some(out.code),
            stdout: out.stdout,
            stderr: out.stderr,
            ..Default::default()
        },
        Err(e) => Response::failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_are_one_json_line_each() {
        let text = serde_json::to_string(&Request::Script {
            script: "RepDst.pre".into(),
            device: "/dev/vg02".into(),
        })
        .expect("encodes");
        assert_eq!(
            text,
            r#"{"op":"script","script":"RepDst.pre","device":"/dev/vg02"}"#
        );
        let ok: Response = serde_json::from_str(r#"{"ok":true}"#).expect("decodes");
        assert!(ok.ok && ok.devices.is_empty());
        assert!(serde_json::from_str::<Response>("Last login: yesterday").is_err());
    }

    #[test]
    fn the_agent_answers_lookups_and_refuses_unknown_requests() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        let devices = device::devices_file(&paths);
        std::fs::create_dir_all(devices.parent().expect("parent")).expect("mkdir");
        std::fs::write(&devices, "/dev/vg02 DX1 3\n/dev/vg09 DX1 4 OTHER\n").expect("write");
        let node = paths.under_root(crate::replication::NODE_FILE);
        std::fs::create_dir_all(node.parent().expect("parent")).expect("mkdir");
        std::fs::write(&node, "[node]\nname = TARG-SV\n").expect("write");
        let log = Logger::stderr_only("t", arraysync_core::log::Level::Error);
        let input = concat!(
            r#"{"op":"hello"}"#,
            "\n",
            r#"{"op":"lookup","devices":["/dev/vg02","/dev/vg09"]}"#,
            "\n",
            "garbage\n",
            r#"{"op":"command","argv":["rm","-rf","/"]}"#,
            "\n",
            r#"{"op":"bye"}"#,
            "\n",
            r#"{"op":"hello"}"#,
            "\n"
        );
        let mut out = Vec::new();
        serve(
            &paths,
            &log,
            input.as_bytes(),
            &mut out,
            &["swsrpstat"],
            dir.path(),
        )
        .expect("serves");
        let answers: Vec<Response> = String::from_utf8(out)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(answers.len(), 4, "{answers:?}");
        assert_eq!(answers[0].server.as_deref(), Some("TARG-SV"));
        assert_eq!(
            answers[1].devices,
            vec![DeviceEntry {
                device: "/dev/vg02".into(),
                array: "DX1".into(),
                number: 3
            }]
        );
        assert!(!answers[2].ok);
        assert!(answers[3]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("not an ACM command"));
    }
}
