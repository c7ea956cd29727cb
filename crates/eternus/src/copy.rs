//! Copy sessions as the array reports them, and the pair states of the manual (spec §3.1)
//! computed from them. Pure: no I/O.

use crate::parse::SessionRow;
use crate::repo::Pair;
use chrono::{Datelike, NaiveDateTime, Timelike};
use std::sync::Arc;

/// Copy function of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyType {
    Opc,
    QuickOpc,
    SnapOpc,
    SnapOpcPlus,
    Ec,
    Rec,
    Other(String),
}

impl CopyType {
    pub fn parse(text: &str) -> CopyType {
        match text {
            "OPC" => CopyType::Opc,
            "QuickOPC" => CopyType::QuickOpc,
            "SnapOPC" => CopyType::SnapOpc,
            "SnapOPC+" => CopyType::SnapOpcPlus,
            "EC" => CopyType::Ec,
            "REC" => CopyType::Rec,
            other => CopyType::Other(other.to_string()),
        }
    }

    pub fn is_sync(&self) -> bool {
        matches!(self, CopyType::Ec | CopyType::Rec)
    }
}

/// One session between two volumes of one array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySession {
    pub array: String,
    pub sid: u32,
    pub ctype: CopyType,
    pub source: u32,
    pub destination: u32,
    pub generation: Option<u32>,
    /// SnapOPC+: how many generations the source has (the newest is `generation == this`).
    pub generations: Option<u32>,
    pub status: String,
    pub phase: String,
    pub error_code: String,
    pub copied_pct: Option<u8>,
    pub update_pct: Option<u8>,
    pub access: String,
    pub timestamp: Option<NaiveDateTime>,
    /// A REC session (between two boxes): its ends' boxes and modes.
    pub rec: Option<RecInfo>,
}

/// What a REC session shows besides a local one (docs/eternus.md "REC").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecInfo {
    pub source_box: String,
    pub destination_box: String,
    /// `sync`, `through`, `stack`, `consistency`.
    pub transfer: String,
    /// `auto`, `manual`, or `-` (not synchronous transfer).
    pub split: String,
    pub recovery: String,
    /// In halt, consistency mode saving into the REC buffer: `use-buffer`,
    /// `use-disk-buffer`, else `-`.
    pub buffer: String,
    /// Suspended by a forced suspend (`swsrpmake -j`): the resume needs `-t`.
    pub forced: bool,
}

impl CopySession {
    /// A REC session as the source box lists it.
    pub fn from_rec_row(array: &str, row: &crate::parse::RecRow) -> CopySession {
        CopySession {
            array: array.to_string(),
            sid: row.sid,
            ctype: CopyType::Rec,
            source: row.source,
            destination: row.destination,
            generation: None,
            generations: None,
            status: row.status.clone(),
            phase: row.phase.clone(),
            error_code: row.error_code.clone(),
            copied_pct: row.copied_pct,
            update_pct: None,
            access: "Read Only".into(),
            timestamp: row.timestamp,
            rec: Some(RecInfo {
                source_box: row.source_box.clone(),
                destination_box: row.destination_box.clone(),
                transfer: row.transfer.clone(),
                split: row.split.clone(),
                recovery: row.recovery.clone(),
                buffer: row.buffer.clone(),
                forced: row.suspend == "forced",
            }),
        }
    }

    /// Takes the row's strings over (10,000 rows: no copy of each).
    pub fn from_row(array: &str, row: SessionRow) -> CopySession {
        CopySession {
            array: array.to_string(),
            sid: row.sid,
            ctype: CopyType::parse(&row.ctype),
            source: row.source,
            destination: row.destination,
            generation: row.generation,
            generations: row.generations,
            status: row.status,
            phase: row.phase,
            error_code: row.error_code,
            copied_pct: row.copied_pct,
            update_pct: row.update_pct,
            access: row.access,
            timestamp: row.timestamp,
            rec: None,
        }
    }

    pub fn state(&self) -> PairState {
        state_of(self)
    }

