//! The `ibmdssnap` resource: FlashCopy through dscli (seed 000), local or remote
//! through a PPRC conduit (seed 003).
//!
//! Vendor calls on the critical path: one `lsflash` and one batched call per target
//! kind (ESE, standard) for a resync, whatever the number of pairs.

use crate::command;
use crate::config::{Credentials, IbmDsConfig, Pair};
use crate::error::{exit_category, IbmDsError};
use crate::parse::{self, Row};
use arraysync_core::config::ResourceConfig;
use arraysync_core::runner::Output;
use arraysync_core::state::Pending;
use arraysync_core::{unsupported, Ctx, Error, Paths, Status, SyncResource};
use chrono::{DateTime, Local};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

pub const TYPE: &str = "ibmdssnap";

/// The step recorded between `rmflash` and `mkflash` (recording = false), so that a rerun
/// after a kill re-creates the removed relationships instead of refusing them as unknown.
const PENDING_MKFLASH: &str = "mkflash";

pub struct IbmDs {
    config: IbmDsConfig,
    credentials: Credentials,
}

/// Builds the resource: keywords, then auth.conf and the pwfile (configuration errors).
pub fn build(section: &ResourceConfig, paths: &Paths) -> Result<Box<dyn SyncResource>, Error> {
    let config = IbmDsConfig::from_section(section)?;
    let credentials = Credentials::load(paths, &config.array)?;
    Ok(Box::new(IbmDs {
        config,
        credentials,
    }))
}

/// What a refresh will do, decided from one lsflash before anything changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// `resyncflash` batches, `(ese, pairs)`.
    pub resync: Vec<(bool, Vec<Pair>)>,
    /// `rmflash` batches (recording = false).
    pub remove: Vec<(bool, Vec<Pair>)>,
    /// `mkflash` batches (recording = false).
    pub create: Vec<(bool, Vec<Pair>)>,
}

/// Plans a resync. Refuses, naming the pairs, when a configured pair is not an existing
/// persistent relationship (or, for incremental resyncs, not a recording one); pairs a
/// killed run already removed (`pending`) are re-created.
pub fn plan(
    config: &IbmDsConfig,
    rows: &HashMap<String, Row>,
    pending: &BTreeMap<Pair, bool>,
) -> Result<Plan, IbmDsError> {
    let mut missing = Vec::new();
    let mut not_persistent = Vec::new();
    let mut not_recording = Vec::new();
    let mut plan = Plan::default();
    for pair in &config.pairs {
        let Some(row) = rows.get(&pair.to_string()) else {
            match pending.get(pair) {
                Some(ese) if !config.recording => push(&mut plan.create, *ese, pair),
                _ => missing.push(pair.to_string()),
            }
            continue;
        };
        let ese = is_ese(row);
        if !enabled(row, "Persistent") {
            not_persistent.push(pair.to_string());
        } else if config.recording && !enabled(row, "Recording") {
            not_recording.push(pair.to_string());
        } else if config.recording {
            push(&mut plan.resync, ese, pair);
        } else {
            push(&mut plan.remove, ese, pair);
            push(&mut plan.create, ese, pair);
        }
    }
    if !missing.is_empty() {
        return Err(IbmDsError::Refused(format!(
            "refuse to resync as {} pairs are not currently configured FlashCopy relationships (create them once with mkflash -record -persist)",
            missing.join(", ")
        )));
    }
    if !not_persistent.is_empty() {
        return Err(IbmDsError::Refused(format!(
            "refuse to resync as {} pairs are not persistent FlashCopy relationships",
            not_persistent.join(", ")
        )));
    }
    if !not_recording.is_empty() {
        return Err(IbmDsError::Refused(format!(
            "refuse to resync as {} pairs have recording disabled: resyncflash needs -record relationships (recreate them with mkflash -record -persist, or set recording = false for full copies)",
            not_recording.join(", ")
        )));
    }
    Ok(plan)
}

/// ESE batches first, as OpenSVC does; each batch keeps the configured pair order.
fn push(batches: &mut Vec<(bool, Vec<Pair>)>, ese: bool, pair: &Pair) {
    match batches.iter_mut().find(|(kind, _)| *kind == ese) {
        Some((_, pairs)) => pairs.push(pair.clone()),
        None => {
            batches.push((ese, vec![pair.clone()]));
            batches.sort_by_key(|(kind, _)| !*kind);
        }
    }
}

fn enabled(row: &Row, column: &str) -> bool {
    row.get(column).is_some_and(|v| v == "Enabled")
}

fn is_ese(row: &Row) -> bool {
    row.get("isTgtSE").is_some_and(|v| v == "ESE")
}

