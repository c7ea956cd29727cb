//! Admin commands of the Symmetrix emulator.
//!
//! ```text
//! arraysim setup symclone --root DIR [--symid 000197800123] [--devices 1234,4321]
//!                [--tracks 16384] [--no-service]
//! arraysim symclone list
//! arraysim symclone show SYMID
//! arraysim symclone set SYMID DEV [--state STATE|auto] [--pd-name PATH|none]
//! arraysim symclone add-device SYMID DEV [--tracks N] [--pd-name PATH]
//! arraysim symclone write SYMID DEV TRACKS
//! ```
//! `set --state` pins the printed state of the session whose target (else source) is DEV:
//! `Failed` reports a device in an unexpected state, `Precopy` a clone stuck before its
//! activation took effect; `auto` unpins. The copy rate is `arraysim rate SYMID N`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};

use super::model::{self, same_device, Device, Symm, DEFAULT_TRACKS};
use crate::clock::Clock;
use crate::invocation::outln;
use crate::store::{Store, StoreError};

const SERVICE_TEMPLATE: &str = include_str!("../../../../etc-templates/aastmphpux.conf");
const SERVICE: &str = "aastmphpux";
pub const DEFAULT_SYMID: &str = "000197800123";
/// The SYMCLI programs this emulator answers as, linked into `/usr/symcli/bin`.
pub const PROGRAMS: &[&str] = &["symclone", "symsnap", "symdg", "symld", "symdev"];

#[derive(Parser, Debug)]
#[command(
    name = "arraysim setup symclone",
    about = "Make DIR a sandbox root with an emulated Symmetrix and SYMCLI"
)]
struct SetupArgs {
    #[arg(long)]
    root: PathBuf,
    #[arg(long, default_value = DEFAULT_SYMID)]
    symid: String,
    /// Devices to create (seed 002: 1234 is cloned to 4321).
    #[arg(long, default_value = "1234,4321")]
    devices: String,
    #[arg(long, default_value_t = DEFAULT_TRACKS)]
    tracks: u64,
    /// Do not install the seed 002 service (aastmphpux).
    #[arg(long)]
    no_service: bool,
}

#[derive(Parser, Debug)]
#[command(name = "arraysim symclone")]
struct SymCli {
    #[command(subcommand)]
    cmd: SymCmd,
}

#[derive(Subcommand, Debug)]
enum SymCmd {
    /// List the emulated arrays.
    List,
    /// Dump an array (and the device groups on it) as JSON.
    Show { symid: String },
    /// Pin the state of a session (`auto` unpins) or set a device's host path.
    Set {
        symid: String,
        dev: String,
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        pd_name: Option<String>,
    },
    /// Add a device.
    AddDevice {
        symid: String,
        dev: String,
        #[arg(long, default_value_t = DEFAULT_TRACKS)]
        tracks: u64,
        #[arg(long)]
        pd_name: Option<String>,
    },
    /// Record host writes to a device (sizes the next recreate or restore).
    Write {
        symid: String,
        dev: String,
        tracks: u64,
    },
}

fn parse<T: Parser>(name: &str, args: &[String]) -> anyhow::Result<T> {
    let argv = std::iter::once(name.to_string()).chain(args.iter().cloned());
    T::try_parse_from(argv).map_err(|e| anyhow!("{}", e.render().to_string().trim_end()))
}

fn dev_id(d: &str) -> anyhow::Result<String> {
    if model::valid_device_id(d) {
        Ok(d.to_ascii_uppercase())
    } else {
        bail!("invalid device id {d:?} (hex digits, e.g. 1234)")
    }
}

fn symid_arg(store: &Store, sid: &str) -> anyhow::Result<String> {
    model::resolve(store, sid)?.ok_or_else(|| anyhow!("no emulated Symmetrix {sid}"))
}

pub fn set_rate(store: &Store, symid: &str, rate: u64) -> anyhow::Result<bool> {
    let now = Clock::load(store)?.now();
    Ok(model::update(store, symid, |a: &mut Symm| {
        a.set_rate(now, rate);
        Ok::<_, StoreError>(())
    })?
    .is_some())
}

pub fn get_rate(store: &Store, symid: &str) -> anyhow::Result<Option<u64>> {
    Ok(model::load(store, symid)?.map(|a| a.rate))
}

