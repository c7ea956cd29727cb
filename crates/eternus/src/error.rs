//! Engine errors. Each says what failed in the operator's terms; the ACM front ends map
//! the kinds onto the manual's message ids, the resource type onto core errors.

use arraysync_core::{ConfigError, Error};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EternusError {
    /// Bad auth.conf, devices file or service configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An ACM device name that no devices file entry or collected volume maps.
    #[error("{device}: unknown device (not in the devices file and not matched on any array)")]
    UnknownDevice { device: String },
    /// A volume name that is not `/dev/...[@server]`.
    #[error("{0}: not an AdvancedCopy Manager device name")]
    BadDeviceName(String),
    /// A server name that is not this server.
    #[error("{0}")]
    RemoteServer(String),
    /// Another Managed Server could not be reached or talked to (down, slow, garbage).
    #[error("Managed Server {server}: {message}")]
    Server { server: String, message: String },
    #[error("{orig},{rep}: not registered as a replication pair")]
    NotRegistered { orig: String, rep: String },
    #[error("{0}")]
    AlreadyRegistered(String),
    #[error("group {0}: not registered")]
    NoGroup(String),
    /// The operation is refused in the pair's current state (nothing was changed).
    #[error("{0}")]
    Refused(String),
    /// Informational: the requested state already holds (swsrpstartsync on sync/equivalent).
    #[error("{0}")]
    AlreadyInState(String),
    /// The array answered a CLI command with `Error: Exxxx ...`.
    #[error("{array}: '{command}' failed: {code} {message}")]
    Array {
        array: String,
        command: String,
        code: String,
        message: String,
    },
    /// The array accepted an action (no `Error:` line) but its session list does not show
    /// the result for a pair (issue 8 item 14: confirmation per pair, not the answer's form).
    #[error("{array}: '{command}' was answered without an error, but {message}")]
    NotConfirmed {
        array: String,
        command: String,
        message: String,
    },
    /// The array could not be reached or talked to (ssh failure, timeout, garbled output).
    #[error("{array}: {message}")]
    Transport { array: String, message: String },
    /// No answer within the limit; the session's process group was killed.
    #[error(
        "{program}: timed out after {seconds}s waiting for {waiting_for}, killed (process group)"
    )]
    Timeout {
        array: String,
        program: String,
        seconds: u64,
        waiting_for: String,
    },
    /// The replication management list (SQLite) is unreadable, corrupt or locked.
    #[error("replication management list {path}: {message}")]
    Repository { path: String, message: String },
    /// A pre-processing script exited non-zero (the copy was not made).
    #[error("pre-processing script {script} {device} exited with {code}")]
    PreScript {
        script: String,
        device: String,
        code: i32,
    },
    /// A post-processing script exited non-zero (the copy was made).
    #[error("post-processing script {script} {device} exited with {code}")]
    PostScript {
        script: String,
        device: String,
        code: i32,
    },
    /// Another ACM command holds a conflicting lock (manual §6.1).
    #[error("{0}")]
    Busy(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A refusal with the manual's own message id (backup management: `swst0301`,
    /// `swst0639`, ...); the front end prints `id text`.
    #[error("{text}")]
    Message { id: &'static str, text: String },
}

impl EternusError {
    pub fn io(path: impl AsRef<std::path::Path>, e: impl std::fmt::Display) -> Self {
        EternusError::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<EternusError> for Error {
    fn from(e: EternusError) -> Self {
        match e {
            EternusError::Config(c) => Error::Config(c),
            // A transport error is more than garbled output (the session could not start,
            // ended, or was interrupted); a garbled answer says so in its own message.
            EternusError::Transport { array, message } => {
                Error::Failed(format!("ETERNUS CLI ({array}): {message}"))
            }
            EternusError::Timeout {
                program, seconds, ..
            } => Error::Command(arraysync_core::CommandError::Timeout { program, seconds }),
            other => Error::Failed(other.to_string()),
        }
    }
}

pub type Result<T, E = EternusError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// An interrupted or ended session is not called unexpected output, and a garbled
    /// answer says "unexpected output" once, not twice.
    #[test]
    fn transport_errors_name_the_array_without_calling_everything_garbled() {
        let interrupted: Error = EternusError::Transport {
            array: "DX1".into(),
            message: "interrupted by signal SIGINT while waiting for the answer".into(),
        }
        .into();
        assert_eq!(
            interrupted.to_string(),
            "ETERNUS CLI (DX1): interrupted by signal SIGINT while waiting for the answer"
        );
        assert_eq!(interrupted.exit_code(), arraysync_core::error::EXIT_FAILED);
        let garbled: Error = EternusError::Transport {
            array: "DX1".into(),
            message: "unexpected output: no table header".into(),
        }
        .into();
        assert_eq!(garbled.to_string().matches("unexpected").count(), 1);
    }
}
