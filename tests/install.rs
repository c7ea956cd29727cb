//! scripts/install as a packager and an admin use it: `--destdir D` (with `--from` the
//! binaries this test run built, so the test costs no release build), then the tree is
//! checked file by file, installed again (nothing may change), and the templates are put
//! through the tools that judge them (systemd-analyze, ocf-tester, shellcheck, logrotate,
//! groff) when those are installed; a check whose tool is missing says so and passes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support {
    pub mod arraysim;
}
use support::arraysim::arraysim_bin;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of the binaries under test, with `arraysim` (another package's) built.
fn bins() -> PathBuf {
    arraysim_bin().parent().expect("bin dir").to_path_buf()
}

fn install(dest: &Path, extra: &[&str]) -> Output {
    let output = Command::new(repo().join("scripts/install"))
        .arg("--destdir")
        .arg(dest)
        .arg("--from")
        .arg(bins())
        .args(extra)
        .env_remove("ARRAYSYNC_ROOT")
        .output()
        .expect("run scripts/install");
    assert!(
        output.status.success(),
        "scripts/install failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn assert_regular(path: &Path, want: u32) {
    let meta = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        meta.file_type().is_file(),
        "{} is not a regular file",
        path.display()
    );
    assert_eq!(mode(path), want, "mode of {}", path.display());
}

/// Every path of a tree with its kind, mode, size, mtime and content (or link target).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, u64, i64, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let content = if meta.file_type().is_symlink() {
                fs::read_link(&path)
                    .expect("readlink")
                    .into_os_string()
                    .into_encoded_bytes()
            } else if meta.is_file() {
                fs::read(&path).expect("read")
            } else {
                stack.push(path.clone());
                Vec::new()
            };
            out.insert(
                path.strip_prefix(root).expect("under root").to_path_buf(),
                (
                    meta.mode(),
                    meta.size(),
                    meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
                    content,
                ),
            );
        }
    }
    out
}

/// The ACM command names, from the same table their man pages come from.
fn acm_commands() -> Vec<&'static str> {
    arraysync_acm::COMMANDS
        .iter()
        .map(|spec| spec().name)
        .collect()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `tool` is missing: the check that needs it then says so and passes.
fn missing(tool: &str) -> bool {
    let missing = !have(tool);
    if missing {
        eprintln!("skipped: no {tool}");
    }
    missing
}

#[test]
fn install_lays_out_every_file_with_its_mode() {
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    install(d, &[]);
    for name in ["arraysync", "syncresync", "arraysim"] {
        assert_regular(&d.join("usr/bin").join(name), 0o755);
        assert_regular(&d.join(format!("usr/share/man/man1/{name}.1")), 0o644);
        assert_regular(
            &d.join(format!("usr/share/bash-completion/completions/{name}")),
            0o644,
        );
        assert_regular(
            &d.join(format!("usr/share/zsh/vendor-completions/_{name}")),
            0o644,
        );
        assert_regular(
            &d.join(format!("usr/share/fish/vendor_completions.d/{name}.fish")),
            0o644,
        );
    }
    for name in acm_commands() {
        let dir = arraysync::docgen::acm_bin_dir(name).trim_start_matches('/');
        assert_regular(&d.join(dir).join(name), 0o755);
        assert_regular(&d.join(format!("usr/share/man/man8/{name}.8")), 0o644);
    }
    assert!(
        !d.join("usr/bin/arraysync-gen").exists(),
        "the build tool is not installed"
    );
    assert_eq!(mode(&d.join("etc/arraysync")), 0o700);
    assert_regular(&d.join("etc/arraysync/auth.conf"), 0o600);
    assert_regular(&d.join("etc/arraysync/templates/iiststibmds.conf"), 0o600);
    assert_eq!(mode(&d.join("var/lib/arraysync")), 0o700);
    for script in ["RepSrc.pre", "RepSrc.post", "RepDst.pre", "RepDst.post"] {
        assert_regular(&d.join("etc/opt/FJSVswsrp/sh").join(script), 0o755);
    }
    if repo().join("etc-templates/FJSVswsts/sh").is_dir() {
        assert!(d.join("etc/opt/FJSVswsts/sh").is_dir());
    }
    assert_regular(
        &d.join("usr/lib/systemd/system/arraysync-resync@.service"),
        0o644,
    );
    assert_regular(
        &d.join("usr/lib/systemd/system/arraysync-resync@.timer"),
        0o644,
    );
    assert_regular(&d.join("usr/lib/ocf/resource.d/arraysync/arraysync"), 0o755);
    assert_regular(&d.join("etc/cron.d/arraysync"), 0o644);
    assert_regular(&d.join("etc/logrotate.d/arraysync"), 0o644);
    assert_regular(&d.join("usr/share/doc/arraysync/LICENSE"), 0o644);
    // The installed binaries are the ones built: --version names the commit.
    let version = Command::new(d.join("usr/bin/arraysync"))
        .arg("--version")
        .output()
        .expect("arraysync --version");
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with("arraysync 0.") && version.contains("(commit "),
        "{version}"
    );
}

