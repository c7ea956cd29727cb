//! Every ETERNUS DX CLI command line the engine sends, as data (docs/eternus.md "CLI
//! dialect"). Commands go one per line on the stdin of one ssh (or command-prefix) session.

use std::fmt::Write;

/// The prompt that ends every answer.
pub const PROMPT: &str = "CLI> ";
/// Ends the session.
pub const EXIT: &str = "exit";
/// The error code the array answers while another session holds the resource; retried.
pub const RESOURCE_LOCKED: &str = "E0060";
/// The error code of a command naming a session (or volume) the array does not have.
pub const NO_SESSION: &str = "E0110";

/// Copy modes of `start advanced-copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// OPC: one-shot full background copy.
    Opc,
    /// QuickOPC: OPC that keeps tracking changes for differential restarts.
    QuickOpc,
    /// EC: synchronous equivalent copy.
    Ec,
    /// SnapOPC: copy-on-write into a Snap Data Volume.
    SnapOpc,
    /// SnapOPC+: copy-on-write with generations (the newest saves, older ones are kept).
    SnapOpcPlus,
}

impl Mode {
    pub fn token(self) -> &'static str {
        match self {
            Mode::Opc => "opc",
            Mode::QuickOpc => "qopc",
            Mode::Ec => "ec",
            Mode::SnapOpc => "snapopc",
            Mode::SnapOpcPlus => "snapopc+",
        }
    }
}

pub fn show_boxid() -> String {
    "show boxid".to_string()
}

pub fn show_volumes() -> String {
    "show volumes".to_string()
}

/// Every session of the array, with progress, update rate, access and time stamp.
pub fn show_sessions() -> String {
    "show advanced-copy-sessions -detail".to_string()
}

