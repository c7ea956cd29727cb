//! Admin commands of the IBM DS emulator.
//!
//! ```text
//! arraysim setup ibmds --root DIR [--array IBM.XXXX-XXXXXXX] [--hmc1 10.10.10.10] [--hmc2 ADDR]
//!                [--user opensvc] [--password PW] [--volumes 0001,0002,0101,0102,0003,0004]
//!                [--ese-volumes LIST] [--tracks 16384] [--no-service]
//! arraysim ibmds list
//! arraysim ibmds show ARRAY
//! arraysim ibmds set ARRAY PAIR [--remote] [--recording enabled|disabled]
//!                [--persistent enabled|disabled] [--state TEXT]
//! arraysim ibmds add-volume ARRAY VOL [--tracks N] [--ese]
//! arraysim ibmds write ARRAY VOL TRACKS
//! arraysim ibmds columns ARRAY [COL,COL,...|default]
//! ```

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};

use super::model::{self, Array, Volume, DEFAULT_TRACKS};
use super::pwfile;
use crate::clock::Clock;
use crate::invocation::outln;
use crate::store::{Store, StoreError};

const SERVICE_TEMPLATE: &str = include_str!("../../../../etc-templates/iiststibmds.conf");
const TEMPLATE_ARRAY: &str = "IBM.XXXX-XXXXXXX";

#[derive(Parser, Debug)]
#[command(
    name = "arraysim setup ibmds",
    about = "Make DIR a sandbox root with an emulated DS8000"
)]
struct SetupArgs {
    #[arg(long)]
    root: PathBuf,
    #[arg(long, default_value = TEMPLATE_ARRAY)]
    array: String,
    #[arg(long, default_value = "10.10.10.10")]
    hmc1: String,
    #[arg(long, default_value = "")]
    hmc2: String,
    #[arg(long, default_value = "opensvc")]
    user: String,
    #[arg(long, default_value = "arraysim")]
    password: String,
    #[arg(long, default_value = "0001,0002,0101,0102,0003,0004")]
    volumes: String,
    #[arg(long, default_value = "")]
    ese_volumes: String,
    #[arg(long, default_value_t = DEFAULT_TRACKS)]
    tracks: u64,
    #[arg(long)]
    no_service: bool,
}

#[derive(Parser, Debug)]
#[command(name = "arraysim ibmds")]
struct IbmCli {
    #[command(subcommand)]
    cmd: IbmCmd,
}

#[derive(Subcommand, Debug)]
enum IbmCmd {
    /// List the emulated storage images.
    List,
    /// Dump an array's state as JSON.
    Show { array: String },
    /// Put a relationship in an unexpected state.
    Set {
        array: String,
        pair: String,
        #[arg(long)]
        remote: bool,
        #[arg(long)]
        recording: Option<String>,
        #[arg(long)]
        persistent: Option<String>,
        #[arg(long)]
        state: Option<String>,
    },
    /// Add a volume.
    AddVolume {
        array: String,
        vol: String,
        #[arg(long, default_value_t = DEFAULT_TRACKS)]
        tracks: u64,
        #[arg(long)]
        ese: bool,
    },
    /// Record host writes to a volume (sizes the next incremental resync).
    Write {
        array: String,
        vol: String,
        tracks: u64,
    },
    /// Set the `lsflash -l` column list (`default` restores it).
    Columns {
        array: String,
        columns: Option<String>,
    },
}

fn parse<T: Parser>(name: &str, args: &[String]) -> anyhow::Result<T> {
    let argv = std::iter::once(name.to_string()).chain(args.iter().cloned());
    T::try_parse_from(argv).map_err(|e| anyhow!("{}", e.render().to_string().trim_end()))
}

fn vol_id(v: &str) -> anyhow::Result<String> {
    if v.len() == 4 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(v.to_ascii_uppercase())
    } else {
        bail!("invalid volume id {v:?} (4 hex digits, e.g. 0001)")
    }
}

fn vol_list(s: &str) -> anyhow::Result<Vec<String>> {
    s.split([',', ' '])
        .filter(|v| !v.is_empty())
        .map(vol_id)
        .collect()
}

fn check_array(id: &str) -> anyhow::Result<()> {
    if model::valid_array_id(id) {
        Ok(())
    } else {
        bail!("invalid storage image id {id:?} (e.g. IBM.2107-75FA120)")
    }
}

