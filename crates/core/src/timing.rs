//! The process's own CPU time, for `ARRAYSYNC_TIMING` (scripts/bench). Unlike own wall
//! time (wall minus the time a vendor command was in flight), it does not grow when the
//! machine is loaded and the process waits for a core.

use std::time::Duration;

/// CPU time used by this process so far (all threads, not its children).
pub fn process_cpu_time() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = process_cpu_time();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(process_cpu_time() > before);
    }
}
