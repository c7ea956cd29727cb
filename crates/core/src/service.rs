//! The service layer around the drivers: loading and validating a service, `--rid`
//! selection, the per-service lock, the service-down precondition, `sync_min_delay`,
//! triggers, dry-run, and status aggregation.

use crate::config::{ResourceConfig, ServiceConfig};
use crate::duration::format_duration;
use crate::error::{ConfigError, Error};
use crate::lock::ServiceLock;
use crate::log::Logger;
use crate::paths::Paths;
use crate::registry::Registry;
use crate::resource::{is_older_than, Common, Ctx, State, Status, SyncResource};
use crate::runner::{Runner, VendorCommand};
use crate::state::{Durability, StateFile};
use crate::trigger::{parse_command, run_triggers, triggers_for, When};
use chrono::{DateTime, Local};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How far in the future a recorded time may be before it is taken as a clock step back.
const FUTURE_TOLERANCE_SECS: i64 = 60;

/// Timeout of service-level triggers and of `[app#N]` checks.
const SERVICE_COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// The actions of the SyncResource trait, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Resync,
    Update,
    Break,
    Restore,
    Start,
    Stop,
}

impl Action {
    /// OpenSVC's method name, used in trigger keywords (`pre_sync_resync`).
    pub fn method(self) -> &'static str {
        match self {
            Action::Resync => "sync_resync",
            Action::Update => "sync_update",
            Action::Break => "sync_break",
            Action::Restore => "sync_restore",
            Action::Start => "start",
            Action::Stop => "stop",
        }
    }

    /// Actions that overwrite what the service's users see: refused while it runs.
    pub fn needs_service_down(self) -> bool {
        matches!(self, Action::Resync | Action::Update | Action::Restore)
    }

    /// Actions that refresh the copy, guarded by `sync_min_delay`.
    pub fn is_refresh(self) -> bool {
        matches!(self, Action::Resync | Action::Update)
    }

    fn call(self, resource: &dyn SyncResource, cx: &Ctx) -> Result<(), Error> {
        match self {
            Action::Resync => resource.resync(cx),
            Action::Update => resource.update(cx),
            Action::Break => resource.sync_break(cx),
            Action::Restore => resource.restore(cx),
            Action::Start => resource.start(cx),
            Action::Stop => resource.stop(cx),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.method().replace('_', " "))
    }
}

/// A sync resource with its common settings.
pub struct Loaded {
    pub common: Common,
    pub resource: Box<dyn SyncResource>,
}

/// A loaded, validated service.
pub struct Service {
    pub config: ServiceConfig,
    pub resources: Vec<Loaded>,
    /// Unknown keywords and other non-fatal findings.
    pub warnings: Vec<String>,
}

/// Options of an action run.
#[derive(Debug, Clone)]
pub struct ActionOptions {
    pub rids: Vec<String>,
    pub force: bool,
    pub dry_run: bool,
    pub waitlock: Duration,
}

