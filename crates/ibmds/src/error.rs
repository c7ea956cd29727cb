//! Driver errors, mapped onto the core error kinds (and so onto exit codes).

use arraysync_core::Error;

#[derive(Debug, thiserror::Error)]
pub enum IbmDsError {
    /// Exit codes of the DS CLI (vendor-cli.md §1.6).
    #[error("dscli {category} (exit {code}){}", detail(.messages))]
    Dscli {
        code: i32,
        category: &'static str,
        messages: Vec<String>,
    },
    #[error("dscli reported errors: {}", .0.join("; "))]
    Messages(Vec<String>),
    #[error("dscli did not confirm {command} for pair(s) {}", .pairs.join(", "))]
    Unconfirmed { command: String, pairs: Vec<String> },
    #[error("unexpected dscli output: {0}")]
    Output(String),
    #[error("{0}")]
    Refused(String),
}

fn detail(messages: &[String]) -> String {
    if messages.is_empty() {
        String::new()
    } else {
        format!(": {}", messages.join("; "))
    }
}

/// The category of a dscli exit code.
pub fn exit_category(code: i32) -> &'static str {
    match code {
        2 => "syntax error",
        3 => "connection error (HMC unreachable)",
        4 => "server error",
        5 => "authentication error (check username in auth.conf and the pwfile)",
        6 => "application error",
        _ => "failure",
    }
}

impl From<IbmDsError> for Error {
    fn from(e: IbmDsError) -> Self {
        match e {
            IbmDsError::Output(message) => Error::UnexpectedOutput {
                program: "dscli".into(),
                message,
            },
            other => Error::Failed(other.to_string()),
        }
    }
}