pub fn set_rate(store: &Store, array: &str, rate: u64) -> anyhow::Result<bool> {
    let now = Clock::load(store)?.now();
    Ok(model::update(store, array, |a: &mut Array| {
        a.set_rate(now, rate);
        Ok::<_, StoreError>(())
    })?
    .is_some())
}

pub fn get_rate(store: &Store, array: &str) -> anyhow::Result<Option<u64>> {
    Ok(model::load(store, array)?.map(|a| a.rate))
}

fn on_off(v: &str) -> anyhow::Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "enabled" | "on" | "true" => Ok(true),
        "disabled" | "off" | "false" => Ok(false),
        _ => bail!("expected enabled or disabled, got {v:?}"),
    }
}

pub fn admin(store: &Store, args: &[String]) -> anyhow::Result<()> {
    let cli: IbmCli = parse("arraysim ibmds", args)?;
    let missing = |id: &str| anyhow!("no emulated storage image {id}");
    match cli.cmd {
        IbmCmd::List => {
            for id in model::list(store)? {
                outln(&id);
            }
        }
        IbmCmd::Show { array } => {
            let a = model::load(store, &array)?.ok_or_else(|| missing(&array))?;
            outln(&serde_json::to_string_pretty(&a)?);
        }
        IbmCmd::Set {
            array,
            pair,
            remote,
            recording,
            persistent,
            state,
        } => {
            let recording = recording.as_deref().map(on_off).transpose()?;
            let persistent = persistent.as_deref().map(on_off).transpose()?;
            let key = pair.to_ascii_uppercase();
            model::update(store, &array, |a: &mut Array| {
                let rel = a
                    .relations_mut(remote)
                    .get_mut(&key)
                    .ok_or_else(|| anyhow!("no FlashCopy relationship {key} on {array}"))?;
                if let Some(r) = recording {
                    rel.recording = r;
                }
                if let Some(p) = persistent {
                    rel.persistent = p;
                }
                if let Some(s) = &state {
                    rel.state = (s != "Valid").then(|| s.clone());
                }
                Ok::<_, anyhow::Error>(())
            })?
            .ok_or_else(|| missing(&array))?;
        }
        IbmCmd::AddVolume {
            array,
            vol,
            tracks,
            ese,
        } => {
            let vol = vol_id(&vol)?;
            model::update(store, &array, |a: &mut Array| {
                if a.volumes.contains_key(&vol) {
                    bail!("volume {vol} already exists on {array}");
                }
                a.volumes.insert(
                    vol.clone(),
                    Volume {
                        tracks,
                        ese,
                        changed_tracks: 0,
                    },
                );
                Ok(())
            })?
            .ok_or_else(|| missing(&array))?;
        }
        IbmCmd::Write { array, vol, tracks } => {
            let vol = vol_id(&vol)?;
            model::update(store, &array, |a: &mut Array| {
                if !a.write(&vol, tracks) {
                    bail!("no volume {vol} on {array}");
                }
                Ok(())
            })?
            .ok_or_else(|| missing(&array))?;
        }
        IbmCmd::Columns { array, columns } => {
            let a = model::update(store, &array, |a: &mut Array| {
                match columns.as_deref() {
                    None => {}
                    Some("default") => a.long_columns = None,
                    Some(list) => {
                        a.long_columns = Some(
                            list.split(',')
                                .map(str::trim)
                                .filter(|c| !c.is_empty())
                                .map(str::to_string)
                                .collect(),
                        )
                    }
                }
                Ok::<_, StoreError>(a.long_columns.clone())
            })?
            .ok_or_else(|| missing(&array))?;
            let cols = a.unwrap_or_else(|| {
                super::commands::LONG_COLUMNS
                    .iter()
                    .map(|c| c.to_string())
                    .collect()
            });
            outln(&cols.join(","));
        }
    }
    Ok(())
}

fn report(what: &str, path: &Path) {
    outln(&format!("{what} {}", path.display()));
}

fn mkdirs(p: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))
}

