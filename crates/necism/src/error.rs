//! Driver errors, mapped onto the core error kinds (and so onto exit codes).

use arraysync_core::Error;

#[derive(Debug, thiserror::Error)]
pub enum NecIsmError {
    /// OpenSVC's wording, with where we looked and what to install.
    #[error("Can not find {} program in PATH ({}): install the iSM host software (iSMccs package) or put the commands in PATH", .programs.join(", "), .searched)]
    MissingPrograms {
        programs: Vec<&'static str>,
        searched: String,
    },
    /// `iSMvollist -d` failed: host agent not registered or volume list not built.
    #[error("iSM prerequisites not met: 'iSMvollist -d' failed ({0}); the iSMHostRegisterService service must be running and the volume list built once with 'iSMvollist -r' (as root)")]
    Prerequisite(String),
    #[error("can not determine source LD (base volume) for SV:{sv}: {detail}")]
    BaseVolume { sv: String, detail: String },
    #[error("SV:{sv} not found on the array ({detail})")]
    SvNotFound { sv: String, detail: String },
    /// Seed 001's wait before a create ran out (OpenSVC silently went on).
    #[error("not re-creating SV:{sv}: {} of BV:{bv} still changing state after {waited} (state_wait_timeout)", .busy)]
    StateWait {
        sv: String,
        bv: String,
        busy: String,
        waited: String,
    },
    /// A phase with failed pairs: every failure, and how many pairs were not attempted.
    #[error("{step} failed on {} of {total} pair(s){}: {}", .failures.len(), skipped(*.not_attempted), .failures.join("; "))]
    Phase {
        step: String,
        total: usize,
        failures: Vec<String>,
        not_attempted: usize,
    },
    #[error("unexpected {program} output: {message}")]
    Output { program: String, message: String },
}

fn skipped(count: usize) -> String {
    match count {
        0 => String::new(),
        n => format!(" ({n} not attempted after the first failure)"),
    }
}

impl From<NecIsmError> for Error {
    fn from(e: NecIsmError) -> Self {
        match e {
            NecIsmError::Output { program, message } => {
                Error::UnexpectedOutput { program, message }
            }
            other => Error::Failed(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_error_lists_every_failure() {
        let e = NecIsmError::Phase {
            step: "iSMsc_link".into(),
            total: 4,
            failures: vec!["A:B: boom".into(), "C:D: bang".into()],
            not_attempted: 1,
        };
        assert_eq!(
            e.to_string(),
            "iSMsc_link failed on 2 of 4 pair(s) (1 not attempted after the first failure): A:B: boom; C:D: bang"
        );
        assert_eq!(Error::from(e).exit_code(), 1);
    }

    #[test]
    fn state_wait_names_the_sv_and_its_state() {
        let e = NecIsmError::StateWait {
            sv: "SV1".into(),
            bv: "BV1".into(),
            busy: "SV:SV1 snap/deleting".into(),
            waited: "20m".into(),
        };
        assert_eq!(e.to_string(), "not re-creating SV:SV1: SV:SV1 snap/deleting of BV:BV1 still changing state after 20m (state_wait_timeout)");
    }
}
