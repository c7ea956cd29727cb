//! Pre- and post-processing scripts (spec §5): `RepSrc.pre`, `RepDst.pre`, `RepSrc.post`,
//! `RepDst.post` under `/etc/opt/FJSVswsrp/sh/`. A `.pre` script gets the device name and a
//! reserved argument, a `.post` script the device name only. A non-zero exit of a `.pre`
//! script stops the command before any copy is made. No timeout is documented; a script
//! gets one hour and is killed (its process group) after that.

use crate::error::{EternusError, Result};
use arraysync_core::log::Logger;
use arraysync_core::runner::{Runner, VendorCommand};
use arraysync_core::Paths;
use std::time::Duration;

pub const SCRIPT_DIR: &str = "/etc/opt/FJSVswsrp/sh";
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(3600);
/// What the manual's samples pass as `$2` (documented as "Reserve").
const RESERVED: &str = "0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    SrcPre,
    DstPre,
    SrcPost,
    DstPost,
}

impl Script {
    pub fn file_name(self) -> &'static str {
        match self {
            Script::SrcPre => "RepSrc.pre",
            Script::DstPre => "RepDst.pre",
            Script::SrcPost => "RepSrc.post",
            Script::DstPost => "RepDst.post",
        }
    }

    pub fn is_pre(self) -> bool {
        matches!(self, Script::SrcPre | Script::DstPre)
    }
}

/// Runs one script for `device`; a missing script is logged and skipped.
pub fn run(paths: &Paths, log: &Logger, script: Script, device: &str) -> Result<()> {
    let mut args = vec![device.to_string()];
    if script.is_pre() {
        args.push(RESERVED.to_string());
    }
    run_file(
        paths,
        log,
        &format!("{SCRIPT_DIR}/{}", script.file_name()),
        &args,
        script.is_pre(),
    )
}

/// Runs the script at `file` (an absolute path under the root prefix) with `args`; a
/// missing script is logged and skipped. The device is `args[0]`. Shared with backup
/// management (OpcBackup.pre/post, OpcRestore.pre/post).
pub fn run_file(paths: &Paths, log: &Logger, file: &str, args: &[String], pre: bool) -> Result<()> {
    let path = paths.under_root(file);
    let device = args.first().cloned().unwrap_or_default();
    let script_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !path.exists() {
        log.info(&format!(
            "{}: not installed, no {} for {device}",
            path.display(),
            if pre {
                "pre-processing"
            } else {
                "post-processing"
            }
        ));
        return Ok(());
    }
    let mut command = VendorCommand::new(path.clone(), args.to_vec(), SCRIPT_TIMEOUT);
    if let Ok(node) = std::env::var("SWSTGNODE") {
        command.env.push(("SWSTGNODE".into(), node));
    }
    let output = Runner::default()
        .run_status(log, &command)
        .map_err(|e| EternusError::io(&path, e))?;
    if output.code == 0 {
        return Ok(());
    }
    let code = output.code;
    Err(if pre {
        EternusError::PreScript {
            script: script_name,
            device,
            code,
        }
    } else {
        EternusError::PostScript {
            script: script_name,
            device,
            code,
        }
    })
}

/// What the manual's samples pass as the reserved `$2` argument.
pub const RESERVED_ARG: &str = RESERVED;

/// Which scripts a command runs, after the suppression options (spec §5.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Suppress {
    /// `-f`: no source scripts.
    pub source: bool,
    /// `-t`: no destination scripts.
    pub destination: bool,
    /// `-j`, `-c`, `-Xgroup`: none at all.
    pub all: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use arraysync_core::log::Level;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn pre_script_failure_carries_its_code_and_args() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        let sh = dir.path().join("etc/opt/FJSVswsrp/sh");
        std::fs::create_dir_all(&sh).expect("mkdir");
        let out = dir.path().join("args");
        std::fs::write(
            sh.join("RepSrc.pre"),
            format!("#!/bin/sh\necho \"$#:$1:$2\" > {}\nexit 2\n", out.display()),
        )
        .expect("write");
        std::fs::set_permissions(
            sh.join("RepSrc.pre"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        let log = Logger::stderr_only("t", Level::Error);
        let err = run(&paths, &log, Script::SrcPre, "/dev/hdisk10").unwrap_err();
        assert!(
            matches!(err, EternusError::PreScript { code: 2, .. }),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(out).expect("read"),
            "2:/dev/hdisk10:0\n"
        );
        run(&paths, &log, Script::DstPost, "/dev/hdisk20").expect("missing script is skipped");
    }
}
