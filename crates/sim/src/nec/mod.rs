//! NEC iStorage Manager (iSM) SnapControl personality, per docs/reference/vendor-cli.md §3
//! and seed 001: `iSMsc_create`, `iSMsc_link`, `iSMsc_unlink`, `iSMsc_query`,
//! `iSMsc_linkinfo` and `iSMvollist`, each a program of its own (symlinked into
//! `$ROOT/usr/bin`, where the driver looks them up through PATH).
//!
//! Model ([`model`]): arrays of logical disks by name: base volumes (BV), snapshot volumes
//! (SV, of one BV) and link volumes (LV, linked to at most one SV). The commands name no
//! array: an LD name is looked up in every emulated array.
//! - `iSMsc_create -bv BV -sv SV -bvflg ld -svflg ld` (re)takes the SV's snapshot:
//!   `snap/active`, stamped now. Refused while the SV is linked to an LV, or while any
//!   snapshot of the BV is in a transitional state (`snap/deleting`, `rst/exec`, ...).
//! - `iSMsc_link -lv LV -sv SV -lvflg ld -svflg ld` needs a `snap/active` SV and a free LV
//!   and SV; `iSMsc_unlink -lv LV -lvflg ld` needs a linked LV.
//! - `iSMsc_query -sv SV -svflg ld`, `iSMsc_query -bv BV -bvflg ld [-sv SV -svflg ld]
//!   [-detail]`, `iSMsc_linkinfo -vol VOL -volflg ld [-lcl]`: the formats of
//!   vendor-cli.md §3.3 ([`format`]).
//! - `iSMvollist -d` lists the arrays, `iSMvollist -r` (re)builds the volume list.
//! - Every command fails while the host agent is not registered or the volume list is
//!   missing (`arraysim necism host`), with an error message on stderr and exit 1.
//!
//! States move with the clock: `arraysim necism state SV snap/deleting --for 10m` keeps the
//! SV in that state for ten emulated minutes, then `snap/active` (or `--then STATE`);
//! without `--for` it stays. Printed dates are shifted back by the clock offset.
//!
//! Faults: `--command` is the program name (iSM programs have no sub-commands); `--pair`
//! matches any LD name the command line names, or `SV:LV` for `iSMsc_link` (and for
//! `iSMsc_unlink` of a linked LV); `--kind busy` answers `iSM31005` (busy, which clients
//! retry) to every call of the program, `--times N` limiting it. Without `--message` a
//! failure prints `<prog>:Error: iSM90900: The command failed (injected fault ...)`.
//!
//! Not modelled: special-file volume flags (`-xxflg sfn`), `-summary` layouts, snapshot
//! data sizes and pools, cyclic generations, `iSMsc_delete`/`iSMsc_restore`, the time a
//! real create takes (use `arraysim latency --prog iSMsc_create MS`).

pub mod admin;
pub mod args;
pub mod commands;
pub mod format;
pub mod messages;
pub mod model;

use crate::{Personality, Vendor};

const fn personality(prog: &'static str) -> Personality {
    Personality {
        prog,
        run: commands::run,
        mask_argv: no_secrets,
        default_fault_exit: messages::EXIT_FAILED,
        default_fault_message: messages::injected,
        internal_error_exit: messages::EXIT_FAILED,
    }
}

fn no_secrets(argv: &[String]) -> Vec<String> {
    argv.to_vec()
}

pub const CREATE: Personality = personality("iSMsc_create");
pub const LINK: Personality = personality("iSMsc_link");
pub const UNLINK: Personality = personality("iSMsc_unlink");
pub const QUERY: Personality = personality("iSMsc_query");
pub const LINKINFO: Personality = personality("iSMsc_linkinfo");
pub const VOLLIST: Personality = personality("iSMvollist");

/// The program names, for setup's symlinks.
pub const PROGRAMS: &[&str] = &[
    "iSMsc_create",
    "iSMsc_link",
    "iSMsc_unlink",
    "iSMsc_query",
    "iSMsc_linkinfo",
    "iSMvollist",
];

pub const VENDOR: Vendor = Vendor {
    name: "necism",
    setup: admin::setup,
    admin: admin::admin,
    set_rate: admin::set_rate,
    get_rate: admin::get_rate,
};