impl IbmDs {
    /// Runs a dscli script; a non-zero exit is an error with the CMU messages it printed.
    fn dscli(&self, cx: &Ctx, script: String, query: bool) -> Result<Output, Error> {
        let mut command = command::dscli(&self.credentials, script, cx.common.timeout);
        if query {
            command = command.query();
        }
        let output = cx.runner.run_status(cx.log, &command)?;
        if output.code != 0 {
            let mut messages = error_messages(&output);
            if messages.is_empty() {
                messages = output
                    .stderr
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            return Err(IbmDsError::Dscli {
                code: output.code,
                category: exit_category(output.code),
                messages,
            }
            .into());
        }
        Ok(output)
    }

    /// One lsflash for every configured pair, keyed by pair id.
    fn lsflash(&self, cx: &Ctx) -> Result<HashMap<String, Row>, Error> {
        let output = self.dscli(cx, command::lsflash(&self.config), true)?;
        let errors = error_messages(&output);
        if !errors.is_empty() {
            return Err(IbmDsError::Messages(errors).into());
        }
        let rows = parse::delim_table(&output.stdout, ',')?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((row.get("ID")?.to_ascii_uppercase(), row)))
            .collect())
    }

    /// Runs a state-changing command and checks every pair was confirmed.
    fn mutate(&self, cx: &Ctx, script: String, pairs: &[Pair]) -> Result<(), Error> {
        let name = script
            .split_whitespace()
            .next()
            .unwrap_or("dscli")
            .to_string();
        let output = self.dscli(cx, script, false)?;
        if cx.dry_run() {
            return Ok(());
        }
        let errors = error_messages(&output);
        if !errors.is_empty() {
            return Err(IbmDsError::Messages(errors).into());
        }
        let confirmed = parse::confirmed_pairs(&output.stdout);
        let unconfirmed: Vec<String> = pairs
            .iter()
            .map(Pair::to_string)
            .filter(|p| !confirmed.contains(p))
            .collect();
        if !unconfirmed.is_empty() {
            return Err(IbmDsError::Unconfirmed {
                command: name,
                pairs: unconfirmed,
            }
            .into());
        }
        Ok(())
    }

    fn pending_pairs(&self, cx: &Ctx) -> Result<BTreeMap<Pair, bool>, Error> {
        let state = cx.state.load()?;
        let Some(pending) = state.pending.filter(|p| p.step == PENDING_MKFLASH) else {
            return Ok(BTreeMap::new());
        };
        Ok(pending
            .items
            .iter()
            .filter_map(|item| {
                let (pair, kind) = item.split_once(' ')?;
                Some((Pair::parse(pair).ok()?, kind == "ESE"))
            })
            .collect())
    }

    /// resync and update: one lsflash, then the batched resyncflash (or rmflash + mkflash).
    fn refresh(&self, cx: &Ctx, action: &str) -> Result<(), Error> {
        let rows = self.lsflash(cx)?;
        let pending = self.pending_pairs(cx)?;
        if !pending.is_empty() {
            cx.log.info(&format!(
                "resuming an interrupted full copy: {} removed relationship(s) to re-create",
                pending.len()
            ));
        }
        let plan = plan(&self.config, &rows, &pending)?;
        for (ese, pairs) in &plan.resync {
            self.mutate(cx, command::resyncflash(&self.config, pairs, *ese), pairs)?;
        }
        if plan.create.is_empty() {
            return Ok(());
        }
        if !cx.dry_run() {
            let items = plan
                .create
                .iter()
                .flat_map(|(ese, pairs)| {
                    pairs
                        .iter()
                        .map(move |p| format!("{p} {}", if *ese { "ESE" } else { "Std" }))
                })
                .collect();
            cx.state.update(|s| {
                s.pending = Some(Pending {
                    action: action.into(),
                    step: PENDING_MKFLASH.into(),
                    items,
                    since: arraysync_core::clock::now(),
                })
            })?;
        }
        for (_, pairs) in &plan.remove {
            self.mutate(cx, command::rmflash(&self.config, pairs), pairs)?;
        }
        for (ese, pairs) in &plan.create {
            self.mutate(cx, command::mkflash(&self.config, pairs, *ese), pairs)?;
        }
        if !cx.dry_run() {
            cx.state.update(|s| s.pending = None)?;
        }
        Ok(())
    }

    fn oldest_sync(
        &self,
        rows: &HashMap<String, Row>,
        reasons: &mut Vec<String>,
    ) -> Option<DateTime<Local>> {
        let mut oldest: Option<DateTime<Local>> = None;
        // Pairs resynced together share their date text: parse each distinct text once.
        let mut last: Option<(&str, Option<DateTime<Local>>)> = None;
        for pair in &self.config.pairs {
            let Some(text) = rows
                .get(&pair.to_string())
                .and_then(|r| r.get("DateSynced"))
            else {
                continue;
            };
            let date = match last {
                Some((seen, date)) if seen == text => date,
                _ => parse::flash_date(text),
            };
            last = Some((text, date));
            match date {
                Some(date) => oldest = Some(oldest.map_or(date, |o| o.min(date))),
                None => reasons.push(format!("unreadable DateSynced '{text}' on {pair}")),
            }
        }
        oldest
    }
}

