//! Admin commands of the ETERNUS emulator.
//!
//! ```text
//! arraysim setup eternus --root DIR [--array DX1] [--volumes 8] [--size-mb 64]
//!                [--first-disk 10] [--server NAME]
//! arraysim eternus list | show ARRAY | stats ARRAY
//! arraysim eternus add-volume ARRAY NUMBER --size-mb N [--uid NAA | --count K]
//!                    [--type standard|sdv --physical-mb P]
//! arraysim eternus add-pool ARRAY --type normal|encrypted --size-mb N
//! arraysim eternus write ARRAY VOLNO OFFSET (FILE | --random BYTES --seed S)
//! arraysim eternus read ARRAY VOLNO [--out FILE]
//! arraysim eternus bad-sector ARRAY VOLNO TRACK
//! arraysim eternus fail ARRAY VOLNO        (error-suspend the sessions of a volume)
//! arraysim eternus limit ARRAY SESSIONS
//! arraysim eternus path DX1 DX2 up|down      (REC copy path; down halts its REC sessions)
//! arraysim eternus rec-buffer ARRAY ID --use SEND|RECV --remote ARRAY2 [--disk-buffer]
//!                    [--size-mb N] [--disk-size-mb N] [--disk-state S [--disk-code NN]]
//! arraysim eternus rec-buffer ARRAY ID --disk-state active|warning|inactive [--disk-code NN]
//!                                     (REC Disk buffer fault of an existing buffer)
//! ```

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};

use super::model::{self, Array, Status, Volume, TRACK};
use super::ranges::Ranges;
use super::rec;
use crate::invocation::outln;
use crate::store::{Store, StoreError};

const SCRIPTS: &[(&str, &str)] = &[
    (
        "RepSrc.pre",
        include_str!("../../../../etc-templates/FJSVswsrp/sh/RepSrc.pre"),
    ),
    (
        "RepSrc.post",
        include_str!("../../../../etc-templates/FJSVswsrp/sh/RepSrc.post"),
    ),
    (
        "RepDst.pre",
        include_str!("../../../../etc-templates/FJSVswsrp/sh/RepDst.pre"),
    ),
    (
        "RepDst.post",
        include_str!("../../../../etc-templates/FJSVswsrp/sh/RepDst.post"),
    ),
];

/// The default backup management scripts (installed under /etc/opt/FJSVswsts/sh).
const BACKUP_SCRIPTS: &[(&str, &str)] = &[
    (
        "OpcBackup.pre",
        include_str!("../../../../etc-templates/FJSVswsts/sh/OpcBackup.pre"),
    ),
    (
        "OpcBackup.post",
        include_str!("../../../../etc-templates/FJSVswsts/sh/OpcBackup.post"),
    ),
    (
        "OpcRestore.pre",
        include_str!("../../../../etc-templates/FJSVswsts/sh/OpcRestore.pre"),
    ),
    (
        "OpcRestore.post",
        include_str!("../../../../etc-templates/FJSVswsts/sh/OpcRestore.post"),
    ),
];

#[derive(Parser, Debug)]
#[command(
    name = "arraysim setup eternus",
    about = "Make DIR a sandbox root with an emulated ETERNUS DX"
)]
struct SetupArgs {
    #[arg(long)]
    root: PathBuf,
    #[arg(long, default_value = "DX1")]
    array: String,
    #[arg(long, default_value_t = 8)]
    volumes: u32,
    #[arg(long, default_value_t = 64)]
    size_mb: u64,
    /// Devices /dev/hdisk<N>, /dev/hdisk<N+1>, ... map volumes 0, 1, ...
    #[arg(long, default_value_t = 10)]
    first_disk: u32,
    /// This Managed Server's name (written to /etc/opt/swstorage/swnode.ini).
    #[arg(long)]
    server: Option<String>,
}