    /// QuickOPC tracking is on.
    pub fn tracking(&self) -> bool {
        self.ctype == CopyType::QuickOpc
    }

    /// SnapOPC or SnapOPC+ (copy-on-write).
    pub fn is_snap(&self) -> bool {
        matches!(self.ctype, CopyType::SnapOpc | CopyType::SnapOpcPlus)
    }
}

/// The manual's Status column values (spec §3.1) plus the tracking-only state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairState {
    /// No session.
    None,
    /// QuickOPC tracking, physical copy done (`----` with Trk `on`).
    Tracking,
    Readying,
    /// OPC or QuickOPC physical copy running.
    Snap,
    /// EC/REC copy running.
    Sync,
    Equivalent,
    /// EC/REC suspended.
    Replicated,
    CopyOnWrite,
    CopyOnWriteActive,
    CopyOnWriteInactive,
    Failed,
    Halt,
    Unknown,
}

impl PairState {
    pub fn text(self) -> &'static str {
        match self {
            PairState::None | PairState::Tracking => "----",
            PairState::Readying => "readying",
            PairState::Snap => "snap",
            PairState::Sync => "sync",
            PairState::Equivalent => "equivalent",
            PairState::Replicated => "replicated",
            PairState::CopyOnWrite => "copy-on-write",
            PairState::CopyOnWriteActive => "copy-on-write(active)",
            PairState::CopyOnWriteInactive => "copy-on-write(inactive)",
            PairState::Failed => "failed",
            PairState::Halt => "halt",
            PairState::Unknown => "?????",
        }
    }
}

fn state_of(s: &CopySession) -> PairState {
    match s.status.as_str() {
        "Error Suspend" => return PairState::Failed,
        "Halt" => return PairState::Halt,
        "Reserved" => return PairState::Readying,
        "Active" | "Suspend" => {}
        _ => return PairState::Unknown,
    }
    if s.phase == "Readying" {
        return PairState::Readying;
    }
    match &s.ctype {
        CopyType::Opc => match s.phase.as_str() {
            "Copying" => PairState::Snap,
            _ => PairState::Unknown,
        },
        CopyType::QuickOpc => match s.phase.as_str() {
            "Copying" | "Tracking & Copy" => PairState::Snap,
            "Tracking" => PairState::Tracking,
            _ => PairState::Unknown,
        },
        CopyType::SnapOpc => PairState::CopyOnWrite,
        CopyType::SnapOpcPlus => match (s.generation, s.generations) {
            (Some(n), Some(m)) if n < m => PairState::CopyOnWriteInactive,
            _ => PairState::CopyOnWriteActive,
        },
        CopyType::Ec | CopyType::Rec => match (s.status.as_str(), s.phase.as_str()) {
            ("Suspend", _) | (_, "Suspend") => PairState::Replicated,
            (_, "Copying") => PairState::Sync,
            (_, "Equivalent") => PairState::Equivalent,
            _ => PairState::Unknown,
        },
        CopyType::Other(_) => PairState::Unknown,
    }
}

/// Which way a session runs relative to its pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// original → replica
    Regular,
    /// replica → original
    Reverse,
}

impl Direction {
    /// The other way between the same two volumes.
    pub fn opposite(self) -> Direction {
        match self {
            Direction::Regular => Direction::Reverse,
            Direction::Reverse => Direction::Regular,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Direction::Regular => "regular",
            Direction::Reverse => "reverse",
        }
    }
}

/// The sessions of one pair, by direction: shared with the run's session list, not copied
/// (a status of 10,000 pairs holds each session once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairSessions {
    pub regular: Option<Arc<CopySession>>,
    pub reverse: Option<Arc<CopySession>>,
}

impl PairSessions {
    pub fn get(&self, direction: Direction) -> Option<&CopySession> {
        match direction {
            Direction::Regular => self.regular.as_deref(),
            Direction::Reverse => self.reverse.as_deref(),
        }
    }
}

