//! The `arraysim` admin subcommands (`argv[0]` is not a vendor program name).
//!
//! ```text
//! arraysim clock show | advance DURATION | reset
//! arraysim rate ARRAY [TRACKS_PER_SEC]
//! arraysim latency [--prog PROG] [MS]
//! arraysim fault add --prog PROG [--command CMD] [--pair SRC:TGT] [--kind KIND] [--hmc ADDR]
//!                    [--exit N] [--message TEXT] [--hang] [--stderr-noise TEXT] [--times N]
//! arraysim fault list | clear
//! arraysim calls [--json] [--count] [--prog PROG] [--command CMD] [--clear]
//! arraysim setup VENDOR ...        (e.g. setup ibmds --root DIR)
//! arraysim VENDOR ...              (e.g. ibmds show ARRAY)
//! ```
//! Exit codes: 0 ok, 1 failure, 2 usage error.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::calllog;
use crate::clock::{self, Clock};
use crate::faults::{self, FaultRule};
use crate::invocation::{errln, outln};
use crate::knobs;
use crate::store::Store;
use crate::VENDORS;

/// What each vendor answers to: its emulator, setup options and admin commands, for
/// `--help` (which needs no state directory).
struct VendorHelp {
    name: &'static str,
    about: &'static str,
    setup: &'static str,
    commands: &'static str,
}

const VENDOR_HELP: &[VendorHelp] = &[
    VendorHelp {
        name: "ibmds",
        about: "IBM DS8000 FlashCopy, answering as dscli",
        setup: "arraysim setup ibmds --root DIR [--array IBM.XXXX-XXXXXXX] [--hmc1 10.10.10.10] [--hmc2 ADDR]
               [--user opensvc] [--password PW] [--volumes 0001,0002,0101,0102,0003,0004]
               [--ese-volumes LIST] [--tracks 16384] [--no-service]",
        commands: "arraysim ibmds list
arraysim ibmds show ARRAY
arraysim ibmds set ARRAY PAIR [--remote] [--recording enabled|disabled]
               [--persistent enabled|disabled] [--state TEXT]
arraysim ibmds add-volume ARRAY VOL [--tracks N] [--ese]
arraysim ibmds write ARRAY VOL TRACKS
arraysim ibmds columns ARRAY [COL,COL,...|default]",
    },
    VendorHelp {
        name: "necism",
        about: "NEC iStorage snapshots, answering as iSMsc_create, _link, _unlink, _query, _linkinfo and iSMvollist",
        setup: "arraysim setup necism --root DIR [--array D1_10] [--pairs N] [--service iiststnec02]
               [--no-service]",
        commands: "arraysim necism list
arraysim necism show [ARRAY]
arraysim necism state SV STATE [--for DURATION] [--then STATE]
arraysim necism unlink LV
arraysim necism link LV SV
arraysim necism host [--registered yes|no] [--vollist yes|no]",
    },
    VendorHelp {
        name: "symclone",
        about: "EMC Symmetrix TimeFinder clones and snaps, answering as symclone, symsnap, symdg, symld, symdev",
        setup: "arraysim setup symclone --root DIR [--symid 000197800123] [--devices 1234,4321]
               [--tracks 16384] [--no-service]",
        commands: "arraysim symclone list
arraysim symclone show SYMID
arraysim symclone set SYMID DEV [--state STATE|auto] [--pd-name PATH|none]
arraysim symclone add-device SYMID DEV [--tracks N] [--pd-name PATH]
arraysim symclone write SYMID DEV TRACKS",
    },
    VendorHelp {
        name: "eternus",
        about: "Fujitsu ETERNUS DX AdvancedCopy, answering as eternus-cli ARRAY (the ETERNUS CLI session ssh would open)",
        setup: "arraysim setup eternus --root DIR [--array DX1] [--volumes 8] [--size-mb 64]
               [--first-disk 10] [--server NAME]",
        commands: "arraysim eternus list | show ARRAY | stats ARRAY
arraysim eternus add-volume ARRAY NUMBER --size-mb N [--uid NAA]
arraysim eternus write ARRAY VOLNO OFFSET (FILE | --random BYTES --seed S)
arraysim eternus read ARRAY VOLNO [--out FILE]
arraysim eternus bad-sector ARRAY VOLNO TRACK
arraysim eternus fail ARRAY VOLNO        (error-suspend the sessions of a volume)
arraysim eternus limit ARRAY SESSIONS",
    },
];

/// The vendor part of `arraysim --help`.
fn vendors_help() -> String {
    let mut out = String::from("Vendor commands (arraysim VENDOR --help for each):\n");
    for v in VENDOR_HELP {
        out.push_str(&format!("  {:<10} {}\n", v.name, v.about));
    }
    out.push_str(
        "\nAs a vendor CLI: symlink arraysim under the vendor program's name (dscli, iSMsc_create, symclone, ...);\n\
         the state directory is $ARRAYSIM_STATE, else $ARRAYSYNC_ROOT/var/lib/arraysim.",
    );
    out
}