#[test]
fn a_second_install_changes_nothing_and_configuration_survives() {
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    install(d, &[]);
    let auth = d.join("etc/arraysync/auth.conf");
    fs::write(&auth, "[DX1]\ntype = eternus\n# edited by the admin\n").expect("edit");
    fs::set_permissions(&auth, fs::Permissions::from_mode(0o640)).expect("chmod");
    let pre = d.join("etc/opt/FJSVswsrp/sh/RepSrc.pre");
    fs::write(&pre, "#!/bin/sh\n# site script\nexit 0\n").expect("edit");
    let before = snapshot(d);
    let again = install(d, &[]);
    let printed = String::from_utf8_lossy(&again.stdout);
    assert!(
        !printed.contains("installed"),
        "second run installed something:\n{printed}"
    );
    assert!(
        printed.contains(&format!("kept {}", auth.display())),
        "{printed}"
    );
    let after = snapshot(d);
    assert_eq!(before.len(), after.len(), "the tree gained or lost files");
    for (path, state) in &before {
        assert_eq!(Some(state), after.get(path), "{} changed", path.display());
    }
    assert!(fs::read_to_string(&auth)
        .expect("auth")
        .contains("edited by the admin"));
}

#[test]
fn a_stale_file_is_replaced_and_a_symlink_of_the_old_script_becomes_a_copy() {
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    // The old scripts/install left links into target/.
    fs::create_dir_all(d.join("usr/bin")).expect("mkdir");
    std::os::unix::fs::symlink(bins().join("arraysync"), d.join("usr/bin/arraysync"))
        .expect("symlink");
    fs::write(d.join("usr/bin/syncresync"), "stale").expect("write");
    install(d, &[]);
    assert_regular(&d.join("usr/bin/arraysync"), 0o755);
    assert_regular(&d.join("usr/bin/syncresync"), 0o755);
    let version = Command::new(d.join("usr/bin/syncresync"))
        .arg("--version")
        .output()
        .expect("the replaced syncresync runs");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("syncresync "));
}

#[test]
fn prefix_moves_bin_share_and_lib_and_the_templates_follow() {
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    install(d, &["--prefix", "/usr/local"]);
    assert_regular(&d.join("usr/local/bin/arraysync"), 0o755);
    assert!(!d.join("usr/bin").exists());
    assert_regular(&d.join("opt/FJSVswsrp/bin/swsrpmake"), 0o755);
    let unit = fs::read_to_string(d.join("usr/local/lib/systemd/system/arraysync-resync@.service"))
        .expect("unit");
    assert!(
        unit.contains("ExecStart=/usr/local/bin/syncresync -s %i --waitlock"),
        "{unit}"
    );
    assert!(!unit.contains("/usr/bin/"), "{unit}");
}

#[test]
fn man_pages_render_without_warnings() {
    if missing("groff") {
        return;
    }
    let dest = tempfile::tempdir().expect("tempdir");
    install(dest.path(), &[]);
    let mut pages = 0;
    for section in ["man1", "man8"] {
        for entry in fs::read_dir(dest.path().join("usr/share/man").join(section)).expect("man dir")
        {
            let page = entry.expect("entry").path();
            let out = Command::new("groff")
                .args(["-ww", "-man", "-z"])
                .arg(&page)
                .output()
                .expect("groff");
            let warnings = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && warnings.is_empty(),
                "{}: {warnings}",
                page.display()
            );
            pages += 1;
        }
    }
    assert_eq!(pages, 3 + acm_commands().len());
}