/// Sessions by (array, source, destination), to match thousands of pairs in linear time.
pub struct SessionIndex<'a> {
    by_ends: std::collections::HashMap<(&'a str, u32, u32), &'a Arc<CopySession>>,
    /// REC sessions by (source box, source, destination box, destination).
    by_boxes: std::collections::HashMap<(&'a str, u32, &'a str, u32), &'a Arc<CopySession>>,
}

impl<'a> SessionIndex<'a> {
    pub fn new(sessions: impl IntoIterator<Item = &'a Arc<CopySession>>) -> SessionIndex<'a> {
        let mut index = SessionIndex {
            by_ends: Default::default(),
            by_boxes: Default::default(),
        };
        for s in sessions {
            match &s.rec {
                None => {
                    index
                        .by_ends
                        .insert((s.array.as_str(), s.source, s.destination), s);
                }
                Some(r) => {
                    index.by_boxes.insert(
                        (
                            r.source_box.as_str(),
                            s.source,
                            r.destination_box.as_str(),
                            s.destination,
                        ),
                        s,
                    );
                }
            }
        }
        index
    }

    pub fn pair(&self, pair: &Pair) -> PairSessions {
        let find = |from: &crate::device::Volume, to: &crate::device::Volume| {
            if from.array != to.array {
                return self
                    .by_boxes
                    .get(&(
                        from.box_id.as_str(),
                        from.number,
                        to.box_id.as_str(),
                        to.number,
                    ))
                    .map(|s| Arc::clone(s));
            }
            self.by_ends
                .get(&(from.array.as_str(), from.number, to.number))
                .map(|s| Arc::clone(s))
        };
        PairSessions {
            regular: find(&pair.orig, &pair.rep),
            reverse: find(&pair.rep, &pair.orig),
        }
    }
}

/// Display options of swsrpstat that change values (not columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewOptions {
    /// `-E`: only the reverse direction.
    pub reverse_only: bool,
    /// `-H`: halt sub-states.
    pub halt_detail: bool,
    /// `-O`: failed sub-states.
    pub failed_detail: bool,
}

/// One swsrpstat row's values (every column; the front end picks which to print).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatView {
    pub direction: &'static str,
    pub status: String,
    pub execute: String,
    pub trk: &'static str,
    pub update: String,
    pub rcv: &'static str,
    pub split: &'static str,
    pub xfer: &'static str,
    pub snap_gen: String,
    pub copy_da: &'static str,
    /// The session's time stamp: [`StatView::date`] writes it, for the rows that show it.
    pub timestamp: Option<NaiveDateTime>,
}

