//! Action logs in the seeds' format, to stderr and to `<var>/log/<svc>.log`:
//! `2014-09-18 23:04:02,189 - IISTSTIBMDS.SYNC#1 - INFO - <message>`.

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

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

struct Sinks {
    file: Option<Mutex<File>>,
    /// Lowest level echoed to stderr.
    stderr_level: Level,
    /// Strings replaced by `xxxx` wherever they appear.
    secrets: Vec<String>,
}

/// A named logger (`SVC` or `SVC.RID`) writing to the shared sinks of one run.
#[derive(Clone)]
pub struct Logger {
    name: String,
    sinks: Arc<Sinks>,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger").field("name", &self.name).finish()
    }
}

impl Logger {
    /// A logger for service `service` writing to `log_file` (created, appended) when given.
    /// The file receives every level; stderr receives `stderr_level` and above.
    pub fn open(
        service: &str,
        log_file: Option<&Path>,
        stderr_level: Level,
    ) -> std::io::Result<Logger> {
        let file = match log_file {
            Some(path) => Some(Mutex::new(crate::safefs::open_append_create(
                path,
                crate::safefs::LOG_MODE,
            )?)),
            None => None,
        };
        Ok(Logger {
            name: service.to_uppercase(),
            sinks: Arc::new(Sinks {
                file,
                stderr_level,
                secrets: Vec::new(),
            }),
        })
    }

    /// A logger that writes nowhere but stderr at `stderr_level` (status, check).
    pub fn stderr_only(service: &str, stderr_level: Level) -> Logger {
        Logger {
            name: service.to_uppercase(),
            sinks: Arc::new(Sinks {
                file: None,
                stderr_level,
                secrets: Vec::new(),
            }),
        }
    }

    /// The same sinks with more secrets to mask. Call before handing the logger out.
    pub fn with_secrets(self, secrets: impl IntoIterator<Item = String>) -> Logger {
        let mut all = self.sinks.secrets.clone();
        all.extend(secrets.into_iter().filter(|s| !s.is_empty()));
        let file = self
            .sinks
            .file
            .as_ref()
            .and_then(|f| f.lock().ok().and_then(|f| f.try_clone().ok()))
            .map(Mutex::new);
        Logger {
            name: self.name,
            sinks: Arc::new(Sinks {
                file,
                stderr_level: self.sinks.stderr_level,
                secrets: all,
            }),
        }
    }

    /// A child logger for a resource: `SVC.SYNC#1`.
    pub fn child(&self, rid: &str) -> Logger {
        Logger {
            name: format!("{}.{}", self.name, rid.to_uppercase()),
            sinks: Arc::clone(&self.sinks),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Replaces every known secret in `text` by `xxxx`.
    pub fn mask(&self, text: &str) -> String {
        mask_secrets(text, &self.sinks.secrets)
    }

    pub fn log(&self, level: Level, message: &str) {
        let line = format!(
            "{} - {} - {} - {}\n",
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f"),
            self.name,
            level,
            self.mask(message)
        );
        if let Some(file) = &self.sinks.file {
            if let Ok(mut file) = file.lock() {
                // A full disk must not turn a successful array action into a failure.
                let _ = file.write_all(line.as_bytes());
            }
        }
        if level >= self.sinks.stderr_level {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }

    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message);
    }
    pub fn info(&self, message: &str) {
        self.log(Level::Info, message);
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
}
