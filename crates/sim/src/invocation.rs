//! What every personality run goes through: state directory, latency, invocation-level
//! faults, the personality itself, the call log.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::calllog::{self, CallRecord};
use crate::faults::{self, Scope};
use crate::store::Store;
use crate::{knobs, Personality};

/// Write a line to stdout; a closed pipe is ignored (never a panic).
pub fn outln(line: &str) {
    out(&format!("{line}\n"));
}

/// Write text to stdout and flush; errors are ignored.
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Write a line to stderr; errors are ignored.
pub fn errln(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(format!("{line}\n").as_bytes());
    let _ = e.flush();
}

/// An injected failure: print `message` on stderr, fail with `exit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub exit: i32,
    pub message: String,
}

/// One running invocation of a personality.
pub struct Invocation {
    pub store: Store,
    personality: &'static Personality,
    argv: Vec<String>,
    commands: Vec<String>,
    start: Instant,
    ts: String,
}

impl Invocation {
    pub fn prog(&self) -> &'static str {
        self.personality.prog
    }

    /// Record a command executed in this invocation (already masked).
    pub fn record_command(&mut self, command: String) {
        self.commands.push(command);
    }

    /// Fire the fault rules matching `scope`: noise is printed right away, a hang never
    /// returns; the rules that fired are returned (for kind rules, matching is the effect).
    pub fn fired(&mut self, scope: Scope<'_>) -> Vec<faults::FaultRule> {
        let rules = match faults::fire(&self.store, self.prog(), &scope) {
            Ok(r) => r,
            Err(e) => {
                errln(&e.to_string());
                return Vec::new();
            }
        };
        for r in &rules {
            if let Some(noise) = &r.stderr_noise {
                errln(noise);
            }
        }
        if rules.iter().any(|r| r.hang) {
            self.hang();
        }
        rules
    }

    /// The failure (if any) of the rules matching `scope`, for the personality to report in
    /// its own format; `command`/`pair` feed the personality's default message.
    pub fn faults(
        &mut self,
        scope: Scope<'_>,
        command: Option<&str>,
        pair: Option<&str>,
    ) -> Option<Failure> {
        let rules = self.fired(scope);
        rules
            .iter()
            .find(|r| r.fails())
            .map(|r| self.failure(r, command, pair))
    }

    /// The failure a fired rule stands for, with the personality's defaults filled in.
    pub fn failure(
        &self,
        r: &faults::FaultRule,
        command: Option<&str>,
        pair: Option<&str>,
    ) -> Failure {
        Failure {
            exit: r.exit.unwrap_or(self.personality.default_fault_exit),
            message: r
                .message
                .clone()
                .unwrap_or_else(|| (self.personality.default_fault_message)(command, pair)),
        }
    }

    /// Sleep until killed. The call is logged first (exit `null`) so it is still counted.
    /// Hangs like a stuck vendor CLI until killed, or until its parent is gone: a caller
    /// killed with SIGKILL cannot reap its children, and a hung emulator must not outlive
    /// the test that asked for it.
    pub fn hang(&self) -> ! {
        let _ = std::io::stdout().flush();
        self.log(None);
        let parent = nix::unistd::getppid();
        // A real CLI does not notice its caller dying; tests of what a killed tool leaves
        // behind ask for that (`ARRAYSIM_HANG_OUTLIVES_PARENT=1`), bounded to 120 s.
        let outlive = std::env::var_os("ARRAYSIM_HANG_OUTLIVES_PARENT").is_some();
        let started = std::time::Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(200));
            if outlive && started.elapsed() > Duration::from_secs(120) {
                std::process::exit(137);
            }
            if !outlive && nix::unistd::getppid() != parent {
                std::process::exit(137);
            }
        }
    }

    fn log(&self, exit: Option<i32>) {
        let rec = CallRecord {
            ts: self.ts.clone(),
            prog: self.prog().to_string(),
            argv: self.argv.clone(),
            commands: self.commands.clone(),
            exit,
            duration_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(e) = calllog::append(&self.store, &rec) {
            errln(&e.to_string());
        }
    }

    fn finish(self, exit: i32) -> i32 {
        let _ = std::io::stdout().flush();
        self.log(Some(exit));
        exit
    }
}

/// Run one personality: state dir, latency, invocation faults, the program, call log.
pub fn run_personality(p: &'static Personality, args: &[String]) -> i32 {
    let start = Instant::now();
    let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let store = match Store::from_env() {
        Ok(s) => s,
        Err(e) => {
            errln(&e.to_string());
            return p.internal_error_exit;
        }
    };
    match knobs::load(&store) {
        Ok(k) => {
            let ms = k.latency_for(p.prog);
            if ms > 0 {
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
        Err(e) => {
            errln(&e.to_string());
            return p.internal_error_exit;
        }
    }
    let mut argv = vec![p.prog.to_string()];
    argv.extend((p.mask_argv)(args));
    let mut inv = Invocation {
        store,
        personality: p,
        argv,
        commands: Vec::new(),
        start,
        ts,
    };
    if let Some(f) = inv.faults(Scope::Invocation, None, None) {
        errln(&f.message);
        return inv.finish(f.exit);
    }
    let code = (p.run)(&mut inv, args);
    inv.finish(code)
}