impl StatView {
    /// The Date column: `yyyy/mm/dd hh:mm:ss`, or [`NO_DATE`].
    pub fn date(&self) -> String {
        self.timestamp.map_or(NO_DATE.to_string(), |t| {
            // Written directly (chrono's strftime per row was slow).
            format!(
                "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
    }
}

/// The placeholder of the Date column (the manual prints `----/-- --:--:--`, one `/--` short).
pub const NO_DATE: &str = "----/--/-- --:--:--";
const NONE: &str = "----";

fn failed_detail(code: &str) -> &'static str {
    match code.to_ascii_uppercase().as_str() {
        "0XBA" => "failed(badsector)",
        "0X1E" | "0X2E" | "0XBB" => "failed(overflow)",
        _ => "failed(other)",
    }
}

fn mode_word(text: &str) -> &'static str {
    match text {
        "auto" => "auto",
        "manual" => "manual",
        _ => NONE,
    }
}

/// `-H`: the halt sub-state (spec §3.1).
fn halt_detail(session: &CopySession) -> String {
    match session.rec.as_ref().map(|r| r.buffer.as_str()) {
        Some(b @ ("use-buffer" | "use-disk-buffer")) => format!("halt({b})"),
        _ if session.phase == "Equivalent" => "halt(equivalent)".into(),
        _ => "halt(sync)".into(),
    }
}

/// The row of a pair per the manual's column rules (spec §4.8).
pub fn view(sessions: &PairSessions, options: ViewOptions) -> StatView {
    let chosen = if options.reverse_only {
        sessions.reverse.as_ref().map(|s| (Direction::Reverse, s))
    } else {
        sessions
            .regular
            .as_ref()
            .map(|s| (Direction::Regular, s))
            .or(sessions.reverse.as_ref().map(|s| (Direction::Reverse, s)))
    };
    let Some((direction, session)) = chosen else {
        return StatView {
            direction: NONE,
            status: NONE.into(),
            execute: NONE.into(),
            trk: NONE,
            update: NONE.into(),
            rcv: NONE,
            split: NONE,
            xfer: NONE,
            snap_gen: NONE.into(),
            copy_da: "off",
            timestamp: None,
        };
    };
    let state = session.state();
    let status = match state {
        PairState::Failed if options.failed_detail => {
            failed_detail(&session.error_code).to_string()
        }
        PairState::Halt if options.halt_detail => halt_detail(session),
        other => other.text().to_string(),
    };
    let percent = |p: Option<u8>| {
        p.map_or(NONE.to_string(), |p| {
            let mut text = p.to_string();
            text.push('%');
            text
        })
    };
    let execute = match state {
        PairState::Snap | PairState::Sync => percent(session.copied_pct),
        PairState::Equivalent => "100%".to_string(),
        _ => NONE.to_string(),
    };
    let snapshot = !session.ctype.is_sync();
    let trk = match (&session.ctype, snapshot) {
        (CopyType::QuickOpc, _) => "on",
        (_, true) => "off",
        _ => NONE,
    };
    let update = match state {
        PairState::Tracking
        | PairState::CopyOnWrite
        | PairState::CopyOnWriteActive
        | PairState::CopyOnWriteInactive => percent(session.update_pct.or(Some(0))),
        _ => NONE.to_string(),
    };
    let rec = session.rec.as_ref();
    StatView {
        direction: direction.text(),
        status,
        execute,
        trk,
        update,
        rcv: rec.map_or(NONE, |r| mode_word(&r.recovery)),
        split: rec.map_or(NONE, |r| mode_word(&r.split)),
        xfer: rec.map_or(NONE, |r| match r.transfer.as_str() {
            "sync" => "sync",
            "through" => "async",
            "stack" => "stack",
            "consistency" => "consist",
            _ => "?????",
        }),
        snap_gen: session
            .generation
            .filter(|_| session.ctype == CopyType::SnapOpcPlus)
            .map_or(NONE.to_string(), |g| g.to_string()),
        copy_da: if session.access == "No Access" {
            "on"
        } else {
            "off"
        },
        timestamp: session.timestamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(ctype: &str, status: &str, phase: &str) -> CopySession {
        CopySession {
            array: "DX1".into(),
            sid: 1,
            ctype: CopyType::parse(ctype),
            source: 0,
            destination: 1,
            generation: None,
            generations: None,
            status: status.into(),
            phase: phase.into(),
            error_code: "0x00".into(),
            copied_pct: Some(45),
            update_pct: Some(6),
            access: "Write".into(),
            timestamp: None,
            rec: None,
        }
    }

    fn row(s: CopySession, o: ViewOptions) -> (String, String, String, String, String) {
        let v = view(
            &PairSessions {
                regular: Some(Arc::new(s)),
                reverse: None,
            },
            o,
        );
        (
            v.direction.to_string(),
            v.status,
            v.execute,
            v.trk.to_string(),
            v.update,
        )
    }

    #[test]
    fn states_follow_the_manual() {
        let d = ViewOptions::default();
        let s = |a: &str, b: &str, c: &str, e: &str, f: &str| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                e.to_string(),
                f.to_string(),
            )
        };
        assert_eq!(
            row(session("OPC", "Active", "Copying"), d),
            s("regular", "snap", "45%", "off", "----")
        );
        assert_eq!(
            row(session("QuickOPC", "Active", "Tracking"), d),
            s("regular", "----", "----", "on", "6%")
        );
        assert_eq!(
            row(session("QuickOPC", "Active", "Tracking & Copy"), d),
            s("regular", "snap", "45%", "on", "----")
        );
        assert_eq!(
            row(session("EC", "Active", "Copying"), d),
            s("regular", "sync", "45%", "----", "----")
        );
        assert_eq!(
            row(session("EC", "Active", "Equivalent"), d),
            s("regular", "equivalent", "100%", "----", "----")
        );
        assert_eq!(
            row(session("EC", "Suspend", "Suspend"), d),
            s("regular", "replicated", "----", "----", "----")
        );
        let mut failed = session("EC", "Error Suspend", "Copying");
        failed.error_code = "0xBA".into();
        assert_eq!(row(failed.clone(), d).1, "failed");
        assert_eq!(
            row(
                failed,
                ViewOptions {
                    failed_detail: true,
                    ..d
                }
            )
            .1,
            "failed(badsector)"
        );
        assert_eq!(row(session("XYZ", "Weird", "?"), d).1, "?????");
    }