pub fn admin(store: &Store, args: &[String]) -> anyhow::Result<()> {
    let cli: SymCli = parse("arraysim symclone", args)?;
    match cli.cmd {
        SymCmd::List => {
            for id in model::list(store)? {
                outln(&id);
            }
        }
        SymCmd::Show { symid } => {
            let symid = symid_arg(store, &symid)?;
            let symm = model::load(store, &symid)?
                .ok_or_else(|| anyhow!("no emulated Symmetrix {symid}"))?;
            let db = model::load_db(store)?;
            let groups: std::collections::BTreeMap<_, _> = db
                .groups
                .iter()
                .filter(|(_, g)| g.symid.as_deref() == Some(symid.as_str()))
                .collect();
            outln(&serde_json::to_string_pretty(
                &serde_json::json!({ "array": symm, "device_groups": groups }),
            )?);
        }
        SymCmd::Set {
            symid,
            dev,
            state,
            pd_name,
        } => {
            let symid = symid_arg(store, &symid)?;
            model::update(store, &symid, |a: &mut Symm| {
                set(a, &dev, state.as_deref(), pd_name.as_deref())
            })?
            .ok_or_else(|| anyhow!("no emulated Symmetrix {symid}"))?;
        }
        SymCmd::AddDevice {
            symid,
            dev,
            tracks,
            pd_name,
        } => {
            let symid = symid_arg(store, &symid)?;
            let dev = dev_id(&dev)?;
            model::update(store, &symid, |a: &mut Symm| {
                if a.device_id(&dev).is_some() {
                    bail!("device {dev} already exists on {symid}");
                }
                a.devices.insert(
                    dev.clone(),
                    Device {
                        tracks,
                        pd_name: pd_name.clone(),
                        written: 0,
                    },
                );
                Ok(())
            })?
            .ok_or_else(|| anyhow!("no emulated Symmetrix {symid}"))?;
        }
        SymCmd::Write { symid, dev, tracks } => {
            let symid = symid_arg(store, &symid)?;
            model::update(store, &symid, |a: &mut Symm| {
                if !a.write(&dev, tracks) {
                    bail!("no device {dev} on {symid}");
                }
                Ok(())
            })?
            .ok_or_else(|| anyhow!("no emulated Symmetrix {symid}"))?;
        }
    }
    Ok(())
}

fn set(a: &mut Symm, dev: &str, state: Option<&str>, pd_name: Option<&str>) -> anyhow::Result<()> {
    if let Some(pd) = pd_name {
        let id = a
            .device_id(dev)
            .ok_or_else(|| anyhow!("no device {dev} on {}", a.symid))?;
        if let Some(d) = a.devices.get_mut(&id) {
            d.pd_name = (pd != "none").then(|| pd.to_string());
        }
    }
    if let Some(state) = state {
        let index = a
            .sessions
            .iter()
            .position(|s| same_device(&s.tgt, dev))
            .or_else(|| a.sessions.iter().position(|s| same_device(&s.src, dev)))
            .ok_or_else(|| anyhow!("device {dev} is in no session on {}", a.symid))?;
        a.sessions[index].pinned = (!state.eq_ignore_ascii_case("auto")).then(|| state.to_string());
    }
    Ok(())
}

fn report(what: &str, path: &Path) {
    outln(&format!("{what} {}", path.display()));
}

fn mkdirs(p: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))
}

/// Links `link` to the arraysim executable, replacing a stale symlink, never a file.
fn link_program(exe: &Path, link: &Path) -> anyhow::Result<()> {
    match fs::symlink_metadata(link) {
        Ok(m) if m.file_type().is_symlink() => {
            if fs::read_link(link).ok().as_deref() == Some(exe) {
                report("kept", link);
                return Ok(());
            }
            fs::remove_file(link).with_context(|| format!("replacing {}", link.display()))?;
            report("updated", link);
        }
        Ok(_) => bail!(
            "{} exists and is not a symlink; not replacing it",
            link.display()
        ),
        Err(_) => outln(&format!("created {} -> {}", link.display(), exe.display())),
    }
    std::os::unix::fs::symlink(exe, link).with_context(|| format!("creating {}", link.display()))
}

pub fn setup(args: &[String]) -> anyhow::Result<()> {
    let a: SetupArgs = parse("arraysim setup symclone", args)?;
    if !model::valid_symid(&a.symid) {
        bail!(
            "invalid Symmetrix id {:?} (up to 12 digits, e.g. {DEFAULT_SYMID})",
            a.symid
        );
    }
    let devices: Vec<String> = a
        .devices
        .split([',', ' '])
        .filter(|d| !d.is_empty())
        .map(dev_id)
        .collect::<anyhow::Result<_>>()?;
    mkdirs(&a.root)?;
    let root =
        std::path::absolute(&a.root).with_context(|| format!("resolving {}", a.root.display()))?;

    // 1. SYMCLI programs
    let exe = std::env::current_exe().context("locating the arraysim executable")?;
    let bin = root.join("usr/symcli/bin");
    mkdirs(&bin)?;
    for prog in PROGRAMS {
        link_program(&exe, &bin.join(prog))?;
    }

    // 2. state dir and array
    let store = match std::env::var_os("ARRAYSIM_STATE").filter(|s| !s.is_empty()) {
        Some(s) => Store::at(PathBuf::from(s)),
        None => Store::at(root.join("var/lib/arraysim")),
    };
    mkdirs(store.root())?;
    let rel = model::rel_path(&a.symid);
    let created = store.update(&rel, |slot: &mut Option<Symm>| {
        let created = slot.is_none();
        let symm = slot.get_or_insert_with(|| Symm::new(&a.symid));
        for d in &devices {
            if symm.device_id(d).is_none() {
                symm.devices.insert(
                    d.clone(),
                    Device {
                        tracks: a.tracks,
                        pd_name: None,
                        written: 0,
                    },
                );
            }
        }
        Ok::<_, StoreError>(created)
    })?;
    report(if created { "created" } else { "kept" }, &store.path(&rel));

    // 3. the seed 002 service
    if !a.no_service {
        let etc = root.join("etc/arraysync");
        mkdirs(&etc)?;
        let svc = etc.join(format!("{SERVICE}.conf"));
        if svc.exists() {
            report("kept", &svc);
        } else {
            crate::store::write_atomic(&svc, SERVICE_TEMPLATE.as_bytes())?;
            report("created", &svc);
        }
    }
    outln(&format!("state directory {}", store.root().display()));
    Ok(())
}
