//! Typed errors of the core crate, each carrying the process exit code it maps to.
//!
//! Exit codes are an external contract (DESIGN §3): 0 success, 1 an action failed,
//! 2 usage or configuration error.

use std::fmt;
use std::path::PathBuf;

/// Exit code of a failed action.
pub const EXIT_FAILED: i32 = 1;
/// Exit code of a usage or configuration error.
pub const EXIT_USAGE: i32 = 2;

/// Where a configuration problem is: file, line, section and key, each optional
/// because not every problem has all four.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub section: Option<String>,
    pub key: Option<String>,
}

impl Location {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            file: Some(path.into()),
            ..Default::default()
        }
    }
}

impl fmt::Display for Location {
    /// `file:line: [section] key`, omitting what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            match self.line {
                Some(line) => parts.push(format!("{}:{}:", file.display(), line)),
                None => parts.push(format!("{}:", file.display())),
            }
        }
        if let Some(section) = &self.section {
            parts.push(format!("[{section}]"));
        }
        if let Some(key) = &self.key {
            parts.push(format!("{key}:"));
        }
        write!(f, "{}", parts.join(" "))
    }
}

/// A configuration error: bad input that must stop the run before anything changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location} {message}")]
pub struct ConfigError {
    pub location: Location,
    pub message: String,
}

impl ConfigError {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        ConfigError {
            location,
            message: message.into(),
        }
    }
}

/// A vendor command that did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CommandError {
    #[error("{program}: command not found")]
    NotFound { program: String },
    #[error("{program}: cannot run: {reason}")]
    Spawn { program: String, reason: String },
    #[error("{program}: timed out after {seconds}s, killed (process group)")]
    Timeout { program: String, seconds: u64 },
    #[error("{program}: exited with code {code}{}", stderr_suffix(.stderr))]
    Exit {
        program: String,
        code: i32,
        stderr: String,
    },
    #[error("{program}: killed by signal {signal}")]
    Signal { program: String, signal: i32 },
    /// The tool received SIGINT/SIGTERM/SIGHUP: the command was not started, or its
    /// process group was ended.
    #[error("{program}: interrupted by signal {}{}", crate::signals::name(*.signal), if *.started { " (its process group was ended)" } else { " (not started)" })]
    Interrupted {
        program: String,
        signal: i32,
        started: bool,
    },
}

fn join_lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn stderr_suffix(stderr: &str) -> String {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        String::new()
    } else {
        format!(": {trimmed}")
    }
}

/// Every error the core and the drivers report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad configuration (service file, auth.conf, secret files): exit 2.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Several configuration errors, all reported at once: exit 2.
    #[error("{}", join_lines(.0))]
    ConfigList(Vec<ConfigError>),
    /// Bad command-line usage: exit 2.
    #[error("{0}")]
    Usage(String),
    /// A vendor command failed: exit 1.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// An action could not be done (precondition, array state, refused): exit 1.
    #[error("{0}")]
    Failed(String),
    /// The resource type does not implement the action: exit 1.
    #[error("{action} not supported by {rtype}: {why}")]
    Unsupported {
        action: String,
        rtype: String,
        why: String,
    },
    /// The vendor CLI printed something we cannot interpret: exit 1.
    #[error("unexpected {program} output: {message}")]
    UnexpectedOutput { program: String, message: String },
    /// The per-service lock could not be taken: exit 1.
    #[error("{0}")]
    Lock(String),
    /// Local I/O on our own files.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for this error (DESIGN §3).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::ConfigList(_) | Error::Usage(_) => EXIT_USAGE,
            _ => EXIT_FAILED,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn config(location: Location, message: impl Into<String>) -> Self {
        Error::Config(ConfigError::new(location, message))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
