//! Waiting on arrays: retries with exponential backoff, bounded by a deadline, and
//! bounded parallelism for vendor CLIs that take one pair per call.

use std::thread;
use std::time::{Duration, Instant};

/// Exponential backoff: `initial`, doubled each time, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Backoff { initial, max }
    }

    /// The delay before attempt `n` (0-based) retries.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// [`Backoff::delay`] with "equal jitter": a random point between half the delay and
    /// the whole of it, so hosts started by the same cron minute do not retry a busy
    /// array in lockstep (issue 8). Never longer than the delay, never under half of it.
    pub fn jittered(&self, attempt: u32) -> Duration {
        let delay = self.delay(attempt);
        let half = delay / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A random number in [0, 1): the OS-seeded keys of std's `RandomState`, hashed; no
/// cryptographic quality needed, only no two hosts (or runs) alike.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe<T> {
    /// Done, with the result.
    Ready(T),
    /// Not yet; the text says what is awaited (for the timeout error and progress lines).
    Waiting(String),
    /// Not yet, with a count for progress lines: `done` of `total` items are as `goal`
    /// says ("pairs copied"); `last` is the text of the timeout error (the laggards).
    Counted {
        last: String,
        done: usize,
        total: usize,
        goal: String,
    },
}

/// Why a wait ended without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError<E> {
    /// The deadline passed; the last `Waiting` text and the number of probes made.
    TimedOut { last: String, probes: u32 },
    /// A probe failed.
    Failed(E),
}

/// Waits shorter than this say nothing; longer ones log a progress line on each poll.
pub const PROGRESS_AFTER: Duration = Duration::from_secs(2);

/// The progress line of a wait: `2/8 pairs copied, 40% of 300 s` (with a count), or
/// `still waiting for <what>, 40% of 300 s`.
pub fn progress_line<T>(probe: &Probe<T>, elapsed: Duration, timeout: Duration) -> String {
    let percent = if timeout.is_zero() {
        100
    } else {
        ((elapsed.as_secs_f64() / timeout.as_secs_f64()) * 100.0).round() as u64
    }
    .min(100);
    let bound = format!("{percent}% of {} s", timeout.as_secs());
    match probe {
        Probe::Counted {
            done, total, goal, ..
        } => format!("{done}/{total} {goal}, {bound}"),
        Probe::Waiting(what) => format!("still waiting for {what}, {bound}"),
        Probe::Ready(_) => String::new(),
    }
}

/// Probes until ready, sleeping with backoff between probes, until `timeout` has passed.
/// The first probe runs at once; the last one runs at the deadline, never after it.
/// Past [`PROGRESS_AFTER`], each poll that finds the wait unfinished logs a progress line
/// at INFO through `tracing` (to the logger of the enclosing span).
pub fn wait_until<T, E>(
    timeout: Duration,
    backoff: Backoff,
    probe: impl FnMut(u32) -> Result<Probe<T>, E>,
) -> Result<T, WaitError<E>> {
    wait_with_progress(
        timeout,
        backoff,
        |line| tracing::info!(progress = true, "{line}"),
        probe,
    )
}

/// [`wait_until`] with the progress lines given to `progress` (a driver's own logger, its
/// [`crate::log::Logger::progress`]). However the wait ends, a progress line left open on
/// a terminal is closed.
pub fn wait_with_progress<T, E>(
    timeout: Duration,
    backoff: Backoff,
    mut progress: impl FnMut(&str),
    mut probe: impl FnMut(u32) -> Result<Probe<T>, E>,
) -> Result<T, WaitError<E>> {
    let _line = crate::log::ProgressScope;
    let started = Instant::now();
    let deadline = started + timeout;
    let mut attempt = 0u32;
    loop {
        let found = probe(attempt).map_err(WaitError::Failed)?;
        let elapsed = started.elapsed();
        if attempt > 0 && elapsed >= PROGRESS_AFTER && !matches!(found, Probe::Ready(_)) {
            progress(&progress_line(&found, elapsed, timeout));
        }
        let last = match found {
            Probe::Ready(value) => return Ok(value),
            Probe::Waiting(what) => what,
            Probe::Counted { last, .. } => last,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut {
                last,
                probes: attempt + 1,
            });
        }
        // A signal cuts the sleep short; the next probe's vendor command then refuses to start.
        crate::signals::sleep(backoff.jittered(attempt).min(deadline - now));
        attempt += 1;
    }
}

