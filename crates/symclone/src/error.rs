//! Driver errors, mapped onto the core error kinds (and so onto exit codes).

use arraysync_core::Error;

#[derive(Debug, thiserror::Error)]
pub enum SymError {
    /// A SYMCLI command exited non-zero; its stderr (already logged) is kept.
    #[error("{program} {verb} failed (exit {code}){}", detail(.stderr))]
    Symcli {
        program: String,
        verb: String,
        code: i32,
        stderr: String,
    },
    /// Exit 2 (`CLI_C_DB_FILE_IS_LOCKED`) on every attempt.
    #[error("{program} {verb}: the SYMAPI database stayed locked after {attempts} attempts{}", detail(.stderr))]
    Locked {
        program: String,
        verb: String,
        attempts: u32,
        stderr: String,
    },
    #[error("unexpected {program} output: {message}")]
    Output { program: String, message: String },
    /// The array is not in a state where the action can run; nothing was changed.
    #[error("{0}")]
    Refused(String),
    /// A wait ended at its deadline.
    #[error("timed out waiting for {what} state ({secs} secs): {detail}")]
    Timeout {
        what: String,
        secs: u64,
        detail: String,
    },
    /// A host-side step (rescan of a target device) failed.
    #[error("{0}")]
    Host(String),
}

fn detail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.join(" "))
    }
}

impl From<SymError> for Error {
    fn from(e: SymError) -> Self {
        match e {
            SymError::Output { program, message } => Error::UnexpectedOutput { program, message },
            other => Error::Failed(other.to_string()),
        }
    }
}