impl Service {
    /// Loads `<etc>/<name>.conf`, validates every sync section against its type and builds
    /// the resources. Every configuration error is reported, not just the first.
    pub fn load(paths: &Paths, registry: &Registry, name: &str) -> Result<Service, Error> {
        let config = ServiceConfig::load(paths, name)?;
        let mut warnings = Vec::new();
        let mut errors: Vec<ConfigError> = Vec::new();
        let mut resources = Vec::new();
        for section in config.sync_resources() {
            match load_resource(paths, registry, &section, &mut warnings) {
                Ok(loaded) => resources.push(loaded),
                Err(mut found) => errors.append(&mut found),
            }
        }
        errors.extend(check_service_triggers(&config));
        match errors.len() {
            0 => Ok(Service {
                config,
                resources,
                warnings,
            }),
            _ => Err(Error::ConfigList(errors)),
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The resources named by `--rid` (all when empty). Unknown rids are a usage error.
    pub fn select(&self, rids: &[String]) -> Result<Vec<&Loaded>, Error> {
        if rids.is_empty() {
            return Ok(self.resources.iter().collect());
        }
        let mut selected = Vec::new();
        for rid in rids {
            let rid = rid.to_lowercase();
            let found = self
                .resources
                .iter()
                .find(|r| r.common.rid == rid)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--rid {rid}: no such sync resource in service {} (have: {})",
                        self.name(),
                        self.resources
                            .iter()
                            .map(|r| r.common.rid.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            if !selected
                .iter()
                .any(|r: &&Loaded| r.common.rid == found.common.rid)
            {
                selected.push(found);
            }
        }
        selected.sort_by_key(|r| {
            self.resources
                .iter()
                .position(|x| x.common.rid == r.common.rid)
        });
        Ok(selected)
    }

    fn state_file(&self, paths: &Paths, rid: &str) -> StateFile {
        StateFile::new(&paths.service_state_dir(self.name()), rid)
    }

    /// Runs an action on the selected resources, under the service lock.
    pub fn run_action(
        &self,
        paths: &Paths,
        action: Action,
        opts: &ActionOptions,
        log: &Logger,
    ) -> Result<(), Error> {
        let _span = log.span("service", &action.to_string()).entered();
        let selected = self.select(&opts.rids)?;
        if selected.is_empty() {
            return Err(Error::Failed(format!(
                "service {} has no sync resource",
                self.name()
            )));
        }
        let lock = ServiceLock::acquire(
            &paths.lock_dir(),
            self.name(),
            &action.to_string(),
            opts.waitlock,
        )?;
        if let Some(stale) = lock.stale_holder() {
            log.warning(&format!(
                "previous run pid {} ({}, since {}) ended without releasing the lock (killed?): \
                 its record was cleared; this run finishes what it left undone",
                stale.pid, stale.action, stale.since
            ));
        }
        let runner = Runner {
            dry_run: opts.dry_run,
        };
        if action.needs_service_down() {
            self.check_service_down(paths, &selected, log, opts.dry_run)?;
        }
        if action.is_refresh() && !opts.force {
            for loaded in &selected {
                self.check_min_delay(paths, loaded, crate::clock::now(), log)?;
            }
        }
        let env = trigger_env(self.name(), action, None);
        let service_triggers =
            |when| triggers_for(&self.config.ini, "DEFAULT", action.method(), when);
        run_triggers(
            &runner,
            log,
            &service_triggers(When::Pre)?,
            &env,
            SERVICE_COMMAND_TIMEOUT,
        )?;
        for loaded in selected {
            self.run_on_resource(paths, action, loaded, &runner, log)?;
        }
        run_triggers(
            &runner,
            log,
            &service_triggers(When::Post)?,
            &env,
            SERVICE_COMMAND_TIMEOUT,
        )
    }

    fn run_on_resource(
        &self,
        paths: &Paths,
        action: Action,
        loaded: &Loaded,
        runner: &Runner,
        log: &Logger,
    ) -> Result<(), Error> {
        let common = &loaded.common;
        let rlog = log.child(&common.rid);
        let _span = rlog.span("resource", &loaded.resource.label()).entered();
        if common.disabled {
            rlog.info(&format!(
                "{action} skipped: resource disabled (disable = true)"
            ));
            return Ok(());
        }
        let section = self
            .config
            .ini
            .section(&self.section_name(&common.rid))
            .map(|s| s.name.clone());
        let resource_triggers = |when| match &section {
            Some(name) => triggers_for(&self.config.ini, name, action.method(), when),
            None => Ok(Vec::new()),
        };
        let env = trigger_env(self.name(), action, Some(&common.rid));
        run_triggers(
            runner,
            &rlog,
            &resource_triggers(When::Pre)?,
            &env,
            common.timeout,
        )?;
        let state = self.state_file(paths, &common.rid);
        let cx = Ctx {
            log: &rlog,
            runner,
            paths,
            common,
            state: &state,
        };
        if !runner.dry_run {
            state.check_writable()?;
        }
        let started = crate::clock::now();
        let stopwatch = std::time::Instant::now();
        let calls_before = crate::runner::vendor_calls();
        let result = action.call(loaded.resource.as_ref(), &cx);
        if !runner.dry_run {
            // Metrics only: a failure to record must not fail the action.
            let _ = crate::metrics::LastAction::finished(
                action.method(),
                started,
                stopwatch.elapsed(),
                result.is_ok(),
                crate::runner::vendor_calls().saturating_sub(calls_before),
            )
            .save(paths, self.name(), &common.rid);
        }
        result?;
        if action.is_refresh() && !runner.dry_run {
            // Advisory (sync_min_delay only): atomic, not worth two fsyncs per resync.
            state
                .update_with(Durability::Atomic, |s| {
                    s.last_resync = Some(crate::clock::now())
                })
                .map_err(|e| {
                    Error::Failed(format!(
                        "{action} was done on the array, but recording its time failed: {e}; \
                         sync_min_delay will not see this resync (a rerun with --force redoes it)"
                    ))
                })?;
        }
        run_triggers(
            runner,
            &rlog,
            &resource_triggers(When::Post)?,
            &env,
            common.timeout,
        )
    }

    fn section_name(&self, rid: &str) -> String {
        self.config
            .sections_of("sync")
            .into_iter()
            .find(|s| s.name.to_lowercase() == rid)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| rid.to_string())
    }

    fn check_min_delay(
        &self,
        paths: &Paths,
        loaded: &Loaded,
        now: DateTime<Local>,
        log: &Logger,
    ) -> Result<(), Error> {
        let common = &loaded.common;
        let Some(last) = self.state_file(paths, &common.rid).load()?.last_resync else {
            return Ok(());
        };
        if last > now + chrono::Duration::seconds(FUTURE_TOLERANCE_SECS) {
            // The clock was stepped back: a future time would block resyncs until the
            // clock catches up. Unknown is the honest reading (issue 8).
            log.child(&common.rid).warning(&format!(
                "last resync time {} is in the future (clock stepped back?): treated as \
                 unknown, sync_min_delay not applied",
                last.format("%Y-%m-%d %H:%M:%S")
            ));
            return Ok(());
        }
        if is_older_than(last, common.sync_min_delay, now) {
            return Ok(());
        }
        Err(Error::Failed(format!(
            "{}: last resync on {}, less than {} ago (sync_min_delay): refused; --force bypasses this protection",
            common.rid,
            last.format("%Y-%m-%d %H:%M:%S"),
            format_duration(common.sync_min_delay)
        )))
    }

    /// DESIGN §4: no `[fs#N]` mounted, no `[app#N]` check reporting running, no target
    /// device mounted or held open. `--force` does not bypass it.
    fn check_service_down(
        &self,
        paths: &Paths,
        selected: &[&Loaded],
        log: &Logger,
        dry_run: bool,
    ) -> Result<(), Error> {
        let mounts = read_mounts(&paths.mounts_file());
        let mut blockers = Vec::new();
        for fs in self.config.sections_of("fs") {
            for key in ["mnt", "dev"] {
                if let Some(entry) = fs.own(key) {
                    let path = Path::new(&entry.value);
                    if mounts.iter().any(|m| m.target == path || m.source == path) {
                        blockers.push(format!("{}: {} is mounted", fs.name, entry.value));
                        break;
                    }
                }
            }
        }
        for app in self.config.sections_of("app") {
            if let Some(argv) = app_check_command(app)? {
                if dry_run {
                    // A dry run runs no command of the service's own (issue 8).
                    log.info(&format!(
                        "dry run: {} check not run: {}",
                        app.name,
                        argv.join(" ")
                    ));
                    continue;
                }
                let (program, args) = argv
                    .split_first()
                    .ok_or_else(|| Error::Failed("empty app check".into()))?;
                let command =
                    VendorCommand::new(program, args.to_vec(), SERVICE_COMMAND_TIMEOUT).query();
                let running = Runner::default()
                    .run_status(log, &command)
                    .map(|o| o.code == 0);
                match running {
                    Ok(true) => blockers.push(format!("{}: check reports running", app.name)),
                    Ok(false) => {}
                    Err(e) => blockers.push(format!("{}: check could not run ({e})", app.name)),
                }
            }
        }
        for loaded in selected {
            for device in loaded.resource.target_devices() {
                if mounts.iter().any(|m| m.source == device) {
                    blockers.push(format!(
                        "{}: target {} is mounted",
                        loaded.common.rid,
                        device.display()
                    ));
                } else if let Some(pid) = held_open_by(&device) {
                    blockers.push(format!(
                        "{}: target {} is open by pid {pid}",
                        loaded.common.rid,
                        device.display()
                    ));
                }
            }
        }
        if blockers.is_empty() {
            return Ok(());
        }
        Err(Error::Failed(format!(
            "service {} is not down ({}): stop it first; --force does not bypass this check",
            self.name(),
            blockers.join("; ")
        )))
    }

    /// Queries every selected resource. Query errors become a warn status with the reason.
    pub fn status(
        &self,
        paths: &Paths,
        rids: &[String],
        log: &Logger,
    ) -> Result<ServiceReport, Error> {
        let runner = Runner::default();
        let mut resources = Vec::new();
        for loaded in self.select(rids)? {
            let common = &loaded.common;
            let rlog = log.child(&common.rid);
            let state = self.state_file(paths, &common.rid);
            let cx = Ctx {
                log: &rlog,
                runner: &runner,
                paths,
                common,
                state: &state,
            };
            let (status, query_error) = if common.disabled {
                (
                    Status {
                        state: State::NotApplicable,
                        reasons: vec!["disabled".into()],
                        info: vec![],
                        last_sync: None,
                    },
                    None,
                )
            } else {
                match loaded.resource.status(&cx) {
                    Ok(status) => (status, None),
                    Err(e) => (
                        Status {
                            state: State::Warn,
                            reasons: vec![format!("status query failed: {e}")],
                            info: vec![],
                            last_sync: None,
                        },
                        Some(e.to_string()),
                    ),
                }
            };
            resources.push(ResourceReport {
                rid: common.rid.clone(),
                rtype: common.rtype.clone(),
                label: loaded.resource.label(),
                status,
                query_error,
            });
        }
        let state = aggregate(resources.iter().map(|r| r.status.state));
        Ok(ServiceReport {
            service: self.name().to_string(),
            state,
            resources,
        })
    }
}

fn load_resource(
    paths: &Paths,
    registry: &Registry,
    section: &ResourceConfig,
    warnings: &mut Vec<String>,
) -> Result<Loaded, Vec<ConfigError>> {
    let rtype = section.rtype().map_err(|e| vec![e])?;
    let driver = registry.get(rtype).ok_or_else(|| {
        vec![section.error(
            "type",
            format!(
                "unknown resource type '{rtype}' (known: {})",
                registry.types().join(", ")
            ),
        )]
    })?;
    let (mut found_warnings, errors) = section.check_keywords(driver.keywords);
    warnings.append(&mut found_warnings);
    let mut errors = errors;
    errors.extend(check_resource_triggers(section));
    if !errors.is_empty() {
        return Err(errors);
    }
    let common = Common::from_config(section).map_err(|e| vec![e])?;
    match (driver.build)(section, paths) {
        Ok(resource) => Ok(Loaded { common, resource }),
        Err(Error::Config(e)) => Err(vec![e]),
        Err(Error::ConfigList(list)) => Err(list),
        Err(other) => Err(vec![ConfigError::new(
            section.location("type"),
            other.to_string(),
        )]),
    }
}

fn check_trigger_section(config_ini: &crate::ini::Ini, section: &str) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for action in crate::config::TRIGGER_ACTIONS {
        for when in [When::Pre, When::Post] {
            if let Err(e) = triggers_for(config_ini, section, action, when) {
                errors.push(e);
            }
        }
    }
    errors
}

fn check_service_triggers(config: &ServiceConfig) -> Vec<ConfigError> {
    check_trigger_section(&config.ini, "DEFAULT")
}

fn check_resource_triggers(section: &ResourceConfig) -> Vec<ConfigError> {
    check_trigger_section(section.ini, &section.section.name)
}

/// `check = <command>`, or `check = true` with `script = <path>` meaning `<script> status`.
fn app_check_command(app: &crate::ini::Section) -> Result<Option<Vec<String>>, Error> {
    let Some(check) = app.own("check") else {
        return Ok(None);
    };
    match crate::config::parse_bool(&check.value) {
        Some(false) => Ok(None),
        Some(true) => match app.own("script") {
            Some(script) => Ok(Some(vec![script.value.clone(), "status".into()])),
            None => Ok(None),
        },
        None => parse_command(&check.value)
            .map(Some)
            .map_err(|e| Error::Failed(format!("[{}] check: {e}", app.name))),
    }
}

fn trigger_env(service: &str, action: Action, rid: Option<&str>) -> Vec<(String, String)> {
    let mut env = vec![
        ("OPENSVC_SVCNAME".to_string(), service.to_string()),
        ("OPENSVC_ACTION".to_string(), action.method().to_string()),
        ("ARRAYSYNC_SVCNAME".to_string(), service.to_string()),
        ("ARRAYSYNC_ACTION".to_string(), action.method().to_string()),
    ];
    if let Some(rid) = rid {
        env.push(("OPENSVC_RID".to_string(), rid.to_string()));
        env.push(("ARRAYSYNC_RID".to_string(), rid.to_string()));
    }
    env
}

/// One mount table entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub source: PathBuf,
    pub target: PathBuf,
}