/// Retries `op` while `retryable(error)` says so, with backoff, at most `attempts` times.
pub fn retry<T, E>(
    attempts: u32,
    backoff: Backoff,
    retryable: impl Fn(&E) -> bool,
    mut op: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    let mut attempt = 0u32;
    loop {
        match op(attempt) {
            Err(e) if attempt + 1 < attempts && retryable(&e) => {
                crate::signals::sleep(backoff.jittered(attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Maps `f` over `items` on at most `bound` threads, keeping the input order of results.
/// For vendor CLIs without batching (one pair per call), under a per-array session bound.
/// The calling thread is one of them: the first item starts without waiting for a thread
/// to be created (under load a `clone3` took milliseconds, at every phase of a resync).
pub fn bounded_map<I, T, F>(items: &[I], bound: usize, f: F) -> Vec<T>
where
    I: Sync,
    T: Send,
    F: Fn(&I) -> T + Sync,
{
    let bound = bound.max(1).min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<T>> = Vec::with_capacity(items.len());
    results.resize_with(items.len(), || None);
    let slots = std::sync::Mutex::new(results);
    let work = || loop {
        let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let Some(item) = items.get(index) else { break };
        let value = f(item);
        if let Ok(mut slots) = slots.lock() {
            slots[index] = Some(value);
        }
    };
    thread::scope(|scope| {
        for _ in 1..bound {
            scope.spawn(work);
        }
        work();
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        let delays: Vec<u128> = (0..5).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 700, 700]);
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(700));
    }

    #[test]
    fn jitter_spreads_retries_within_half_to_full_delay() {
        let b = Backoff::new(Duration::from_millis(1000), Duration::from_millis(8000));
        let delays: Vec<Duration> = (0..50).map(|_| b.jittered(2)).collect();
        assert!(delays
            .iter()
            .all(|d| *d >= Duration::from_millis(2000) && *d <= Duration::from_millis(4000)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 40, "retries in lockstep: {distinct:?}");
    }

    #[test]
    fn wait_returns_when_ready_and_counts_probes_on_timeout() {
        let fast = Backoff::new(Duration::from_millis(1), Duration::from_millis(5));
        let got: Result<u32, WaitError<()>> = wait_until(Duration::from_secs(5), fast, |n| {
            Ok(if n == 3 {
                Probe::Ready(n)
            } else {
                Probe::Waiting("x".into())
            })
        });
        assert_eq!(got, Ok(3));
        let started = Instant::now();
        let err: Result<(), WaitError<()>> = wait_until(Duration::from_millis(50), fast, |_| {
            Ok(Probe::Waiting("copyinprog".into()))
        });
        match err {
            Err(WaitError::TimedOut { last, probes }) => {
                assert_eq!(last, "copyinprog");
                assert!(probes >= 2, "{probes}");
            }
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn progress_lines_count_pairs_and_the_share_of_the_bound() {
        let counted: Probe<()> = Probe::Counted {
            last: "x".into(),
            done: 2,
            total: 8,
            goal: "pairs copied".into(),
        };
        assert_eq!(
            progress_line(&counted, Duration::from_secs(120), Duration::from_secs(300)),
            "2/8 pairs copied, 40% of 300 s"
        );
        let waiting: Probe<()> = Probe::Waiting("SV:0001 snap/prepare".into());
        assert_eq!(
            progress_line(&waiting, Duration::from_secs(9), Duration::from_secs(3)),
            "still waiting for SV:0001 snap/prepare, 100% of 3 s"
        );
        let fast = Backoff::new(Duration::from_millis(400), Duration::from_millis(400));
        let mut lines = Vec::new();
        let got: Result<(), WaitError<()>> = wait_with_progress(
            Duration::from_millis(3500),
            fast,
            |line| lines.push(line.to_string()),
            |n| {
                Ok(Probe::Counted {
                    last: "late".into(),
                    done: n as usize,
                    total: 20,
                    goal: "pairs copied".into(),
                })
            },
        );
        assert!(matches!(got, Err(WaitError::TimedOut { .. })));
        // Probes every 0.2 to 0.4 s (jittered); lines only past 2 s, until 3.5 s: at least
        // 3 of them (every 0.4 s), at most 9 (every 0.2 s).
        assert!((3..=9).contains(&lines.len()), "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| l.contains("/20 pairs copied, ") && l.ends_with("% of 3 s")),
            "{lines:?}"
        );
    }

    #[test]
    fn retry_stops_on_success_or_hard_error() {
        let fast = Backoff::new(Duration::from_millis(1), Duration::from_millis(1));
        let r: Result<u32, &str> = retry(
            5,
            fast,
            |e| *e == "busy",
            |n| if n < 2 { Err("busy") } else { Ok(n) },
        );
        assert_eq!(r, Ok(2));
        let calls = AtomicUsize::new(0);
        let r: Result<(), &str> = retry(
            5,
            fast,
            |e| *e == "busy",
            |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("hard")
            },
        );
        assert_eq!((r, calls.load(Ordering::SeqCst)), (Err("hard"), 1));
    }

    #[test]
    fn bounded_map_keeps_order_and_bound() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let items: Vec<u32> = (0..20).collect();
        let out = bounded_map(&items, 4, |n| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            n * 2
        });
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 4);
        assert!(peak.load(Ordering::SeqCst) >= 2);
    }

    #[test]
    fn bounded_map_works_on_the_calling_thread_too() {
        let caller = thread::current().id();
        let items: Vec<u32> = (0..8).collect();
        let on_caller = |bound| {
            bounded_map(&items, bound, |_| {
                thread::sleep(Duration::from_millis(2));
                thread::current().id() == caller
            })
        };
        assert!(
            on_caller(1).iter().all(|c| *c),
            "one at a time: no thread started"
        );
        let shared = on_caller(4);
        assert!(shared.iter().any(|c| *c) && !shared.iter().all(|c| *c));
    }
}
