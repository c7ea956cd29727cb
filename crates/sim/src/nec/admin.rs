//! Admin commands of the NEC iSM emulator.
//!
//! ```text
//! arraysim setup necism --root DIR [--array D1_10] [--pairs N] [--service iiststnec02]
//!                [--no-service]
//! arraysim necism list
//! arraysim necism show [ARRAY]
//! arraysim necism state SV STATE [--for DURATION] [--then STATE]
//! arraysim necism unlink LV
//! arraysim necism link LV SV
//! arraysim necism host [--registered yes|no] [--vollist yes|no]
//! ```
//! Setup adds to an existing root: the iSM programs symlinked into `DIR/usr/bin`, the
//! array with seed 001's base volumes, SVs and LVs (or N generated pairs), each SV's
//! initial snapshot taken and its LV linked, the host agent registered with its volume
//! list built, and the service config `DIR/etc/arraysync/<service>.conf` from
//! `etc-templates/iiststnec02.conf` (its `devs` listing the pairs).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};

use super::model::{self, Array, Role, Snap, Volume};
use super::PROGRAMS;
use crate::clock::{self, Clock};
use crate::invocation::outln;
use crate::store::{Store, StoreError};

const SERVICE_TEMPLATE: &str = include_str!("../../../../etc-templates/iiststnec02.conf");
const SEED_SERVICE: &str = "iiststnec02";

/// Seed 001's pairs: (BV, SV, LV).
const SEED_PAIRS: &[(&str, &str, &str)] = &[
    ("SOURCE_0001", "SOURCE_0001_SV006D", "SOURCE_0001_LV00A6"),
    ("SOURCE_0002", "SOURCE_0002_SV0055", "SOURCE_0002_LV009E"),
];

#[derive(Parser, Debug)]
#[command(
    name = "arraysim setup necism",
    about = "Make DIR a sandbox root with an emulated NEC iStorage array"
)]
struct SetupArgs {
    #[arg(long)]
    root: PathBuf,
    #[arg(long, default_value = "D1_10")]
    array: String,
    /// Number of BV/SV/LV sets; the first two are seed 001's.
    #[arg(long, default_value_t = 2)]
    pairs: usize,
    /// Name of the service config written (its devs list the pairs).
    #[arg(long, default_value = SEED_SERVICE)]
    service: String,
    #[arg(long)]
    no_service: bool,
}

#[derive(Parser, Debug)]
#[command(name = "arraysim necism")]
struct NecCli {
    #[command(subcommand)]
    cmd: NecCmd,
}

#[derive(Subcommand, Debug)]
enum NecCmd {
    /// List the emulated arrays.
    List,
    /// Dump an array's state as JSON (the first array when none is named).
    Show { array: Option<String> },
    /// Put an SV's snapshot in a state, for a while (--for) or until changed.
    State {
        sv: String,
        state: String,
        /// How long the state lasts (90s, 10m, 2h); then --then.
        #[arg(long = "for")]
        duration: Option<String>,
        #[arg(long, default_value = model::ACTIVE)]
        then: String,
    },
    /// Unlink an LV behind the tool's back.
    Unlink { lv: String },
    /// Link an LV to an SV behind the tool's back.
    Link { lv: String, sv: String },
    /// Show or change the host agent registration and the volume list.
    Host {
        #[arg(long)]
        registered: Option<String>,
        #[arg(long)]
        vollist: Option<String>,
    },
}

fn parse<T: Parser>(name: &str, args: &[String]) -> anyhow::Result<T> {
    let argv = std::iter::once(name.to_string()).chain(args.iter().cloned());
    T::try_parse_from(argv).map_err(|e| anyhow!("{}", e.render().to_string().trim_end()))
}

/// NEC arrays have no copy rate: snapshots are immediate.
pub fn set_rate(_store: &Store, _array: &str, _rate: u64) -> anyhow::Result<bool> {
    Ok(false)
}

pub fn get_rate(_store: &Store, _array: &str) -> anyhow::Result<Option<u64>> {
    Ok(None)
}

fn yes_no(v: &str) -> anyhow::Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "built" => Ok(true),
        "no" | "off" | "false" | "missing" => Ok(false),
        _ => bail!("expected yes or no, got {v:?}"),
    }
}

