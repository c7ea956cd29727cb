//! Every iSM message id and text the emulator prints, in one place.
//!
//! Format: `<program>:Info: iSM<5 digits>: <text>` on stdout for success,
//! `<program>:Error: iSM<5 digits>: <text>` on stderr for failures, exit 1.
//!
//! From the references: iSM19010 (`iSMsc_create has normally terminated.`), iSM20020
//! (iSMsc_link), iSM20030 (iSMsc_unlink), all three from seed 001's log; iSM31005 (busy,
//! one of the ids Cinder retries, vendor-cli.md §3.5; its text here is invented).
//! Invented for the emulator, in the iSM9xxxx range so that they cannot be mistaken for
//! real ids: every other id below. The driver matches none of them.

/// Exit status of a failed command (vendor-cli.md §3.5: non-zero is failure).
pub const EXIT_FAILED: i32 = 1;

pub const USAGE: &str = "iSM90001";
pub const FLAG: &str = "iSM90002";
pub const NO_VOLUME: &str = "iSM90010";
pub const WRONG_ROLE: &str = "iSM90011";
pub const NOT_LINKED: &str = "iSM90012";
pub const NOT_OF_BV: &str = "iSM90013";
pub const SV_LINKED: &str = "iSM90021";
pub const IN_TRANSITION: &str = "iSM90022";
pub const NO_ACTIVE_SNAP: &str = "iSM90031";
pub const LV_LINKED: &str = "iSM90032";
pub const SV_TAKEN: &str = "iSM90033";
pub const AGENT: &str = "iSM90040";
pub const NO_VOLLIST: &str = "iSM90041";
pub const INTERNAL: &str = "iSM90099";
pub const VOLLIST_BUILT: &str = "iSM90100";
pub const INJECTED: &str = "iSM90900";
pub const BUSY: &str = "iSM31005";

pub fn info(prog: &str, id: &str, text: &str) -> String {
    format!("{prog}:Info: {id}: {text}")
}

pub fn error(prog: &str, id: &str, text: &str) -> String {
    format!("{prog}:Error: {id}: {text}")
}

/// The seed's success lines.
pub fn normally_terminated(prog: &str) -> Option<String> {
    let id = match prog {
        "iSMsc_create" => "iSM19010",
        "iSMsc_link" => "iSM20020",
        "iSMsc_unlink" => "iSM20030",
        _ => return None,
    };
    Some(info(prog, id, &format!("{prog} has normally terminated.")))
}

pub fn busy(prog: &str) -> String {
    error(
        prog,
        BUSY,
        "The disk array is busy. Retry the command later.",
    )
}

pub fn agent_down(prog: &str) -> String {
    error(
        prog,
        AGENT,
        "The host agent is not registered (iSMHostRegisterService is not running).",
    )
}

pub fn no_vollist(prog: &str) -> String {
    error(
        prog,
        NO_VOLLIST,
        "The volume list does not exist. Create it with iSMvollist -r.",
    )
}

pub fn vollist_built() -> String {
    info(
        "iSMvollist",
        VOLLIST_BUILT,
        "The volume list has been created.",
    )
}

/// Text of an injected failure that names no message (`Personality::default_fault_message`).
pub fn injected(command: Option<&str>, pair: Option<&str>) -> String {
    let on = pair.map(|p| format!(" on {p}")).unwrap_or_default();
    error(
        command.unwrap_or("iSM"),
        INJECTED,
        &format!("The command failed (injected fault{on})."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_001_lines() {
        assert_eq!(
            normally_terminated("iSMsc_unlink").as_deref(),
            Some("iSMsc_unlink:Info: iSM20030: iSMsc_unlink has normally terminated.")
        );
        assert_eq!(
            normally_terminated("iSMsc_create").as_deref(),
            Some("iSMsc_create:Info: iSM19010: iSMsc_create has normally terminated.")
        );
        assert_eq!(
            normally_terminated("iSMsc_link").as_deref(),
            Some("iSMsc_link:Info: iSM20020: iSMsc_link has normally terminated.")
        );
        assert!(busy("iSMsc_link").contains("iSM31005"));
        assert_eq!(
            injected(Some("iSMsc_link"), Some("LV1")),
            "iSMsc_link:Error: iSM90900: The command failed (injected fault on LV1)."
        );
    }
}
