//! stgmgrinfobkup — back up this agent's management information into the directory
//! stgmgrinfoset registered, laid out as manual Table 7.5 (`<dir>/<server>/<type>/...`),
//! and record when each type was saved for stgmgrinfodisp (manual 8.2.12). Only this
//! Managed Server: `-n` must name it. Runs alone (no other ACM command meanwhile).

use crate::agent::{self, STATUS_FILE};
use crate::args::{valued, Args, Flag};
use crate::messages::AcmError;
use crate::{stgmgrinfoset, Cx, Spec};
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::{backup, backup_repo, replication, repo, scripts};
use std::path::Path;

const FLAGS: &[Flag] = &[valued("-n"), valued("-t")];
/// The data types, in the order stgmgrinfodisp shows them.
pub const TYPES: &[&str] = &["RegiData", "BkupData", "ReplData", "MgrInfoData"];
/// The policy file of manual 7.1.2.1 (saved by `-t MgrInfoData`).
pub const POLICY_FILE: &str = "/etc/opt/FJSVswstf/stgmgrinfo_policy.ini";

pub fn spec() -> Spec {
    Spec {
        name: "stgmgrinfobkup",
        usage: "stgmgrinfobkup [-n serverName] [-t backupType]",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn time_now() -> String {
    arraysync_core::clock::now()
        .format("%y/%m/%d %H:%M:%S")
        .to_string()
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    if !args.operands.is_empty() {
        return Err(AcmError::usage("stgmgrinfobkup takes no operand"));
    }
    let kind = args.value("-t");
    if let Some(t) = kind {
        if !TYPES.contains(&t) {
            return Err(AcmError::usage(format!(
                "-t must be one of RegiData, MgrInfoData, BkupData, ReplData (got {t})"
            )));
        }
        if t == "MgrInfoData" && !args.has("-n") {
            return Err(AcmError::usage(
                "-t MgrInfoData needs -n with the name of this server",
            ));
        }
    }
    let (dir, _) = stgmgrinfoset::registration(cx)?;
    let server = replication::local_server_name(&cx.paths)?;
    if let Some(name) = args.value("-n") {
        if name != server {
            return Err(AcmError::new(
                "swstf3016",
                format!("The server is not this Managed Server ({server}): backups of other servers are not supported. Server name={name}"),
            ));
        }
    }
    let _alone = agent::alone(cx)?;
    let target = agent::rooted(&cx.paths, &dir).join(&server);
    let kinds: Vec<&str> = match kind {
        Some(t) => vec![t],
        None => policy(cx, &server)?,
    };
    cx.println(format!(
        "swstf3014 Backup of management information is started. Start time={}, Server name={server}",
        time_now()
    ));
    for t in &kinds {
        save(cx, &target, t).map_err(|e| {
            AcmError::new(
                "swstf3015",
                format!(
                    "Backup of management information ended abnormally. Server name={server}, Type={t}: {}",
                    e.text
                ),
            )
        })?;
    }
    cx.println(format!(
        "swstf3020 Backup of management information was ended normally. End time={}, Server name={server}",
        time_now()
    ));
    cx.println("swstf3021 The normal end of the backup of management information was carried out by all servers.");
    Ok(())
}

/// The types to save without `-t`: this server's section of the policy file
/// (`BkupData=Yes`, `ReplData=Yes`; anything but exactly `Yes` is No, manual Table 7.4);
/// without a policy file, the management lists this agent has.
fn policy(cx: &Cx, server: &str) -> Result<Vec<&'static str>, AcmError> {
    let file = cx.paths.under_root(POLICY_FILE);
    if !file.exists() {
        return Ok(["BkupData", "ReplData"]
            .into_iter()
            .filter(|t| source_exists(cx, t))
            .collect());
    }
    let ini =
        arraysync_core::ini::Ini::load(&file).map_err(|e| agent::config_error(&e.to_string()))?;
    let wanted = |key: &str| {
        ini.section(server)
            .and_then(|s| s.own(key))
            .is_some_and(|e| e.value == "Yes")
    };
    Ok(["BkupData", "ReplData"]
        .into_iter()
        .filter(|t| wanted(&t.to_lowercase()))
        .collect())
}

fn source_exists(cx: &Cx, kind: &str) -> bool {
    match kind {
        "BkupData" => backup_repo::BackupRepository::path(&cx.paths).is_file(),
        "ReplData" => repo::Repository::path(&cx.paths).is_file(),
        _ => true,
    }
}

/// Builds `<server>/<kind>` in a temporary directory, replaces the old one, records the
/// time in the status file.
fn save(cx: &Cx, server_dir: &Path, kind: &str) -> Result<(), AcmError> {
    std::fs::create_dir_all(server_dir).map_err(|e| agent::io_error(server_dir, &e))?;
    let temp = server_dir.join(format!(".{kind}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let built = build(cx, &temp, kind);
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    let final_dir = server_dir.join(kind);
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(|e| agent::io_error(&final_dir, &e))?;
    }
    std::fs::rename(&temp, &final_dir).map_err(|e| agent::io_error(&final_dir, &e))?;
    let status = server_dir.join(STATUS_FILE);
    let mut entries: Vec<(&str, String)> = Vec::new();
    for t in TYPES {
        let value = if *t == kind {
            Some(time_now())
        } else {
            agent::setting(&status, "status", t)?
        };
        if let Some(v) = value {
            entries.push((t, v));
        }
    }
    agent::write_settings(&status, "status", &entries)
}

fn build(cx: &Cx, dir: &Path, kind: &str) -> Result<(), AcmError> {
    std::fs::create_dir_all(dir).map_err(|e| agent::io_error(dir, &e))?;
    let p = &cx.paths;
    match kind {
        "RegiData" => {
            // Our "registry": the agent's settings, never secrets.
            for file in [
                agent::MANAGER_FILE,
                replication::NODE_FILE,
                arraysync_eternus::device::DEVICES_FILE,
            ] {
                let source = p.under_root(file);
                if source.is_file() {
                    let name = source.file_name().unwrap_or_default();
                    let target = dir.join(name);
                    std::fs::copy(&source, &target).map_err(|e| agent::io_error(&target, &e))?;
                }
            }
        }
        "BkupData" => {
            let db = dir.join("FJSVswsts").join("backup.db");
            if !agent::copy_repository(&backup_repo::BackupRepository::path(p), &db)? {
                return Err(not_operating("backup"));
            }
            agent::copy_files(&p.under_root(backup::SCRIPT_DIR), &dir.join("Scripts"))?;
        }
        "ReplData" => {
            let db = dir.join("FJSVswsrp").join("replication.db");
            if !agent::copy_repository(&repo::Repository::path(p), &db)? {
                return Err(not_operating("replication"));
            }
            agent::copy_files(&p.under_root(scripts::SCRIPT_DIR), &dir.join("Scripts"))?;
        }
        _ => {
            let source = p.under_root(POLICY_FILE);
            let target = dir.join("stgmgrinfo_policy.ini");
            std::fs::copy(&source, &target).map_err(|e| agent::io_error(&source, &e))?;
        }
    }
    Ok(())
}

fn not_operating(function: &str) -> AcmError {
    AcmError::new(
        "swstf3015",
        format!(
            "{function} management is not operating on this server (no {function} management list)"
        ),
    )
}