pub fn admin(store: &Store, args: &[String]) -> anyhow::Result<()> {
    let cli: NecCli = parse("arraysim necism", args)?;
    let now = Clock::load(store)?.now();
    match cli.cmd {
        NecCmd::List => {
            for name in model::list(store)? {
                outln(&name);
            }
        }
        NecCmd::Show { array } => {
            let name = match array {
                Some(name) => name,
                None => model::list(store)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| anyhow!("no emulated NEC array"))?,
            };
            let array = model::load(store, &name)?
                .ok_or_else(|| anyhow!("no emulated NEC array {name}"))?;
            outln(&serde_json::to_string_pretty(&array)?);
        }
        NecCmd::State {
            sv,
            state,
            duration,
            then,
        } => {
            let until = match duration {
                Some(d) => {
                    Some(now.saturating_add(clock::parse_duration(&d).map_err(anyhow::Error::msg)?))
                }
                None => None,
            };
            on_volume(store, &sv, now, |a| {
                a.volume(&sv, Role::Sv).map_err(|r| anyhow!(r.text))?;
                a.seq += 1;
                let seq = a.seq;
                let volume = a
                    .volumes
                    .get_mut(&sv)
                    .ok_or_else(|| anyhow!("no SV {sv}"))?;
                let snap = volume.snap.get_or_insert(Snap {
                    state: String::new(),
                    since: now,
                    seq,
                    until: None,
                    then: None,
                });
                snap.state = state.clone();
                snap.since = now;
                snap.until = until;
                snap.then = until.map(|_| then.clone());
                Ok(())
            })?;
        }
        NecCmd::Unlink { lv } => on_volume(store, &lv, now, |a| {
            a.unlink(&lv).map_err(|r| anyhow!(r.text))
        })?,
        NecCmd::Link { lv, sv } => on_volume(store, &lv, now, |a| {
            a.link(&lv, &sv).map_err(|r| anyhow!(r.text))
        })?,
        NecCmd::Host {
            registered,
            vollist,
        } => {
            let registered = registered.as_deref().map(yes_no).transpose()?;
            let vollist = vollist.as_deref().map(yes_no).transpose()?;
            let host = model::update_host(store, |h| {
                if let Some(r) = registered {
                    h.registered = r;
                }
                if let Some(v) = vollist {
                    h.vollist = v;
                }
                h.clone()
            })?;
            outln(&format!(
                "host agent {}, volume list {}",
                if host.registered {
                    "registered"
                } else {
                    "not registered"
                },
                if host.vollist { "built" } else { "missing" }
            ));
        }
    }
    Ok(())
}

/// Changes the array holding `volume`.
fn on_volume(
    store: &Store,
    volume: &str,
    now: i64,
    f: impl FnOnce(&mut Array) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = model::locate(store, volume)?
        .ok_or_else(|| anyhow!("no volume {volume} in any emulated NEC array"))?;
    model::update(store, &name, |a: &mut Array| {
        a.settle(now);
        f(a)
    })?
    .ok_or_else(|| anyhow!("array {name} vanished"))
}

/// (BV, SV, LV) of pair `i` (1-based): seed 001's first, then generated names.
fn pair_names(i: usize) -> (String, String, String) {
    match SEED_PAIRS.get(i.wrapping_sub(1)) {
        Some((bv, sv, lv)) => (bv.to_string(), sv.to_string(), lv.to_string()),
        None => (
            format!("SOURCE_{i:04}"),
            format!("SOURCE_{i:04}_SV{:04X}", 0x100 + i),
            format!("SOURCE_{i:04}_LV{:04X}", 0x200 + i),
        ),
    }
}

fn report(what: &str, path: &Path) {
    outln(&format!("{what} {}", path.display()));
}

fn mkdirs(p: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))
}

/// `DIR/usr/bin/<prog>` → this executable, for each iSM program.
fn install_links(root: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the arraysim executable")?;
    let bin = root.join("usr/bin");
    mkdirs(&bin)?;
    for prog in PROGRAMS {
        let link = bin.join(prog);
        match fs::symlink_metadata(&link) {
            Ok(m) if m.file_type().is_symlink() => {
                if fs::read_link(&link).ok().as_deref() != Some(exe.as_path()) {
                    fs::remove_file(&link)
                        .with_context(|| format!("replacing {}", link.display()))?;
                    std::os::unix::fs::symlink(&exe, &link)
                        .with_context(|| format!("creating {}", link.display()))?;
                }
            }
            Ok(_) => bail!(
                "{} exists and is not a symlink; not replacing it",
                link.display()
            ),
            Err(_) => std::os::unix::fs::symlink(&exe, &link)
                .with_context(|| format!("creating {}", link.display()))?,
        }
    }
    outln(&format!(
        "linked {} -> {}",
        bin.join("iSMsc_*, iSMvollist").display(),
        exe.display()
    ));
    Ok(())
}