    fn rec(status: &str, phase: &str, transfer: &str, split: &str, buffer: &str) -> CopySession {
        let mut s = session("REC", status, phase);
        s.rec = Some(RecInfo {
            source_box: "A".into(),
            destination_box: "B".into(),
            transfer: transfer.into(),
            split: split.into(),
            recovery: "manual".into(),
            buffer: buffer.into(),
            forced: false,
        });
        s
    }

    #[test]
    fn rec_columns_and_halt_detail() {
        let one = |s: CopySession, o: ViewOptions| {
            view(
                &PairSessions {
                    regular: Some(Arc::new(s)),
                    reverse: None,
                },
                o,
            )
        };
        let d = ViewOptions::default();
        let h = ViewOptions {
            halt_detail: true,
            ..d
        };
        let v = one(rec("Active", "Equivalent", "through", "-", "-"), d);
        assert_eq!(
            (v.status.as_str(), v.rcv, v.split, v.xfer, v.trk),
            ("equivalent", "manual", "----", "async", "----")
        );
        let v = one(rec("Active", "Copying", "sync", "auto", "-"), d);
        assert_eq!(
            (v.status.as_str(), v.split, v.xfer),
            ("sync", "auto", "sync")
        );
        assert_eq!(
            one(rec("Halt", "Copying", "stack", "-", "-"), d).status,
            "halt"
        );
        assert_eq!(
            one(rec("Halt", "Copying", "stack", "-", "-"), h).status,
            "halt(sync)"
        );
        assert_eq!(
            one(rec("Halt", "Equivalent", "sync", "auto", "-"), h).status,
            "halt(equivalent)"
        );
        assert_eq!(
            one(
                rec("Halt", "Copying", "consistency", "-", "use-disk-buffer"),
                h
            )
            .status,
            "halt(use-disk-buffer)"
        );
        assert_eq!(
            one(rec("Suspend", "Suspend", "consistency", "-", "-"), d).xfer,
            "consist"
        );
        // EC shows no REC columns.
        let v = one(session("EC", "Active", "Equivalent"), d);
        assert_eq!((v.rcv, v.split, v.xfer), ("----", "----", "----"));
    }

    #[test]
    fn no_session_and_reverse_only() {
        let none = view(&PairSessions::default(), ViewOptions::default());
        assert_eq!(
            (none.direction, none.status.as_str(), none.date().as_str()),
            ("----", "----", NO_DATE)
        );
        let restore = PairSessions {
            regular: Some(Arc::new(session("QuickOPC", "Active", "Tracking"))),
            reverse: Some(Arc::new(session("OPC", "Active", "Copying"))),
        };
        assert_eq!(view(&restore, ViewOptions::default()).direction, "regular");
        let e = view(
            &restore,
            ViewOptions {
                reverse_only: true,
                ..Default::default()
            },
        );
        assert_eq!(
            (e.direction, e.status.as_str(), e.execute.as_str()),
            ("reverse", "snap", "45%")
        );
    }
}