#[test]
fn bash_completes_the_configured_service_names() {
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    install(d, &[]);
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(root.path().join("etc/arraysync")).expect("mkdir");
    for name in ["dbprod.conf", "dbtest.conf", "auth.conf"] {
        fs::write(root.path().join("etc/arraysync").join(name), "").expect("write");
    }
    let script = format!(
        "source {}\nCOMP_WORDS=(arraysync -s '')\nCOMP_CWORD=2\n_clap_complete_arraysync arraysync '' -s\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        d.join("usr/share/bash-completion/completions/arraysync").display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", d.join("usr/bin").display()),
        )
        .env("ARRAYSYNC_ROOT", root.path())
        .output()
        .expect("bash");
    let listed = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = listed.lines().map(str::trim).collect();
    assert_eq!(
        names,
        ["dbprod", "dbtest"],
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn systemd_units_verify() {
    if missing("systemd-analyze") {
        return;
    }
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    install(d, &[]);
    // An instance of each template, pointing at the installed binaries (verify checks
    // that the executables exist).
    let units = tempfile::tempdir().expect("tempdir");
    let mut names = Vec::new();
    for kind in ["service", "timer"] {
        let text =
            fs::read_to_string(d.join(format!("usr/lib/systemd/system/arraysync-resync@.{kind}")))
                .expect("unit")
                .replace("/usr/bin/", &format!("{}/usr/bin/", d.display()));
        let name = format!("arraysync-resync@dbprod.{kind}");
        fs::write(units.path().join(&name), text).expect("write");
        names.push(units.path().join(name));
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(&names)
        .output()
        .expect("systemd-analyze");
    let text = String::from_utf8_lossy(&out.stderr);
    let ours: Vec<&str> = text.lines().filter(|l| l.contains("arraysync")).collect();
    assert!(out.status.success() && ours.is_empty(), "{text}");
}

#[test]
fn shell_templates_pass_shellcheck() {
    if missing("shellcheck") {
        return;
    }
    let out = Command::new("shellcheck")
        .args([
            "scripts/install",
            "scripts/package",
            "etc-templates/ocf/arraysync",
        ])
        .current_dir(repo())
        .output()
        .expect("shellcheck");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn logrotate_accepts_its_file() {
    if missing("logrotate") {
        return;
    }
    let state = tempfile::tempdir().expect("tempdir");
    let out = Command::new("logrotate")
        .arg("-d")
        .arg("-s")
        .arg(state.path().join("status"))
        .arg(repo().join("etc-templates/logrotate/arraysync"))
        .output()
        .expect("logrotate");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !text.contains("error"), "{text}");
}

#[test]
fn ocf_agent_passes_ocf_tester_on_an_emulated_array() {
    if missing("ocf-tester") {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path().join("root");
    let bins = bins();
    let sim = |args: &[&str]| {
        let out = Command::new(bins.join("arraysim"))
            .args(args)
            .env("ARRAYSYNC_ROOT", &root)
            .output()
            .expect("arraysim");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sim(&["setup", "ibmds", "--root", root.to_str().expect("utf-8")]);
    let out = Command::new(root.join("opt/ibm/dscli/dscli"))
        .args(["-hmc1", "10.10.10.10", "-user", "opensvc", "-pwfile"])
        .arg(root.join("var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile"))
        .args([
            "mkflash",
            "-dev",
            "IBM.XXXX-XXXXXXX",
            "-record",
            "-persist",
            "-cp",
            "0001:0002",
            "0101:0102",
            "0003:0004",
        ])
        .env("ARRAYSYNC_ROOT", &root)
        .output()
        .expect("dscli mkflash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new("ocf-tester")
        .args(["-n", "dbcopy", "-o", "service=iiststibmds"])
        .arg("-o")
        .arg(format!("binary={}", bins.join("arraysync").display()))
        .arg("-o")
        .arg(format!("root={}", root.display()))
        .arg("-o")
        .arg(format!("state_dir={}", work.path().join("state").display()))
        .arg(repo().join("etc-templates/ocf/arraysync"))
        .env_remove("ARRAYSYNC_ROOT")
        .output()
        .expect("ocf-tester");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("passed all tests"),
        "{text}"
    );
}

#[test]
fn ocf_agent_reports_a_missing_service_parameter_as_a_configuration_error() {
    let out = Command::new(repo().join("etc-templates/ocf/arraysync"))
        .arg("start")
        .env("OCF_ROOT", "/nonexistent")
        .env("OCF_RESKEY_binary", bins().join("arraysync"))
        .output()
        .expect("agent");
    assert_eq!(out.status.code(), Some(6), "OCF_ERR_CONFIGURED");
    let meta = Command::new(repo().join("etc-templates/ocf/arraysync"))
        .arg("meta-data")
        .output()
        .expect("agent");
    let xml = String::from_utf8_lossy(&meta.stdout);
    assert!(
        xml.contains("<parameter name=\"service\" unique=\"1\" required=\"1\">"),
        "{xml}"
    );
}

#[test]
fn fish_completes_the_service_names_and_zsh_parses_its_files() {
    let dest = tempfile::tempdir().expect("tempdir");
    let d = dest.path();
    install(d, &[]);
    if have("zsh") {
        for name in ["_arraysync", "_syncresync", "_arraysim"] {
            let file = d.join("usr/share/zsh/vendor-completions").join(name);
            let out = Command::new("zsh")
                .arg("-n")
                .arg(&file)
                .output()
                .expect("zsh");
            assert!(
                out.status.success(),
                "{}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    } else {
        eprintln!("skipped: no zsh");
    }
    if missing("fish") {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(root.path().join("etc/arraysync")).expect("mkdir");
    for name in ["dbprod.conf", "auth.conf"] {
        fs::write(root.path().join("etc/arraysync").join(name), "").expect("write");
    }
    let script = format!(
        "source {}; complete -C 'syncresync -s '",
        d.join("usr/share/fish/vendor_completions.d/syncresync.fish")
            .display()
    );
    let out = Command::new("fish")
        .args(["--no-config", "-c", &script])
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", d.join("usr/bin").display()),
        )
        .env("ARRAYSYNC_ROOT", root.path())
        .output()
        .expect("fish");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        listed.trim(),
        "dbprod",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
