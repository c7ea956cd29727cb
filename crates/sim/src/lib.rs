//! `arraysim`: one executable that answers as each vendor's storage CLI.
//!
//! The executable dispatches on the basename of `argv[0]`: a name listed by a personality
//! (`dscli`, later `iSMsc_*`, `symclone`, ...) runs that emulator, anything else runs the admin
//! subcommands ([`admin`]). Tests and the demo symlink the executable under the vendor names.
//!
//! Layout:
//! - vendor-neutral framework: [`store`] (state directory, locked atomic JSON files),
//!   [`clock`] (emulated clock), [`faults`] (fault rules), [`calllog`] (call log),
//!   [`knobs`] (latency), [`invocation`] (what every personality run goes through),
//!   [`admin`] (the `arraysim` subcommands), [`servers`] (emulated Managed Servers, in place
//!   of ssh);
//! - one module directory per vendor personality: [`dscli`] (IBM DS8000 DS CLI).
//!
//! To add a personality: write `src/<vendor>/`, export a [`Personality`] per program name and a
//! [`Vendor`] for its admin commands, and list them in [`PERSONALITIES`] and [`VENDORS`].
//!
//! The emulators depend on no other workspace crate: a parser and the emulator feeding it must
//! not share code.

pub mod admin;
pub mod calllog;
pub mod clock;
pub mod dscli;
pub mod eternus;
pub mod faults;
pub mod invocation;
pub mod knobs;
pub mod nec;
pub mod servers;
pub mod store;
pub mod symm;

pub use invocation::Invocation;
use store::Store;

/// One emulated program.
pub struct Personality {
    /// Program name (basename of `argv[0]`).
    pub prog: &'static str,
    /// Runs the program; returns its exit code. `args` excludes `argv[0]`.
    pub run: fn(&mut Invocation, &[String]) -> i32,
    /// Masks secrets in argv before it is written to the call log.
    pub mask_argv: fn(&[String]) -> Vec<String>,
    /// Exit code of an injected failure that names no exit code.
    pub default_fault_exit: i32,
    /// Text of an injected failure that names no message: (command, pair) → line.
    pub default_fault_message: fn(Option<&str>, Option<&str>) -> String,
    /// Exit code when the emulator itself cannot work (no state directory, I/O error).
    pub internal_error_exit: i32,
}

/// Admin hooks of one vendor (`arraysim setup <vendor>`, `arraysim <vendor> ...`,
/// `arraysim rate ARRAY N`).
pub struct Vendor {
    pub name: &'static str,
    /// `arraysim setup <vendor> ARGS`; args exclude `setup <vendor>`.
    pub setup: fn(&[String]) -> anyhow::Result<()>,
    /// `arraysim <vendor> ARGS`.
    pub admin: fn(&Store, &[String]) -> anyhow::Result<()>,
    /// Set the copy rate of `array` if this vendor has it; `Ok(false)` when it does not.
    pub set_rate: fn(&Store, &str, u64) -> anyhow::Result<bool>,
    /// Copy rate of `array` if this vendor has it.
    pub get_rate: fn(&Store, &str) -> anyhow::Result<Option<u64>>,
}

/// Every personality, by program name.
pub const PERSONALITIES: &[Personality] = &[
    eternus::PERSONALITY,
    dscli::PERSONALITY,
    nec::CREATE,
    nec::LINK,
    nec::UNLINK,
    nec::QUERY,
    nec::LINKINFO,
    nec::VOLLIST,
    symm::SYMCLONE,
    symm::SYMSNAP,
    symm::SYMDG,
    symm::SYMLD,
    symm::SYMDEV,
];

/// Every vendor's admin hooks.
pub const VENDORS: &[Vendor] = &[
    eternus::VENDOR,
    dscli::VENDOR,
    nec::VENDOR,
    symm::VENDOR,
    servers::VENDOR,
];

/// The program name `argv[0]` designates.
pub fn prog_name(argv0: &str) -> &str {
    std::path::Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(argv0)
}

/// Entry point of the executable; returns the process exit code.
pub fn main_with_args(argv: Vec<String>) -> i32 {
    let argv0 = argv.first().cloned().unwrap_or_default();
    let prog = prog_name(&argv0);
    let rest: Vec<String> = argv.into_iter().skip(1).collect();
    match PERSONALITIES.iter().find(|p| p.prog == prog) {
        Some(p) => invocation::run_personality(p, &rest),
        None => admin::main(&rest),
    }
}
