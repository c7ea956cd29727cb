//! The messages the commands print (`swsrpNNNN <text>` on stderr) and their exit codes.
//! Ids the manual names are used as it uses them (swsrp0601, swsrp2401, swsrp2613,
//! swsrp0634, swsrp0740); the others are ours, listed in docs/compat.md.

use arraysync_eternus::EternusError;

/// The two command families: their message ids, log and lock directories differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// swsrp*: replication management.
    Replication,
    /// swst*: backup management.
    Backup,
    /// stg* and acmcapture: the agent configuration commands (`/opt/FJSVswstf/bin`),
    /// `swstfNNNN` messages.
    Agent,
}

impl Family {
    pub fn of(command: &str) -> Family {
        if command.starts_with("stg") || command == "acmcapture" {
            Family::Agent
        } else if command.starts_with("swst") {
            Family::Backup
        } else {
            Family::Replication
        }
    }

    pub fn log_file(self) -> &'static str {
        match self {
            Family::Replication => "/var/opt/FJSVswsrp/log/arraysync.log",
            Family::Backup => "/var/opt/FJSVswsts/log/arraysync.log",
            Family::Agent => AGENT_LOG_FILE,
        }
    }

    pub fn lock_dir(self) -> &'static str {
        match self {
            Family::Replication => arraysync_eternus::exclusion::LOCK_DIR,
            Family::Backup => arraysync_eternus::backup::LOCK_DIR,
            // The agent commands share replication's locks; the ones that must run alone
            // (acmcapture, stgmgrinfobkup) also take backup's (crate::agent::alone).
            Family::Agent => arraysync_eternus::exclusion::LOCK_DIR,
        }
    }
}

/// The agent commands' log (acmcapture collects it with the others).
pub const AGENT_LOG_FILE: &str = "/var/opt/FJSVswstf/log/arraysync.log";

/// A command failure: the message line and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmError {
    pub id: &'static str,
    pub text: String,
    pub code: i32,
    /// Print the usage line after the message.
    pub usage: bool,
}

impl AcmError {
    pub fn new(id: &'static str, text: impl Into<String>) -> AcmError {
        AcmError {
            id,
            text: text.into(),
            code: 1,
            usage: false,
        }
    }

    pub fn usage(text: impl Into<String>) -> AcmError {
        AcmError {
            id: "swsrp0102",
            text: text.into(),
            code: 2,
            usage: true,
        }
    }

    pub fn line(&self) -> String {
        format!("{} {}", self.id, self.text)
    }

    /// The line as a command of `family` prints it: the replication ids (`swsrpNNNN`) of
    /// shared engine errors become backup ids (`swstNNNN`) for the swst* commands and agent
    /// ids (`swstfNNNN`) for the stg* commands and acmcapture.
    pub fn line_for(&self, family: Family) -> String {
        match (family, self.id.strip_prefix("swsrp")) {
            (Family::Backup, Some(number)) => format!("swst{number} {}", self.text),
            (Family::Agent, Some(number)) => format!("swstf{number} {}", self.text),
            _ => self.line(),
        }
    }
}

pub fn not_root() -> AcmError {
    AcmError::new(
        "swsrp0601",
        "This Command cannot be run. This is because the user is not a root user.",
    )
}

pub fn remote_server(name: &str, local: &str) -> AcmError {
    AcmError::new(
        "swsrp0602",
        format!(
            "The server {name} is not this Managed Server ({local}) and is not declared in {}.",
            arraysync_eternus::servers::SERVERS_FILE
        ),
    )
}

/// Informational (exit 0): swsrpstartsync on a pair already copying or equivalent.
pub fn already_synchronizing(from: &str, to: &str) -> String {
    format!("swsrp2401 Synchronous processing is already being executed. From={from}, To={to}")
}

impl From<EternusError> for AcmError {
    fn from(e: EternusError) -> AcmError {
        match e {
            EternusError::Config(c) => AcmError { id: "swsrp0650", text: format!("Configuration error: {c}"), code: 2, usage: false },
            EternusError::UnknownDevice { device } => AcmError::new("swsrp0630", format!("The specified device is not found. Device={device}")),
            EternusError::BadDeviceName(name) => AcmError { id: "swsrp0102", text: format!("{name} is not an AdvancedCopy Manager device name (/dev/...[@server])"), code: 2, usage: true },
            EternusError::RemoteServer(text) => AcmError::new("swsrp0602", text),
            EternusError::Server { server, message } => AcmError::new("swsrp0603", format!("Cannot communicate with Managed Server {server}: {message}")),
            EternusError::NotRegistered { orig, rep } => {
                AcmError::new("swsrp0631", format!("The specified volumes are not registered as replication volumes. Original-Volume={orig}, Replica-Volume={rep}"))
            }
            EternusError::AlreadyRegistered(text) => AcmError::new("swsrp0632", format!("Replication volume information is already set: {text}")),
            EternusError::NoGroup(group) => AcmError::new("swsrp0633", format!("The specified group does not exist. Group={group}")),
            EternusError::Refused(text) | EternusError::AlreadyInState(text) => AcmError::new("swsrp0700", format!("The operation cannot be performed: {text}")),
            EternusError::Array { array, command, code, message } => {
                AcmError::new("swsrp0634", format!("Advanced Copy failed. Array={array}, Command=\"{command}\", Error={code} {message}"))
            }
            EternusError::NotConfirmed { array, command, message } => {
                AcmError::new("swsrp0634", format!("Advanced Copy failed. Array={array}, Command=\"{command}\", not confirmed: {message}"))
            }
            EternusError::Transport { array, message } => AcmError::new("swsrp0740", format!("Cannot communicate with the ETERNUS Disk storage system {array}: {message}")),
            EternusError::Timeout { array, seconds, waiting_for, .. } => AcmError::new(
                "swsrp0740",
                format!("Cannot communicate with the ETERNUS Disk storage system {array}: no answer to '{waiting_for}' within {seconds}s (session killed)"),
            ),
            EternusError::Repository { path, message } => AcmError::new(
                "swsrp0710",
                format!(
                    "The {} management list cannot be used: {path}: {message}",
                    if path.contains("FJSVswsts") { "backup" } else { "replication" }
                ),
            ),
            EternusError::PreScript { code, .. } => AcmError::new("swsrp2613", format!("An error occurred in the pre-processing script for creating a replica. Error Code = {code}")),
            EternusError::PostScript { code, .. } => AcmError::new("swsrp2614", format!("An error occurred in the post-processing script for creating a replica. Error Code = {code}")),
            EternusError::Busy(text) => AcmError::new("swsrp0720", text),
            EternusError::Io { path, message } => AcmError::new("swsrp0711", format!("{path}: {message}")),
            EternusError::Message { id, text } => AcmError::new(id, text),
            other => AcmError::new("swsrp0799", other.to_string()),
        }
    }
}
