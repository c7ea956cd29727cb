//! Build script shared by the `arraysync` and `arraysync-sim` packages: gives `--version`
//! the commit the binaries were built from, as `ARRAYSYNC_COMMIT` (a 12-digit abbreviated
//! hash). A packager building outside git sets `ARRAYSYNC_COMMIT` itself; without either,
//! the version says `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ARRAYSYNC_COMMIT");
    let commit = std::env::var("ARRAYSYNC_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ARRAYSYNC_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it points at (a commit),
    // packed refs. Only files that exist: a missing one would rerun this on every build.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            let path = Path::new(&path);
            let path = if path.is_relative() {
                Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join(path)
            } else {
                path.to_path_buf()
            };
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// One line of git's output, when git is there and succeeds.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}
