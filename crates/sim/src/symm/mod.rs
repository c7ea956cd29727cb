//! EMC Symmetrix SYMCLI personalities (`symclone`, `symsnap`, `symdg`, `symld`, `symdev`), per
//! docs/reference/vendor-cli.md §2 and seed 002.
//!
//! - [`model`]: arrays (devices, clone/snap sessions, copy progress with the clock) and the
//!   host's SYMAPI database (device groups).
//! - [`clone`]: `symclone`/`symsnap` control actions, `query`, `verify`.
//! - [`group`]: `symdg`, `symld` (seed 002's setup commands and `list -v`), `symdev list`.
//! - [`format`]: every text and XML output; [`args`]: SYMCLI syntax; [`admin`]: setup and
//!   the `arraysim symclone ...` commands.
//!
//! Faults: `--command` names an action (`recreate`, `activate`, ...), `--pair` a pair as
//! `SRC:TGT` device ids or logical names (`1234:4321`, `DEV001:CLONE001`); either fails the
//! whole command, as SYMCLI checks every pair before it changes any. `--kind locked` makes a
//! program answer like a locked SYMAPI database (exit 2, `... locked by another process`).
//!
//! Exit codes: 0 ok, 1 failure (syntax, unknown group or device, invalid state), 2 SYMAPI
//! database locked, 4 / 5 `verify`: not all / none of the pairs in the state.
//!
//! Not modelled: SYMCLI's own `-i`/`-c` retries of control actions (a lock fails at once),
//! `-consistent` (accepted), `-copy`/CopyOnAccess, multi-session `-multi` listings, BCVs,
//! SRDF, `symcfg discover`, `SYMCLI_CONNECT` (client/server mode), the `CGDP` flag legend.

pub mod admin;
pub mod args;
pub mod clone;
pub mod format;
pub mod group;
pub mod model;

use crate::{Personality, Vendor};

fn no_mask(argv: &[String]) -> Vec<String> {
    argv.to_vec()
}

const fn personality(
    prog: &'static str,
    run: fn(&mut crate::Invocation, &[String]) -> i32,
) -> Personality {
    Personality {
        prog,
        run,
        mask_argv: no_mask,
        default_fault_exit: format::exit::FAIL,
        default_fault_message: format::injected,
        internal_error_exit: format::exit::FAIL,
    }
}

pub const SYMCLONE: Personality = personality("symclone", clone::run_clone);
pub const SYMSNAP: Personality = personality("symsnap", clone::run_snap);
pub const SYMDG: Personality = personality("symdg", group::run_symdg);
pub const SYMLD: Personality = personality("symld", group::run_symld);
pub const SYMDEV: Personality = personality("symdev", group::run_symdev);

pub const VENDOR: Vendor = Vendor {
    name: "symclone",
    setup: admin::setup,
    admin: admin::admin,
    set_rate: admin::set_rate,
    get_rate: admin::get_rate,
};