pub fn setup(args: &[String]) -> anyhow::Result<()> {
    let a: SetupArgs = parse("arraysim setup ibmds", args)?;
    check_array(&a.array)?;
    if a.hmc1.is_empty() {
        bail!("--hmc1 must not be empty");
    }
    mkdirs(&a.root)?;
    let root =
        std::path::absolute(&a.root).with_context(|| format!("resolving {}", a.root.display()))?;

    // 1. dscli symlink
    let exe = std::env::current_exe().context("locating the arraysim executable")?;
    let link = root.join("opt/ibm/dscli/dscli");
    if let Some(d) = link.parent() {
        mkdirs(d)?;
    }
    match fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => {
            if fs::read_link(&link).ok().as_deref() == Some(exe.as_path()) {
                report("kept", &link);
            } else {
                fs::remove_file(&link).with_context(|| format!("replacing {}", link.display()))?;
                std::os::unix::fs::symlink(&exe, &link)
                    .with_context(|| format!("creating {}", link.display()))?;
                report("updated", &link);
            }
        }
        Ok(_) => bail!(
            "{} exists and is not a symlink; not replacing it",
            link.display()
        ),
        Err(_) => {
            std::os::unix::fs::symlink(&exe, &link)
                .with_context(|| format!("creating {}", link.display()))?;
            outln(&format!("created {} -> {}", link.display(), exe.display()));
        }
    }

    // 2. state dir and array
    let store = match std::env::var_os("ARRAYSIM_STATE").filter(|s| !s.is_empty()) {
        Some(s) => Store::at(PathBuf::from(s)),
        None => Store::at(root.join("var/lib/arraysim")),
    };
    mkdirs(store.root())?;
    let vols = vol_list(&a.volumes)?;
    let ese = vol_list(&a.ese_volumes)?;
    let path = store.path(&model::rel_path(&a.array));
    let created = store.update(&model::rel_path(&a.array), |slot: &mut Option<Array>| {
        if slot.is_some() {
            return Ok::<_, StoreError>(false);
        }
        let mut arr = Array::new(&a.array, &a.hmc1, &a.hmc2, &a.user, &a.password);
        for v in vols.iter().chain(&ese) {
            arr.volumes.insert(
                v.clone(),
                Volume {
                    tracks: a.tracks,
                    ese: ese.contains(v),
                    changed_tracks: 0,
                },
            );
        }
        *slot = Some(arr);
        Ok(true)
    })?;
    report(if created { "created" } else { "kept" }, &path);
    let arr =
        model::load(&store, &a.array)?.ok_or_else(|| anyhow!("{} vanished", path.display()))?;

    // 3. auth.conf
    let etc = root.join("etc/arraysync");
    mkdirs(&etc)?;
    let auth = etc.join("auth.conf");
    let existing = match fs::read_to_string(&auth) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", auth.display())),
    };
    let section = format!("[{}]", arr.id);
    let has = existing
        .as_deref()
        .is_some_and(|t| t.lines().any(|l| l.trim() == section));
    if has {
        report("kept", &auth);
    } else {
        let mut text = String::new();
        if let Some(t) = &existing {
            if !t.is_empty() && !t.ends_with("\n\n") {
                text.push_str(if t.ends_with('\n') { "\n" } else { "\n\n" });
            }
        } else {
            text.push_str(
                "# arraysync array credentials. Must be mode 0600 and owned by root.\n\
                 # One section per array, named as the array is seen by its manager.\n\n",
            );
        }
        text.push_str(&format!(
            "{section}\ntype = ibmds\nhmc1 = {}\nhmc2 = {}\nusername = {}\n",
            arr.hmc1, arr.hmc2, arr.user
        ));
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&auth)
            .with_context(|| format!("writing {}", auth.display()))?;
        f.write_all(text.as_bytes())
            .with_context(|| format!("writing {}", auth.display()))?;
        report(
            if existing.is_some() {
                "updated"
            } else {
                "created"
            },
            &auth,
        );
    }
    fs::set_permissions(&auth, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod {}", auth.display()))?;

    // 4. pwfile
    let var = root.join("var/lib/arraysync");
    mkdirs(&var)?;
    let pw = var.join(format!("{}.pwfile", arr.id));
    let mut entries = pwfile::read(&pw).unwrap_or_default();
    let hmcs: Vec<&str> = [arr.hmc1.as_str(), arr.hmc2.as_str()]
        .into_iter()
        .filter(|h| !h.is_empty())
        .collect();
    pwfile::upsert(&mut entries, &hmcs, &arr.user, &arr.password);
    pwfile::write(&pw, &entries)?;
    report("wrote", &pw);

    // 5. service config
    if !a.no_service {
        let svc = etc.join("iiststibmds.conf");
        if svc.exists() {
            report("kept", &svc);
        } else {
            let text = SERVICE_TEMPLATE.replace(TEMPLATE_ARRAY, &arr.id);
            crate::store::write_atomic(&svc, text.as_bytes())?;
            report("created", &svc);
        }
    }
    outln(&format!("state directory {}", store.root().display()));
    Ok(())
}