/// Adds the missing BV/SV/LV sets to the array (creating it), each new SV with its
/// snapshot taken now and its LV linked.
fn install_array(store: &Store, name: &str, pairs: usize) -> anyhow::Result<bool> {
    let now = Clock::load(store)?.now();
    let created = store.update(&model::rel_path(name), |slot: &mut Option<Array>| {
        let created = slot.is_none();
        let array = slot.get_or_insert_with(|| Array::new(name));
        for i in 1..=pairs {
            let (bv, sv, lv) = pair_names(i);
            if array.volumes.contains_key(&sv) {
                continue;
            }
            array
                .volumes
                .entry(bv.clone())
                .or_insert_with(|| Volume::new(Role::Bv));
            let mut snapshot = Volume::new(Role::Sv);
            snapshot.bv = Some(bv.clone());
            array.volumes.insert(sv.clone(), snapshot);
            array
                .volumes
                .entry(lv.clone())
                .or_insert_with(|| Volume::new(Role::Lv));
            let taken = array
                .create(&bv, &sv, now)
                .and_then(|_| array.link(&lv, &sv));
            if let Err(refusal) = taken {
                return Err(anyhow!("{bv}/{sv}/{lv}: {}", refusal.text));
            }
        }
        Ok::<_, anyhow::Error>(created)
    })?;
    Ok(created)
}

fn install_service(root: &Path, service: &str, pairs: usize) -> anyhow::Result<()> {
    let etc = root.join("etc/arraysync");
    mkdirs(&etc)?;
    let path = etc.join(format!("{service}.conf"));
    if path.exists() {
        report("kept", &path);
        return Ok(());
    }
    let devs: Vec<String> = (1..=pairs)
        .map(|i| {
            let (_, sv, lv) = pair_names(i);
            format!("{sv}:{lv}")
        })
        .collect();
    let text: String = SERVICE_TEMPLATE
        .lines()
        .map(|line| {
            if line.starts_with("devs = ") {
                format!("devs = {}", devs.join(" "))
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    crate::store::write_atomic(&path, text.as_bytes())?;
    report("created", &path);
    Ok(())
}

pub fn setup(args: &[String]) -> anyhow::Result<()> {
    let a: SetupArgs = parse("arraysim setup necism", args)?;
    if !model::valid_name(&a.array) {
        bail!(
            "invalid array name {:?} (letters, digits, '_', '.', '-')",
            a.array
        );
    }
    if a.pairs == 0 || a.pairs > 9999 {
        bail!("--pairs must be between 1 and 9999");
    }
    if !a
        .service
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        || a.service.starts_with('.')
    {
        bail!("invalid service name {:?}", a.service);
    }
    mkdirs(&a.root)?;
    let root =
        std::path::absolute(&a.root).with_context(|| format!("resolving {}", a.root.display()))?;
    install_links(&root)?;
    let store = match std::env::var_os("ARRAYSIM_STATE").filter(|s| !s.is_empty()) {
        Some(s) => Store::at(PathBuf::from(s)),
        None => Store::at(root.join("var/lib/arraysim")),
    };
    mkdirs(store.root())?;
    let created = install_array(&store, &a.array, a.pairs)?;
    report(
        if created { "created" } else { "updated" },
        &store.path(&model::rel_path(&a.array)),
    );
    model::update_host(&store, |h| {
        h.registered = true;
        h.vollist = true;
    })
    .map_err(|e: StoreError| anyhow!(e))?;
    if !a.no_service {
        install_service(&root, &a.service, a.pairs)?;
    }
    outln(&format!("state directory {}", store.root().display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_pairs_first_then_generated_names() {
        assert_eq!(pair_names(1).1, "SOURCE_0001_SV006D");
        assert_eq!(pair_names(2).2, "SOURCE_0002_LV009E");
        assert_eq!(
            pair_names(3),
            (
                "SOURCE_0003".into(),
                "SOURCE_0003_SV0103".into(),
                "SOURCE_0003_LV0203".into()
            )
        );
    }

    #[test]
    fn arrays_get_linked_snapshots_and_setup_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        assert!(install_array(&store, "D1_10", 2).expect("install"));
        assert!(!install_array(&store, "D1_10", 3).expect("extend"));
        let array = model::load(&store, "D1_10").expect("load").expect("array");
        assert_eq!(
            array.lv_of("SOURCE_0001_SV006D"),
            Some("SOURCE_0001_LV00A6")
        );
        assert_eq!(
            array.lv_of("SOURCE_0003_SV0103"),
            Some("SOURCE_0003_LV0203")
        );
        assert_eq!(array.volumes.len(), 9);
    }
}
