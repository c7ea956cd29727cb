//! Building ETERNUS worlds in tests: a box set up in the emulator, its volumes, the device
//! map and the ACM pre/post-processing scripts, shared by every ETERNUS suite.

use super::env::TestEnv;

/// The device map of the ACM commands (device, box, volume number, server).
pub const DEVICES: &str = "/etc/opt/FJSVswstf/devices.conf";

/// Customized scripts that always succeed.
pub const CUSTOMIZED: &str = "#!/bin/sh\nexit 0\n";

/// The replication scripts (`swsrp*`), in their directory.
pub const REPLICATION_SCRIPTS: &[&str] = &[
    "/etc/opt/FJSVswsrp/sh/RepSrc.pre",
    "/etc/opt/FJSVswsrp/sh/RepSrc.post",
    "/etc/opt/FJSVswsrp/sh/RepDst.pre",
    "/etc/opt/FJSVswsrp/sh/RepDst.post",
];

/// The backup scripts (`swst*`), in their directory.
pub const BACKUP_SCRIPTS: &[&str] = &[
    "/etc/opt/FJSVswsts/sh/OpcBackup.pre",
    "/etc/opt/FJSVswsts/sh/OpcBackup.post",
    "/etc/opt/FJSVswsts/sh/OpcRestore.pre",
    "/etc/opt/FJSVswsts/sh/OpcRestore.post",
];

/// Box `array` in the emulator with `volumes` volumes of the default size, this server
/// named `server` (`arraysim setup eternus`).
pub fn setup_box(env: &TestEnv, array: &str, volumes: u32, server: &str) {
    let root = env.root.display().to_string();
    env.sim(&[
        "setup",
        "eternus",
        "--root",
        &root,
        "--array",
        array,
        "--volumes",
        &volumes.to_string(),
        "--server",
        server,
    ]);
}

/// Volume `number` of `mb` MB on box `array`; `options`: more `add-volume` options
/// (`--type sdv --physical-mb 16`).
pub fn add_volume(env: &TestEnv, array: &str, number: usize, mb: u64, options: &[&str]) {
    let (number, mb) = (number.to_string(), mb.to_string());
    let mut args = vec!["eternus", "add-volume", array, &number, "--size-mb", &mb];
    args.extend_from_slice(options);
    env.sim(&args);
}

/// Snap Data Volume `number` of `mb` MB logical, `physical_mb` MB physical, on box `array`.
pub fn add_sdv(env: &TestEnv, array: &str, number: usize, mb: u64, physical_mb: u64) {
    let physical = physical_mb.to_string();
    add_volume(
        env,
        array,
        number,
        mb,
        &["--type", "sdv", "--physical-mb", &physical],
    );
}

/// Each of `scripts` (absolute paths) written with `text`, executable.
pub fn install_scripts(env: &TestEnv, scripts: &[&str], text: &str) {
    for script in scripts {
        env.write_executable(script, text);
    }
}

/// The bytes of volume `volume` of box `array`.
pub fn read(env: &TestEnv, array: &str, volume: u32) -> Vec<u8> {
    let out = env.path(&format!("/tmp-read-{array}-{volume}.img"));
    let out_text = out.display().to_string();
    env.sim(&[
        "eternus",
        "read",
        array,
        &volume.to_string(),
        "--out",
        &out_text,
    ]);
    std::fs::read(out).expect("read")
}

/// `len` random bytes (from `seed`) written at `offset` of volume `volume` of box `array`.
pub fn write(env: &TestEnv, array: &str, volume: u32, offset: u64, len: u64, seed: u64) {
    let (volume, offset, len, seed) = (
        volume.to_string(),
        offset.to_string(),
        len.to_string(),
        seed.to_string(),
    );
    env.sim(&[
        "eternus", "write", array, &volume, &offset, "--random", &len, "--seed", &seed,
    ]);
}

/// The root of the emulated Managed Server `name`.
pub fn server_root(env: &TestEnv, name: &str) -> std::path::PathBuf {
    env.path(&format!("/var/lib/arraysim/servers/{name}"))
}

/// Managed Server `name` emulated with its own root, running the remote agent
/// `swsrp-remote` (`arraysim server add`).
pub fn add_server(env: &TestEnv, name: &str) {
    let root = env.root.display().to_string();
    let agent = env!("CARGO_BIN_EXE_swsrp-remote");
    env.sim(&["server", "add", name, "--root", &root, "--agent-bin", agent]);
}

/// Sessions opened to emulated servers since the last `clear_calls`.
pub fn sessions(env: &TestEnv) -> Vec<String> {
    env.calls(Some("server"))
        .iter()
        .map(|c| c["argv"][0].as_str().unwrap_or("?").to_string())
        .collect()
}

/// Array commands that change something, since the last `clear_calls`.
pub fn array_actions(env: &TestEnv) -> Vec<String> {
    env.commands(Some("eternus-cli"))
        .into_iter()
        .filter(|c| !c.starts_with("show"))
        .collect()
}

/// Whether a copy session was started on the array (`eternus-cli start ...`) since the
/// last `clear_calls`.
pub fn started_a_copy(env: &TestEnv) -> bool {
    env.commands(Some("eternus-cli"))
        .iter()
        .any(|c| c.starts_with("start"))
}

/// The bytes box `array` has copied so far (`arraysim eternus stats`: `copied_bytes`).
pub fn copied_bytes(env: &TestEnv, array: &str) -> u64 {
    env.sim(&["eternus", "stats", array])
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("copied_bytes "))
        .and_then(|v| v.parse().ok())
        .expect("copied_bytes")
}

/// A small deterministic generator for offsets and lengths.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// An `eternus-cli` session to box `array` as another process would open it (a Web GUI,
/// another command), its stdin piped and its stdout as given.
pub fn cli_session(env: &TestEnv, array: &str, stdout: std::process::Stdio) -> std::process::Child {
    std::process::Command::new(env.path("/opt/arraysim/eternus-cli"))
        .arg(array)
        .env("ARRAYSYNC_ROOT", &env.root)
        .stdin(std::process::Stdio::piped())
        .stdout(stdout)
        .spawn()
        .expect("cli")
}