/// Error-level CMU messages from stdout and stderr.
fn error_messages(output: &Output) -> Vec<String> {
    parse::messages(&output.stdout)
        .into_iter()
        .chain(parse::messages(&output.stderr))
        .filter(|m| m.severity == 'E')
        .map(|m| m.line())
        .collect()
}

fn describe(what: &str, pairs: Vec<String>, reasons: &mut Vec<String>) {
    if !pairs.is_empty() {
        reasons.push(format!("{what} on {}", pairs.join(", ")));
    }
}

impl SyncResource for IbmDs {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn label(&self) -> String {
        let pairs: Vec<String> = self.config.pairs.iter().map(Pair::to_string).collect();
        let kind = if self.config.conduit.is_some() {
            "remote flash copy"
        } else {
            "flash copy"
        };
        format!("{kind} {}", pairs.join(","))
    }

    fn settings(&self) -> Vec<(String, String)> {
        let mut settings = vec![
            ("array".to_string(), self.config.array.clone()),
            (
                "pairs".to_string(),
                self.config
                    .pairs
                    .iter()
                    .map(Pair::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ("bgcopy".to_string(), self.config.bgcopy.to_string()),
            ("recording".to_string(), self.config.recording.to_string()),
            (
                "dscli".to_string(),
                self.credentials.dscli.display().to_string(),
            ),
            ("hmc1".to_string(), self.credentials.hmc1.clone()),
            (
                "hmc2".to_string(),
                self.credentials.hmc2.clone().unwrap_or_default(),
            ),
            ("username".to_string(), self.credentials.username.clone()),
            (
                "pwfile".to_string(),
                self.credentials.pwfile.display().to_string(),
            ),
        ];
        if let Some(conduit) = &self.config.conduit {
            settings.push(("conduit".to_string(), conduit.clone()));
        }
        settings
    }

    /// FlashCopy targets are array volume ids; their host device names are not known here.
    fn target_devices(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Seed 000: up when the oldest DateSynced is younger than sync_max_delay; warn when
    /// older, or when a pair is missing, not Valid, not persistent, or recording differs.
    fn status(&self, cx: &Ctx) -> Result<Status, Error> {
        let rows = self.lsflash(cx)?;
        let mut reasons = Vec::new();
        let (mut missing, mut recording, mut persistent, mut invalid) =
            (vec![], vec![], vec![], vec![]);
        let mut info = Vec::new();
        for pair in &self.config.pairs {
            let id = pair.to_string();
            let Some(row) = rows.get(&id) else {
                missing.push(id);
                continue;
            };
            if enabled(row, "Recording") != self.config.recording {
                recording.push(id.clone());
            }
            if !enabled(row, "Persistent") {
                persistent.push(id.clone());
            }
            match row.get("State") {
                Some("Valid") => {}
                other => invalid.push(format!("{id} ({})", other.unwrap_or("no state"))),
            }
            if let Some(tracks) = row.get("OutOfSyncTracks").filter(|t| *t != "0") {
                info.push(format!(
                    "background copy in progress on {id}: {tracks} tracks to copy"
                ));
            }
        }
        let recording_word = if self.config.recording {
            "Recording disabled"
        } else {
            "Recording enabled"
        };
        describe(recording_word, recording, &mut reasons);
        describe("State not valid", invalid, &mut reasons);
        describe("Persistent disabled", persistent, &mut reasons);
        describe("Missing flashcopy", missing, &mut reasons);
        let last = self.oldest_sync(&rows, &mut reasons);
        let mut status = Status::from_last_sync(last, cx.common.sync_max_delay, cx.now(), reasons);
        status.info = info;
        Ok(status)
    }

    fn resync(&self, cx: &Ctx) -> Result<(), Error> {
        self.refresh(cx, "sync_resync")
    }

    fn update(&self, cx: &Ctx) -> Result<(), Error> {
        self.refresh(cx, "sync_update")
    }

    fn sync_break(&self, _cx: &Ctx) -> Result<(), Error> {
        Err(unsupported(
            "sync break",
            TYPE,
            "a FlashCopy target is a point-in-time copy, readable and writable as soon as the relationship is established; there is no replication to split (use 'sync resync' to refresh it)",
        ))
    }

    fn restore(&self, _cx: &Ctx) -> Result<(), Error> {
        Err(unsupported(
            "sync restore",
            TYPE,
            "restoring a source means reverseflash, which reverses the relationship direction; run it with dscli and re-create the relationships",
        ))
    }

    /// Before the service uses the targets: check every relationship exists and is valid,
    /// so a service never starts on a target that holds no copy.
    fn start(&self, cx: &Ctx) -> Result<(), Error> {
        let rows = self.lsflash(cx)?;
        let mut problems = Vec::new();
        for pair in &self.config.pairs {
            match rows.get(&pair.to_string()).and_then(|r| r.get("State")) {
                Some("Valid") => {}
                Some(state) => problems.push(format!("{pair} ({state})")),
                None => problems.push(format!("{pair} (no relationship)")),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Failed(format!(
                "flash copy targets not usable: {}",
                problems.join(", ")
            )));
        }
        let mut reasons = Vec::new();
        let last = self.oldest_sync(&rows, &mut reasons);
        let when = last.map_or("an unknown time".to_string(), |d| {
            d.format("%Y-%m-%d %H:%M:%S").to_string()
        });
        cx.log.info(&format!(
            "flash copy targets hold the point-in-time copy of {when}; nothing to split on the array"
        ));
        Ok(())
    }

    /// Nothing to do on the array: the relationships stay for the next resync.
    fn stop(&self, cx: &Ctx) -> Result<(), Error> {
        cx.log.info("nothing to do on the array for stop: the FlashCopy relationships are kept for the next resync");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(recording: bool) -> IbmDsConfig {
        IbmDsConfig {
            array: "IBM.X".into(),
            pairs: ["0001:0002", "0101:0102", "0003:0004"]
                .iter()
                .map(|p| Pair::parse(p).expect("pair"))
                .collect(),
            bgcopy: true,
            recording,
            conduit: None,
        }
    }

    fn row(id: &str, recording: &str, ese: bool) -> (String, Row) {
        let row = Row::from_fields(&[
            ("ID", id),
            ("Recording", recording),
            ("Persistent", "Enabled"),
            ("isTgtSE", if ese { "ESE" } else { "Std" }),
        ]);
        (id.to_string(), row)
    }

    fn pairs(ids: &[&str]) -> Vec<Pair> {
        ids.iter().map(|p| Pair::parse(p).expect("pair")).collect()
    }

    #[test]
    fn incremental_resync_batches_ese_first() {
        let rows = [
            row("0001:0002", "Enabled", false),
            row("0101:0102", "Enabled", true),
            row("0003:0004", "Enabled", false),
        ]
        .into();
        let plan = plan(&config(true), &rows, &BTreeMap::new()).expect("plan");
        assert_eq!(
            plan.resync,
            vec![
                (true, pairs(&["0101:0102"])),
                (false, pairs(&["0001:0002", "0003:0004"]))
            ]
        );
        assert!(plan.remove.is_empty() && plan.create.is_empty());
    }

    #[test]
    fn missing_pairs_are_refused_by_name() {
        let rows = [row("0001:0002", "Enabled", false)].into();
        let err = plan(&config(true), &rows, &BTreeMap::new()).unwrap_err();
        assert!(
            err.to_string()
                .contains("0101:0102, 0003:0004 pairs are not currently configured"),
            "{err}"
        );
    }

    #[test]
    fn recording_disabled_relationships_are_refused_for_incremental_resync() {
        let rows = [
            row("0001:0002", "Disabled", false),
            row("0101:0102", "Enabled", false),
            row("0003:0004", "Enabled", false),
        ]
        .into();
        let err = plan(&config(true), &rows, &BTreeMap::new()).unwrap_err();
        assert!(
            err.to_string()
                .contains("0001:0002 pairs have recording disabled"),
            "{err}"
        );
    }

    #[test]
    fn full_copy_removes_then_creates_and_resumes_pending_pairs() {
        let rows = [row("0001:0002", "Disabled", false)].into();
        let pending = [
            (Pair::parse("0101:0102").expect("pair"), true),
            (Pair::parse("0003:0004").expect("pair"), false),
        ]
        .into();
        let plan = plan(&config(false), &rows, &pending).expect("plan");
        assert_eq!(plan.remove, vec![(false, pairs(&["0001:0002"]))]);
        assert_eq!(
            plan.create,
            vec![
                (true, pairs(&["0101:0102"])),
                (false, pairs(&["0001:0002", "0003:0004"]))
            ]
        );
    }
}