fn numbers(list: &[u32]) -> String {
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Starts one session per (source, destination) pair in one atomic command (Concurrent
/// OPC when several). `no_access` blocks reads of the destination too (EC `-Xda`).
pub fn start(mode: Mode, pairs: &[(u32, u32)], no_access: bool) -> String {
    let sources: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let destinations: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    let mut line = format!(
        "start advanced-copy -mode {} -source-volume-number {} -destination-volume-number {}",
        mode.token(),
        numbers(&sources),
        numbers(&destinations)
    );
    if no_access {
        let _ = write!(line, " -destination-access no-access");
    }
    line
}

/// Stops sessions; `tracking_only` ends QuickOPC tracking and lets a running copy finish.
pub fn stop(sessions: &[u32], tracking_only: bool) -> String {
    let mut line = format!("stop advanced-copy -session-id {}", numbers(sessions));
    if tracking_only {
        line.push_str(" -tracking-only");
    }
    line
}

/// Suspends equivalent EC sessions, all at the same instant (Concurrent Suspend).
pub fn suspend(sessions: &[u32]) -> String {
    format!("suspend advanced-copy -session-id {}", numbers(sessions))
}

/// Resumes suspended EC sessions (incremental copy of the tracks changed since the suspend).
pub fn resume(sessions: &[u32]) -> String {
    format!("resume advanced-copy -session-id {}", numbers(sessions))
}

/// `start|stop|show update-measurement` of one volume (swstestupdate).
pub fn update_measurement(verb: &str, volume: u32) -> String {
    format!("{verb} update-measurement -volume-number {volume}")
}

/// Capacities of a Snap Data Volume (swstsdv stat).
pub fn show_sdv(volume: u32) -> String {
    format!("show snap-data-volume -volume-number {volume}")
}

/// Capacities of the Snap Data Pool (swstsdv poolstat).
pub fn show_pool() -> String {
    "show snap-data-pool".to_string()
}

/// Empties a Snap Data Volume (swstsdv init).
pub fn init_sdv(volume: u32) -> String {
    format!("initialize snap-data-volume -volume-number {volume}")
}

/// Reverses suspended EC sessions: the destination becomes the source (swsrprevsync).
pub fn reverse(sessions: &[u32]) -> String {
    format!("reverse advanced-copy -session-id {}", numbers(sessions))
}

// ----- REC (docs/eternus.md "REC") ---------------------------------------------------------

/// The REC modes of a start or a change: transfer `sync|through|stack|consistency`, split
/// and recovery `auto|manual`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecModes {
    pub transfer: Option<&'static str>,
    pub split: Option<&'static str>,
    pub recovery: Option<&'static str>,
}

impl RecModes {
    fn push(&self, line: &mut String) {
        for (key, value) in [
            ("transfer-mode", self.transfer),
            ("split", self.split),
            ("recovery", self.recovery),
        ] {
            if let Some(v) = value {
                let _ = write!(line, " -{key} {v}");
            }
        }
    }
}

/// Starts REC sessions from this box to the box `remote_box`; `skip` skips the initial copy
/// (the sessions start suspended).
pub fn start_rec(pairs: &[(u32, u32)], remote_box: &str, modes: RecModes, skip: bool) -> String {
    let sources: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    let destinations: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    let mut line = format!(
        "start advanced-copy -mode rec -source-volume-number {} -destination-box-id {remote_box} -destination-volume-number {}",
        numbers(&sources),
        numbers(&destinations)
    );
    modes.push(&mut line);
    if skip {
        line.push_str(" -initial-copy skip");
    }
    line
}

/// Every REC session this box is an end of.
pub fn show_rec_sessions() -> String {
    "show advanced-copy-sessions -type rec".to_string()
}

/// Suspends REC sessions at one point in time; `force` suspends them whatever their
/// phase (halt, copying: the replica is not guaranteed).
pub fn suspend_rec(sessions: &[u32], force: bool) -> String {
    let mut line = format!(
        "suspend advanced-copy -type rec -session-id {}",
        numbers(sessions)
    );
    if force {
        line.push_str(" -force");
    }
    line
}

/// Resumes suspended REC sessions; `remain` copies only the source's updates (-Xremain).
pub fn resume_rec(sessions: &[u32], remain: bool) -> String {
    let mut line = format!(
        "resume advanced-copy -type rec -session-id {}",
        numbers(sessions)
    );
    if remain {
        line.push_str(" -remain");
    }
    line
}

pub fn stop_rec(sessions: &[u32]) -> String {
    format!(
        "stop advanced-copy -type rec -session-id {}",
        numbers(sessions)
    )
}

pub fn reverse_rec(sessions: &[u32]) -> String {
    format!(
        "reverse advanced-copy -type rec -session-id {}",
        numbers(sessions)
    )
}

/// Changes the modes of REC sessions (swsrpchsync).
pub fn change_rec(sessions: &[u32], modes: RecModes) -> String {
    let mut line = format!(
        "set advanced-copy -type rec -session-id {}",
        numbers(sessions)
    );
    modes.push(&mut line);
    line
}

pub fn show_rec_buffer() -> String {
    "show rec-buffer".to_string()
}

pub fn set_rec_buffer(id: u32, send: bool) -> String {
    format!(
        "set rec-buffer -buffer-id {id} -use {}",
        if send { "send" } else { "recv" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        assert_eq!(
            start(Mode::QuickOpc, &[(1, 2)], false),
            "start advanced-copy -mode qopc -source-volume-number 1 -destination-volume-number 2"
        );
        assert_eq!(
            start(Mode::Ec, &[(1, 2), (3, 4)], true),
            "start advanced-copy -mode ec -source-volume-number 1,3 -destination-volume-number 2,4 -destination-access no-access"
        );
        assert_eq!(
            stop(&[5], true),
            "stop advanced-copy -session-id 5 -tracking-only"
        );
        assert_eq!(suspend(&[5, 6]), "suspend advanced-copy -session-id 5,6");
        assert_eq!(resume(&[7]), "resume advanced-copy -session-id 7");
        assert_eq!(show_sessions(), "show advanced-copy-sessions -detail");
    }

    #[test]
    fn rec_command_lines() {
        let modes = RecModes {
            transfer: Some("sync"),
            split: Some("manual"),
            recovery: None,
        };
        assert_eq!(
            start_rec(&[(1, 2), (3, 4)], "BOXB", modes, false),
            "start advanced-copy -mode rec -source-volume-number 1,3 -destination-box-id BOXB -destination-volume-number 2,4 -transfer-mode sync -split manual"
        );
        assert_eq!(
            start_rec(&[(1, 2)], "BOXB", RecModes::default(), true),
            "start advanced-copy -mode rec -source-volume-number 1 -destination-box-id BOXB -destination-volume-number 2 -initial-copy skip"
        );
        assert_eq!(
            suspend_rec(&[5, 6], true),
            "suspend advanced-copy -type rec -session-id 5,6 -force"
        );
        assert_eq!(
            resume_rec(&[7], true),
            "resume advanced-copy -type rec -session-id 7 -remain"
        );
        assert_eq!(
            change_rec(
                &[7],
                RecModes {
                    recovery: Some("auto"),
                    ..Default::default()
                }
            ),
            "set advanced-copy -type rec -session-id 7 -recovery auto"
        );
        assert_eq!(
            set_rec_buffer(2, false),
            "set rec-buffer -buffer-id 2 -use recv"
        );
    }
}
