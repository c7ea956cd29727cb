//! SIGINT, SIGTERM and SIGHUP (Ctrl-C, `timeout`, a service manager's stop): the tool does
//! not die mid-action leaving a vendor command running with the lock released
//! (DESIGN §9, docs/hardening.md). Once [`install`]ed, a signal only sets a flag:
//!
//! - the runner starts no new vendor command and ends the running ones' process groups
//!   (TERM, then KILL after the grace), returning [`crate::CommandError::Interrupted`];
//! - waits (polling, lock waits) stop sleeping;
//! - the front end logs "interrupted by signal", drops the lock after the children are gone
//!   and exits `128 + signal`.
//!
//! A second signal of the same kinds ends the tool at once (exit 1): the service lock is
//! inherited by vendor commands (see [`crate::lock`]), so even then no rerun overlaps them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The signals handled.
pub const HANDLED: &[i32] = &[
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

struct Flags {
    any: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
}

fn flags() -> &'static Flags {
    static FLAGS: OnceLock<Flags> = OnceLock::new();
    FLAGS.get_or_init(|| Flags {
        any: Arc::new(AtomicBool::new(false)),
        which: Arc::new(AtomicUsize::new(0)),
    })
}

/// Installs the handlers (idempotent). Binaries call it first thing.
pub fn install() -> std::io::Result<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let flags = flags();
    for &signal in HANDLED {
        // Order matters: the shutdown check sees the flag as it was before this signal.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&flags.any))?;
        signal_hook::flag::register_usize(signal, Arc::clone(&flags.which), signal as usize)?;
        signal_hook::flag::register(signal, Arc::clone(&flags.any))?;
    }
    let _ = INSTALLED.set(());
    Ok(())
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    let flags = flags();
    if !flags.any.load(Ordering::SeqCst) {
        return None;
    }
    match flags.which.load(Ordering::SeqCst) {
        0 => Some(signal_hook::consts::SIGTERM),
        n => i32::try_from(n).ok(),
    }
}

/// The conventional name of a signal number (`SIGTERM`).
pub fn name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

/// The exit status of a run ended by `signal`: 128 + its number, as a shell reports it.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// Sleeps `duration`, waking early when a signal arrives. Returns false when interrupted.
pub fn sleep(duration: Duration) -> bool {
    const SLICE: Duration = Duration::from_millis(50);
    let deadline = Instant::now() + duration;
    loop {
        if received().is_some() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep(SLICE.min(deadline - now));
    }
}