#[derive(Parser, Debug)]
#[command(name = "arraysim eternus")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    List,
    Show {
        array: String,
    },
    /// Bytes and tracks copied by sessions so far.
    Stats {
        array: String,
    },
    AddVolume {
        array: String,
        number: u32,
        #[arg(long)]
        size_mb: u64,
        #[arg(long)]
        uid: Option<String>,
        /// Adds this many volumes, numbered from NUMBER (bulk setups: 1,000 TVs + BVs).
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// `sdv`: a Snap Data Volume (the target of SnapOPC/SnapOPC+), with --physical-mb.
        #[arg(long = "type", value_parser = ["standard", "sdv"], default_value = "standard")]
        vtype: String,
        /// An SDV's physical capacity (its logical size is --size-mb).
        #[arg(long)]
        physical_mb: Option<u64>,
    },
    /// Adds a Snap Data Pool (capacity the SDVs draw on once their own is used up).
    AddPool {
        array: String,
        #[arg(long = "type", value_parser = ["normal", "encrypted"], default_value = "normal")]
        ptype: String,
        #[arg(long)]
        size_mb: u64,
    },
    /// A host write to a volume (with copy-on-write, tracking and EC mirroring).
    Write {
        array: String,
        volume: u32,
        offset: u64,
        file: Option<PathBuf>,
        #[arg(long)]
        random: Option<u64>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The volume's content (raw bytes) on stdout or into a file.
    Read {
        array: String,
        volume: u32,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    BadSector {
        array: String,
        volume: u32,
        track: u64,
    },
    Fail {
        array: String,
        volume: u32,
    },
    Limit {
        array: String,
        sessions: usize,
    },
    /// Creates or restores (`up`) the REC copy path between two boxes, or cuts it
    /// (`down`: every REC session between them goes into halt).
    Path {
        a: String,
        b: String,
        #[arg(value_parser = ["up", "down"])]
        state: String,
    },
    /// Defines a REC buffer of ARRAY (Consistency mode) for sending to or receiving from
    /// ARRAY2 (`--use` and `--remote`), or changes the state of the REC Disk buffer of an
    /// existing one (`--disk-state` alone: a disk fault).
    RecBuffer {
        array: String,
        id: u32,
        #[arg(long = "use", value_parser = ["SEND", "RECV"], requires = "remote")]
        use_: Option<String>,
        #[arg(long, requires = "use_")]
        remote: Option<String>,
        #[arg(long)]
        disk_buffer: bool,
        /// Size of the buffer in cache memory, MiB.
        #[arg(long, default_value_t = rec::DEFAULT_BUFFER_MB, value_parser = clap::value_parser!(u64).range(1..))]
        size_mb: u64,
        /// Size of the REC Disk buffer, MiB.
        #[arg(long, default_value_t = rec::DEFAULT_DISK_BUFFER_MB, value_parser = clap::value_parser!(u64).range(1..))]
        disk_size_mb: u64,
        /// State of the REC Disk buffer: warning (usable, disk fault), inactive (unusable).
        #[arg(long, value_parser = ["active", "warning", "inactive"])]
        disk_state: Option<String>,
        /// The manual's code: 04 rebuild, 05 RAID fault, 06 formatting, 07 not supported
        /// by the destination, 08 no redundancy (default 08 for warning, 05 for inactive).
        #[arg(long, value_parser = clap::value_parser!(u8).range(4..=8), requires = "disk_state")]
        disk_code: Option<u8>,
    },
}

fn parse<T: Parser>(name: &str, args: &[String]) -> anyhow::Result<T> {
    let argv = std::iter::once(name.to_string()).chain(args.iter().cloned());
    T::try_parse_from(argv).map_err(|e| anyhow!("{}", e.render().to_string().trim_end()))
}

pub fn set_rate(store: &Store, array: &str, rate: u64) -> anyhow::Result<bool> {
    if !model::valid_name(array) {
        return Ok(false);
    }
    let now = model::now_ms(store)?;
    if rec::exists(store) {
        // The REC transfers from this box settle at the old rate too.
        rec::update(store, now, |st| {
            for s in st.sessions.iter_mut().filter(|s| s.src_array == array) {
                s.phase_start_ms = now;
                s.copied = 0;
            }
            Ok(())
        })?;
    }
    let dir = model::data_dir(store, array);
    Ok(store
        .update_existing(&model::rel_path(array), |a: &mut Option<Array>| {
            let Some(a) = a.as_mut() else {
                return Ok::<_, StoreError>(false);
            };
            // Settle the copies at the old rate before changing it.
            a.advance(&dir, now);
            for s in &mut a.sessions {
                s.phase_start_ms = now;
                s.copied = 0;
            }
            a.rate = rate;
            Ok(true)
        })?
        .unwrap_or(false))
}

pub fn get_rate(store: &Store, array: &str) -> anyhow::Result<Option<u64>> {
    if !model::valid_name(array) {
        return Ok(None);
    }
    Ok(model::load(store, array)?.map(|a| a.rate))
}

/// Deterministic bytes for `--random` (xorshift64*).
pub fn random_bytes(len: u64, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn with_array<R>(
    store: &Store,
    name: &str,
    f: impl FnOnce(&mut Array, &Path, i64) -> anyhow::Result<R>,
) -> anyhow::Result<R> {
    let now = model::now_ms(store)?;
    let dir = model::data_dir(store, name);
    store
        .update_existing(&model::rel_path(name), |a: &mut Option<Array>| {
            let a = a
                .as_mut()
                .ok_or_else(|| anyhow!("no emulated ETERNUS array {name}"))?;
            a.advance(&dir, now);
            f(a, &dir, now)
        })?
        .ok_or_else(|| anyhow!("no emulated ETERNUS array {name}"))
}

pub fn admin(store: &Store, args: &[String]) -> anyhow::Result<()> {
    let cli: Cli = parse("arraysim eternus", args)?;
    match cli.cmd {
        Cmd::List => {
            for n in model::list(store)? {
                outln(&n);
            }
        }
        Cmd::Show { array } => {
            let a = with_array(store, &array, |a, _, _| Ok(a.clone()))?;
            outln(&serde_json::to_string_pretty(&a)?);
        }
        Cmd::Stats { array } => {
            let s = with_array(store, &array, |a, _, _| Ok(a.stats.clone()))?;
            outln(&format!(
                "copied_tracks {}\ncopied_bytes {}",
                s.copied_tracks, s.copied_bytes
            ));
        }
        Cmd::AddVolume {
            array,
            number,
            size_mb,
            uid,
            count,
            vtype,
            physical_mb,
        } => with_array(store, &array, |a, _, _| {
            if count != 1 && uid.is_some() {
                bail!("--uid names one volume: it cannot be given with --count");
            }
            let physical_mb = match (vtype.as_str(), physical_mb) {
                ("sdv", Some(p)) if p <= size_mb => Some(p),
                ("sdv", Some(p)) => {
                    bail!("--physical-mb {p} exceeds the logical size --size-mb {size_mb}")
                }
                ("sdv", None) => bail!("--type sdv needs --physical-mb"),
                (_, Some(_)) => bail!("--physical-mb applies to --type sdv only"),
                (_, None) => None,
            };
            let last = number
                .checked_add(count.saturating_sub(1))
                .ok_or_else(|| anyhow!("volume numbers overflow"))?;
            if let Some(n) = (number..=last).find(|n| a.volumes.contains_key(n)) {
                bail!("volume {n} already exists on {array}");
            }
            for n in number..=last {
                a.volumes.insert(
                    n,
                    Volume {
                        name: format!("vol{n}"),
                        size_mb,
                        uid: uid.clone(),
                        written: Default::default(),
                        bad: Default::default(),
                        sdv_physical_mb: physical_mb,
                    },
                );
            }
            Ok(())
        })?,
        Cmd::Write {
            array,
            volume,
            offset,
            file,
            random,
            seed,
        } => {
            let data = match (file, random) {
                (Some(f), None) => {
                    fs::read(&f).with_context(|| format!("reading {}", f.display()))?
                }
                (None, Some(n)) => random_bytes(n, seed),
                _ => bail!("give a FILE or --random BYTES"),
            };
            let write = || {
                with_array(store, &array, |a, dir, now| {
                    a.host_write(dir, volume, offset, &data, now)
                        .map_err(|e| anyhow!("{} {}", e.0, e.1))
                })
            };
            if !rec::exists(store) || data.is_empty() {
                write()?;
            } else {
                // The REC sessions of the volume refuse, mirror or record the write.
                let now = model::now_ms(store)?;
                let touched = Ranges::span(
                    offset / TRACK,
                    (offset.saturating_add(data.len() as u64)).div_ceil(TRACK),
                );
                let mut failed = None;
                rec::update(store, now, |st| {
                    rec::before_write(st, &array, volume)?;
                    if let Err(e) = write() {
                        failed = Some(e);
                        return Ok(());
                    }
                    rec::after_write(st, store, &array, volume, &touched, now);
                    Ok(())
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
        }
        Cmd::Read { array, volume, out } => {
            rec::settle(store, model::now_ms(store)?)?;
            let data = with_array(store, &array, |a, dir, _| {
                a.read_volume(dir, volume)
                    .map_err(|e| anyhow!("{} {}", e.0, e.1))
            })?;
            match out {
                Some(path) => fs::write(&path, &data)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => {
                    let mut o = std::io::stdout().lock();
                    o.write_all(&data)?;
                    o.flush()?;
                }
            }
        }
        Cmd::BadSector {
            array,
            volume,
            track,
        } => with_array(store, &array, |a, _, _| {
            let v = a
                .volumes
                .get_mut(&volume)
                .ok_or_else(|| anyhow!("no volume {volume}"))?;
            v.bad.insert(track, track + 1);
            Ok(())
        })?,
        Cmd::Fail { array, volume } => {
            // The REC sessions of the volume too (either end).
            let rec_failed = if rec::exists(store) {
                let now = model::now_ms(store)?;
                rec::update(store, now, |st| {
                    Ok(rec::fail_volume(st, &array, volume, now))
                })?
            } else {
                0
            };
            with_array(store, &array, |a, _, now| {
                let mut n = rec_failed;
                for s in a
                    .sessions
                    .iter_mut()
                    .filter(|s| s.src == volume || s.dst == volume)
                {
                    s.status = Status::ErrorSuspend;
                    s.error_code = 0xBA;
                    s.timestamp = Some(now / 1000);
                    n += 1;
                }
                if n == 0 {
                    bail!("no session on volume {volume}");
                }
                Ok(())
            })?
        }
        Cmd::AddPool {
            array,
            ptype,
            size_mb,
        } => with_array(store, &array, |a, _, _| {
            if size_mb == 0 {
                bail!("--size-mb must be above 0");
            }
            a.pools.push(model::Pool {
                kind: ptype,
                size_mb,
            });
            Ok(())
        })?,
        Cmd::Limit { array, sessions } => with_array(store, &array, |a, _, _| {
            a.session_limit = sessions;
            Ok(())
        })?,
        Cmd::Path { a, b, state } => {
            for name in [&a, &b] {
                if model::load(store, name)?.is_none() {
                    bail!("no emulated ETERNUS array {name}");
                }
            }
            if a == b {
                bail!("a copy path joins two different boxes");
            }
            let now = model::now_ms(store)?;
            rec::update(store, now, |st| {
                rec::set_path(st, &a, &b, state == "up", now);
                Ok(())
            })?;
        }
        Cmd::RecBuffer {
            array,
            id,
            use_,
            remote,
            disk_buffer,
            size_mb,
            disk_size_mb,
            disk_state,
            disk_code,
        } => {
            for name in std::iter::once(&array).chain(remote.as_ref()) {
                if model::load(store, name)?.is_none() {
                    bail!("no emulated ETERNUS array {name}");
                }
            }
            let disk_state = disk_state.as_deref().and_then(rec::DiskState::parse);
            if use_.is_none() && disk_state.is_none() {
                bail!("give --use SEND|RECV --remote ARRAY2 to define the buffer, or --disk-state");
            }
            let now = model::now_ms(store)?;
            rec::update(store, now, |st| {
                if let (Some(usage), Some(remote)) = (use_.as_deref(), remote.as_ref()) {
                    rec::set_buffer(
                        st,
                        rec::Buffer {
                            array: array.clone(),
                            id,
                            send: usage == "SEND",
                            remote: remote.clone(),
                            disk: disk_buffer,
                            changed_ms: 0,
                            size_mb,
                            disk_size_mb,
                            disk_state: rec::DiskState::Active,
                            disk_code: 0,
                        },
                    );
                }
                match disk_state {
                    Some(state) => rec::set_disk_state(
                        st,
                        &array,
                        id,
                        state,
                        disk_code.unwrap_or(state.default_code()),
                    ),
                    None => Ok(()),
                }
            })?;
        }
    }
    Ok(())
}

fn report(what: &str, path: &Path) {
    outln(&format!("{what} {}", path.display()));
}

fn symlink_exe(link: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the arraysim executable")?;
    if let Some(d) = link.parent() {
        fs::create_dir_all(d)?;
    }
    if fs::symlink_metadata(link).is_ok() {
        if fs::read_link(link).ok().as_deref() == Some(exe.as_path()) {
            report("kept", link);
            return Ok(());
        }
        fs::remove_file(link).with_context(|| format!("replacing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(&exe, link)
        .with_context(|| format!("creating {}", link.display()))?;
    report("created", link);
    Ok(())
}

fn append_once(path: &Path, marker: &str, text: &str, mode: Option<u32>) -> anyhow::Result<()> {
    if let Some(d) = path.parent() {
        fs::create_dir_all(d)?;
    }
    let existing = fs::read_to_string(path).unwrap_or_default();
    if existing.lines().any(|l| l.trim() == marker) {
        report("kept", path);
    } else {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        let sep = if existing.is_empty() || existing.ends_with("\n\n") {
            ""
        } else if existing.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        f.write_all(format!("{sep}{text}").as_bytes())?;
        report(
            if existing.is_empty() {
                "created"
            } else {
                "updated"
            },
            path,
        );
    }
    if let Some(m) = mode {
        fs::set_permissions(path, fs::Permissions::from_mode(m))?;
    }
    Ok(())
}

fn install_scripts(sh: &Path, scripts: &[(&str, &str)]) -> anyhow::Result<()> {
    fs::create_dir_all(sh)?;
    for (name, text) in scripts {
        let path = sh.join(name);
        if path.exists() {
            report("kept", &path);
            continue;
        }
        fs::write(&path, text)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
        report("created", &path);
    }
    Ok(())
}

pub fn setup(args: &[String]) -> anyhow::Result<()> {
    let a: SetupArgs = parse("arraysim setup eternus", args)?;
    if !model::valid_name(&a.array) {
        bail!("invalid array name {:?}", a.array);
    }
    fs::create_dir_all(&a.root)?;
    let root = std::path::absolute(&a.root)?;
    symlink_exe(&root.join("opt/arraysim/eternus-cli"))?;
    let store = match std::env::var_os("ARRAYSIM_STATE").filter(|s| !s.is_empty()) {
        Some(s) => Store::at(PathBuf::from(s)),
        None => Store::at(root.join("var/lib/arraysim")),
    };
    let box_id = format!("{:#<40}", format!("00ETERNUSDXM##ET44S20A##{}", a.array))
        .chars()
        .take(40)
        .collect::<String>();
    let created = store.update(&model::rel_path(&a.array), |slot: &mut Option<Array>| {
        if slot.is_some() {
            return Ok::<_, StoreError>(false);
        }
        let mut arr = Array::new(&a.array, &box_id);
        for n in 0..a.volumes {
            arr.volumes.insert(
                n,
                Volume {
                    name: format!("vol{n}"),
                    size_mb: a.size_mb,
                    uid: None,
                    written: Default::default(),
                    bad: Default::default(),
                    sdv_physical_mb: None,
                },
            );
        }
        *slot = Some(arr);
        Ok(true)
    })?;
    report(
        if created { "created" } else { "kept" },
        &store.path(&model::rel_path(&a.array)),
    );
    let arr = model::load(&store, &a.array)?.ok_or_else(|| anyhow!("array vanished"))?;
    append_once(
        &root.join("etc/arraysync/auth.conf"),
        &format!("[{}]", arr.name),
        &format!(
            "[{}]\ntype = eternus\ncommand = /opt/arraysim/eternus-cli {}\n",
            arr.name, arr.name
        ),
        Some(0o600),
    )?;
    let devices = root.join("etc/opt/FJSVswstf/devices.conf");
    let mut lines = format!("# {} (emulated): device array volume [server]\n", arr.name);
    for (i, n) in arr.volumes.keys().enumerate() {
        lines.push_str(&format!(
            "/dev/hdisk{} {} {}\n",
            a.first_disk as usize + i,
            arr.name,
            n
        ));
    }
    append_once(
        &devices,
        &format!("# {} (emulated): device array volume [server]", arr.name),
        &lines,
        None,
    )?;
    for (dir, scripts) in [
        ("etc/opt/FJSVswsrp/sh", SCRIPTS),
        ("etc/opt/FJSVswsts/sh", BACKUP_SCRIPTS),
    ] {
        install_scripts(&root.join(dir), scripts)?;
    }
    if let Some(server) = &a.server {
        let node = root.join("etc/opt/swstorage/swnode.ini");
        fs::create_dir_all(node.parent().unwrap_or(&root))?;
        fs::write(&node, format!("[node]\nname = {server}\n"))?;
        report("wrote", &node);
    }
    outln(&format!(
        "state directory {} (track {} KiB)",
        store.root().display(),
        TRACK / 1024
    ));
    Ok(())
}