/// `arraysim setup --help`: every vendor's setup options.
fn setup_help() -> String {
    let mut out = String::from("Vendors and their setup options:\n");
    for v in VENDOR_HELP {
        out.push_str(&format!("\n{}\n", v.setup));
    }
    out
}

/// `arraysim VENDOR --help`.
fn vendor_help(v: &VendorHelp) -> String {
    format!(
        "{}\n\nSetup:\n{}\n\nCommands:\n{}",
        v.about, v.setup, v.commands
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "arraysim",
    version,
    about = "Storage array emulators: admin commands (run as dscli, ... through symlinks)",
    after_help = vendors_help()
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Show or advance the emulated clock.
    Clock {
        #[command(subcommand)]
        cmd: ClockCmd,
    },
    /// Show or set an array's background copy rate (tracks/s; 0 = copies never progress).
    Rate {
        array: String,
        tracks_per_sec: Option<u64>,
    },
    /// Show or set the latency (ms) slept at each invocation of a personality.
    Latency {
        #[arg(long)]
        prog: Option<String>,
        ms: Option<u64>,
    },
    /// Manage fault rules.
    Fault {
        #[command(subcommand)]
        cmd: FaultCmd,
    },
    /// Show, count or clear the call log.
    Calls {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        count: bool,
        #[arg(long)]
        prog: Option<String>,
        #[arg(long)]
        command: Option<String>,
        #[arg(long)]
        clear: bool,
    },
    /// Set up a sandbox root for a vendor (`arraysim setup ibmds --root DIR`).
    #[command(after_help = setup_help())]
    Setup {
        /// ibmds, necism, symclone or eternus.
        vendor: String,
        /// The vendor's setup options (below).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print the state directory.
    StateDir,
    /// Vendor-specific commands (`arraysim ibmds show ARRAY`).
    #[command(external_subcommand)]
    Vendor(Vec<String>),
}

#[derive(Subcommand, Debug)]
enum ClockCmd {
    /// Print the offset and emulated now.
    Show,
    /// Raise the offset (90s, 15m, 3h, 2d, 1d3h).
    Advance { duration: String },
    /// Set the offset back to zero.
    Reset,
    /// Stop real time flowing into the emulated clock: only `advance` moves it (for tests
    /// that sample a copy's progress).
    Freeze,
    /// Let real time flow again (the time spent frozen counts as passed).
    Thaw,
}

#[derive(Subcommand, Debug)]
enum FaultCmd {
    /// Add a rule.
    Add(FaultArgs),
    /// List the rules.
    List,
    /// Remove every rule.
    Clear,
}

#[derive(clap::Args, Debug)]
struct FaultArgs {
    #[arg(long)]
    prog: String,
    #[arg(long)]
    command: Option<String>,
    #[arg(long)]
    pair: Option<String>,
    /// Personality-specific kind (dscli: auth, hmc-unreachable).
    #[arg(long)]
    kind: Option<String>,
    /// With --kind hmc-unreachable: only this HMC address.
    #[arg(long)]
    hmc: Option<String>,
    #[arg(long, allow_negative_numbers = true)]
    exit: Option<i32>,
    #[arg(long)]
    message: Option<String>,
    #[arg(long)]
    hang: bool,
    #[arg(long)]
    stderr_noise: Option<String>,
    #[arg(long)]
    times: Option<u32>,
}

/// Run the admin command line (`args` excludes `argv[0]`); returns the exit code.
/// The admin command line, for its man page and completions (arraysync-gen).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

pub fn main(args: &[String]) -> i32 {
    let argv = std::iter::once("arraysim".to_string()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match run(cli.cmd) {
        Ok(()) => 0,
        Err(e) => {
            errln(&format!("arraysim: {e:#}"));
            1
        }
    }
}

fn store() -> anyhow::Result<Store> {
    Ok(Store::from_env()?)
}

fn run(cmd: Cmd) -> anyhow::Result<()> {
    match cmd {
        Cmd::Clock { cmd } => {
            let s = store()?;
            let c = match cmd {
                ClockCmd::Show => Clock::load(&s)?,
                ClockCmd::Advance { duration } => {
                    let secs = clock::parse_duration(&duration).map_err(anyhow::Error::msg)?;
                    Clock::advance(&s, secs)?
                }
                ClockCmd::Reset => Clock::reset(&s)?,
                ClockCmd::Freeze => Clock::freeze(&s)?,
                ClockCmd::Thaw => Clock::thaw(&s)?,
            };
            let now = chrono::DateTime::<chrono::Utc>::from_timestamp(c.now(), 0)
                .unwrap_or_default()
                .to_rfc3339();
            outln(&format!(
                "offset {} ({}s)\nemulated now {now}{}",
                clock::format_duration(c.offset_secs),
                c.offset_secs,
                if c.frozen_at_ms.is_some() {
                    " (frozen: only advance moves it)"
                } else {
                    ""
                }
            ));
        }
        Cmd::Rate {
            array,
            tracks_per_sec,
        } => {
            let s = store()?;
            for v in VENDORS {
                match tracks_per_sec {
                    Some(n) => {
                        if (v.set_rate)(&s, &array, n)? {
                            outln(&format!("{array}: rate {n} tracks/s"));
                            return Ok(());
                        }
                    }
                    None => {
                        if let Some(n) = (v.get_rate)(&s, &array)? {
                            outln(&format!("{array}: rate {n} tracks/s"));
                            return Ok(());
                        }
                    }
                }
            }
            bail!("no emulated array named {array}");
        }
        Cmd::Latency { prog, ms } => {
            let s = store()?;
            match ms {
                Some(ms) => {
                    knobs::set_latency(&s, prog.as_deref(), ms)?;
                    outln(&format!("{}: {ms} ms", prog.as_deref().unwrap_or("*")));
                }
                None => {
                    let k = knobs::load(&s)?;
                    match prog {
                        Some(p) => outln(&format!("{p}: {} ms", k.latency_for(&p))),
                        None if k.latency_ms.is_empty() => outln("*: 0 ms"),
                        None => {
                            for (p, v) in &k.latency_ms {
                                outln(&format!("{p}: {v} ms"));
                            }
                        }
                    }
                }
            }
        }
        Cmd::Fault { cmd } => {
            let s = store()?;
            match cmd {
                FaultCmd::Add(a) => {
                    if a.hmc.is_some() && a.kind.is_none() {
                        bail!("--hmc needs --kind (e.g. --kind hmc-unreachable)");
                    }
                    let r = faults::add(
                        &s,
                        FaultRule {
                            prog: a.prog,
                            command: a.command,
                            pair: a.pair.map(|p| p.to_ascii_uppercase()),
                            kind: a.kind,
                            hmc: a.hmc,
                            exit: a.exit,
                            message: a.message,
                            hang: a.hang,
                            stderr_noise: a.stderr_noise,
                            times: a.times,
                            ..Default::default()
                        },
                    )?;
                    outln(&faults::describe(&r));
                }
                FaultCmd::List => {
                    for r in faults::list(&s)? {
                        outln(&faults::describe(&r));
                    }
                }
                FaultCmd::Clear => faults::clear(&s)?,
            }
        }
        Cmd::Calls {
            json,
            count,
            prog,
            command,
            clear,
        } => {
            let s = store()?;
            if clear {
                calllog::clear(&s)?;
                return Ok(());
            }
            let recs = calllog::read(&s)?;
            if count {
                outln(&calllog::count(&recs, prog.as_deref(), command.as_deref()).to_string());
                return Ok(());
            }
            for r in recs.iter().filter(|r| {
                prog.as_deref().is_none_or_eq(&r.prog)
                    && match command.as_deref() {
                        None => true,
                        Some(c) => r.has_command(c),
                    }
            }) {
                if json {
                    outln(&serde_json::to_string(r)?);
                } else {
                    let cmds = if r.commands.is_empty() {
                        "(no command)".to_string()
                    } else {
                        r.commands.join("; ")
                    };
                    outln(&format!("{}: {cmds}", r.prog));
                }
            }
        }
        Cmd::Setup { vendor, args } => {
            let Some(v) = VENDORS.iter().find(|v| v.name == vendor) else {
                bail!("unknown vendor {vendor} (known: {})", vendor_names());
            };
            if let Some(help) = asks_help(&args).then(|| help_of(&vendor)).flatten() {
                outln(help.setup);
                return Ok(());
            }
            (v.setup)(&args)?;
        }
        Cmd::StateDir => outln(&store()?.root().display().to_string()),
        Cmd::Vendor(words) => {
            let name = words.first().cloned().unwrap_or_default();
            let Some(v) = VENDORS.iter().find(|v| v.name == name) else {
                bail!(
                    "unknown command {name} (try --help; vendors: {})",
                    vendor_names()
                );
            };
            if words.len() == 1 || asks_help(&words[1..2]) || words[1] == "help" {
                if let Some(help) = help_of(&name) {
                    outln(&vendor_help(help));
                    return Ok(());
                }
            }
            let s = store()?;
            (v.admin)(&s, &words[1..]).with_context(|| name.clone())?;
        }
    }
    Ok(())
}

fn asks_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "--help" || a == "-h")
}

fn help_of(name: &str) -> Option<&'static VendorHelp> {
    VENDOR_HELP.iter().find(|v| v.name == name)
}

fn vendor_names() -> String {
    VENDORS
        .iter()
        .map(|v| v.name)
        .collect::<Vec<_>>()
        .join(", ")
}

trait NoneOrEq {
    fn is_none_or_eq(&self, v: &str) -> bool;
}

impl NoneOrEq for Option<&str> {
    fn is_none_or_eq(&self, v: &str) -> bool {
        match self {
            None => true,
            Some(x) => *x == v,
        }
    }
}