/// Reads a `/proc/self/mounts`-format file; a missing file means nothing is mounted.
pub fn read_mounts(path: &Path) -> Vec<Mount> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let source = unescape_mount_field(fields.next()?);
            let target = unescape_mount_field(fields.next()?);
            Some(Mount {
                source: source.into(),
                target: target.into(),
            })
        })
        .collect()
}

/// The kernel writes space, tab, newline and backslash as `\040`-style octal escapes.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(value) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The pid of a process holding `device` open, by scanning `/proc/*/fd`.
fn held_open_by(device: &Path) -> Option<u32> {
    let device = device.canonicalize().ok()?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == device))
        {
            return Some(pid);
        }
    }
    None
}

/// The worst state, ignoring n/a (n/a when nothing else).
pub fn aggregate(states: impl Iterator<Item = State>) -> State {
    states.max().unwrap_or(State::NotApplicable)
}

/// Status of one resource.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceReport {
    pub rid: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub label: String,
    #[serde(flatten)]
    pub status: Status,
    /// Set when the array could not be queried (monitoring reports "unknown").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_error: Option<String>,
}

/// Status of a service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub service: String,
    #[serde(rename = "status")]
    pub state: State,
    pub resources: Vec<ResourceReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_are_read_with_octal_escapes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("mounts");
        std::fs::write(
            &file,
            "/dev/sdb1 /mnt/my\\040data ext4 rw 0 0\nproc /proc proc rw 0 0\n",
        )
        .expect("write");
        let mounts = read_mounts(&file);
        assert_eq!(mounts[0].target, PathBuf::from("/mnt/my data"));
        assert_eq!(mounts[1].source, PathBuf::from("proc"));
        assert!(read_mounts(&dir.path().join("absent")).is_empty());
    }

    #[test]
    fn aggregate_takes_the_worst() {
        assert_eq!(
            aggregate([State::Up, State::Warn, State::NotApplicable].into_iter()),
            State::Warn
        );
        assert_eq!(aggregate(std::iter::empty()), State::NotApplicable);
    }
}
