//! A sandbox root per test: `ARRAYSYNC_ROOT` points at a temp dir, the emulators are
//! symlinked where the vendor CLIs live, and the binaries run as separate processes.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

#[path = "../support/arraysim.rs"]
mod arraysim;
pub use arraysim::arraysim_bin;

/// Polls `done` until it holds; fails with `what` once `limit` has passed.
#[track_caller]
pub fn wait_until(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The result of a command, with helpers for assertions.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        self.code(0)
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stderr\n{}\n--- stdout\n{}",
            self.stderr,
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// The node settings file.
pub const SETTINGS: &str = "/etc/arraysync/arraysync.toml";

/// One sandbox root.
pub struct TestEnv {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("arraysync-e2e")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().to_path_buf();
        let env = TestEnv { _dir: dir, root };
        // The suite reads the INFO lines of successful runs on stderr, as an operator at a
        // terminal sees them; piped, stderr would get WARNING and up only (the cron default,
        // tested with `TestEnv::with_default_settings`).
        env.write(SETTINGS, "[log]\nstderr = \"info\"\n");
        env
    }

    /// A sandbox without node settings: every default, as on a fresh node.
    pub fn with_default_settings() -> TestEnv {
        let env = TestEnv::new();
        let _ = std::fs::remove_file(env.path(SETTINGS));
        env
    }

    /// A command with the sandbox environment: only `ARRAYSYNC_ROOT` decides paths.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("ARRAYSYNC_ROOT", &self.root)
            .env_remove("ARRAYSIM_STATE")
            .env_remove("ARRAYSYNC_ETC")
            .env_remove("ARRAYSYNC_VAR")
            .env("TZ", "UTC");
        cmd
    }

    pub fn run(&self, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Run {
        Run::from(self.command(program).args(args).output().expect("spawn"))
    }

    pub fn arraysync(&self, args: &[&str]) -> Run {
        self.run(env!("CARGO_BIN_EXE_arraysync"), args)
    }

    pub fn syncresync(&self, args: &[&str]) -> Run {
        self.run(env!("CARGO_BIN_EXE_syncresync"), args)
    }

    /// `arraysync -s SVC print status --format json`, parsed (whatever its exit code).
    pub fn status_json(&self, svc: &str) -> Value {
        self.arraysync(&["-s", svc, "print", "status", "--format", "json"])
            .json()
    }

    /// Panics unless the service's status (`print status`) is `up`.
    #[track_caller]
    pub fn assert_up(&self, svc: &str) {
        let status = self.status_json(svc);
        assert_eq!(status[0]["status"], "up", "{status:#}");
    }

    /// `arraysim ARGS` (admin commands), panicking on failure.
    pub fn sim(&self, args: &[&str]) -> Run {
        let run = self.run(arraysim_bin(), args);
        assert_eq!(
            run.code, 0,
            "arraysim {args:?} failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }

    /// [`TestEnv::sim`] with its arguments in one line, split on whitespace
    /// (`eternus rec-buffer DX1 1 --disk-state warning`).
    pub fn sim_line(&self, line: &str) -> Run {
        let args: Vec<&str> = line.split_whitespace().collect();
        self.sim(&args)
    }

    pub fn path(&self, absolute: &str) -> PathBuf {
        self.root.join(absolute.trim_start_matches('/'))
    }

    pub fn write(&self, absolute: &str, text: &str) {
        let path = self.path(absolute);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }

    /// Writes `text` to `absolute`, executable (a script).
    pub fn write_executable(&self, absolute: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        self.write(absolute, text);
        std::fs::set_permissions(self.path(absolute), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }

    pub fn read(&self, absolute: &str) -> String {
        std::fs::read_to_string(self.path(absolute)).unwrap_or_default()
    }

    /// Writes `<etc>/<service>.conf`.
    pub fn write_service(&self, service: &str, text: &str) {
        let file = format!("/etc/arraysync/{service}.conf");
        self.write(&file, text);
        // Explicit, whatever the umask: service files must not be group-writable.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.path(&file), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }

    pub fn service_conf(&self, service: &str) -> String {
        self.read(&format!("/etc/arraysync/{service}.conf"))
    }

    /// The service's action log.
    pub fn log(&self, service: &str) -> String {
        self.read(&format!("/var/lib/arraysync/log/{service}.log"))
    }

    /// Declares a mounted filesystem in the sandbox mount table (`/proc/self/mounts`).
    pub fn mount(&self, source: &str, target: &str) {
        let mut text = self.read("/proc/self/mounts");
        text.push_str(&format!("{source} {target} ext4 rw 0 0\n"));
        self.write("/proc/self/mounts", &text);
    }

    pub fn unmount_all(&self) {
        self.write("/proc/self/mounts", "");
    }

    /// The emulator call log, optionally only one program's calls.
    pub fn calls(&self, prog: Option<&str>) -> Vec<Value> {
        let run = self.sim(&["calls", "--json"]);
        let all: Vec<Value> = run
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad call record {l}: {e}")))
            .collect();
        all.into_iter()
            .filter(|c| prog.is_none_or(|p| c["prog"] == p))
            .collect()
    }

    /// The commands run in each call, flattened (`resyncflash -dev ...`).
    pub fn commands(&self, prog: Option<&str>) -> Vec<String> {
        self.calls(prog)
            .iter()
            .flat_map(|c| c["commands"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect()
    }

    pub fn clear_calls(&self) {
        self.sim(&["calls", "--clear"]);
    }

    /// Injects a fault into `prog`'s calls (`arraysim fault add --prog PROG OPTIONS`:
    /// `--command start --message ""`).
    pub fn fault(&self, prog: &str, options: &[&str]) {
        let mut args = vec!["fault", "add", "--prog", prog];
        args.extend_from_slice(options);
        self.sim(&args);
    }

    /// Makes `prog`'s `command` hang until killed (the emulator's fault injection).
    pub fn hang(&self, prog: &str, command: &str) {
        self.fault(prog, &["--command", command, "--hang"]);
    }

    /// Whether an injected fault has fired (`arraysim fault list`).
    pub fn fault_fired(&self) -> bool {
        let list = self.sim(&["fault", "list"]).stdout;
        list.contains("fired=") && !list.contains("fired=0")
    }

    /// Starts `program` in the background in this sandbox, its output discarded.
    pub fn spawn_quiet(&self, program: &str, args: &[&str]) -> std::process::Child {
        self.command(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    }

    /// Waits up to `secs` until the call log shows `prog` started a command beginning
    /// with `prefix`; fails with `what` otherwise.
    #[track_caller]
    pub fn wait_for_command(&self, prog: &str, prefix: &str, secs: u64, what: &str) {
        wait_until(what, std::time::Duration::from_secs(secs), || {
            self.commands(Some(prog))
                .iter()
                .any(|c| c.starts_with(prefix))
        });
    }

    /// Rewrites a keyword of a service file section (adds it when absent).
    pub fn set_keyword(&self, service: &str, section: &str, key: &str, value: &str) {
        let text = self.service_conf(service);
        let mut out = Vec::new();
        let mut in_section = false;
        let mut done = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                if in_section && !done {
                    out.push(format!("{key} = {value}"));
                    done = true;
                }
                in_section = trimmed == format!("[{section}]");
            }
            if in_section && !done && trimmed.split(['=', ':']).next().map(str::trim) == Some(key) {
                out.push(format!("{key} = {value}"));
                done = true;
                continue;
            }
            out.push(line.to_string());
        }
        if !done {
            if !in_section {
                out.push(format!("[{section}]"));
            }
            out.push(format!("{key} = {value}"));
        }
        self.write_service(service, &(out.join("\n") + "\n"));
    }
}

impl TestEnv {
    /// Deletes a keyword (and its continuation lines) from a section of a service file.
    pub fn remove_keyword(&self, service: &str, section: &str, key: &str) {
        let text = self.service_conf(service);
        let mut out = Vec::new();
        let mut in_section = false;
        let mut skipping = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                in_section = trimmed == format!("[{section}]");
            }
            if skipping && (line.starts_with(' ') || line.starts_with('\t')) && !trimmed.is_empty()
            {
                continue;
            }
            skipping = in_section
                && trimmed.split(['=', ':']).next().map(str::trim) == Some(key)
                && !trimmed.starts_with(['#', ';']);
            if skipping {
                continue;
            }
            out.push(line.to_string());
        }
        self.write_service(service, &(out.join("\n") + "\n"));
    }
}
