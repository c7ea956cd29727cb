//! Every SYMCLI command line the driver runs, as data (no I/O).
//!
//! Control actions (vendor-cli.md §2.1, seed 002):
//! `symclone -g DG -noprompt recreate -precopy -i 20 -c 30 DEV001 sym ld CLONE001` or,
//! in the pairs file form, `symclone -sid SYMID -f FILE -noprompt recreate -precopy -i 20 -c 30`.
//! `-i 20 -c 30` are SYMCLI's own retry interval and count on control actions.
//! Queries: `symld -g DG list -v` (text) and `symdev -sid SYMID list -v -devs T1,T2 -output xml_e`.

use crate::config::{Pair, SymConfig, Symcli};
use arraysync_core::runner::VendorCommand;
use std::path::Path;
use std::time::Duration;

/// SYMCLI's retry options on control actions, as seed 002 passes them.
const RETRY: [&str; 4] = ["-i", "20", "-c", "30"];

/// A state-changing SYMCLI action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Recreate,
    Activate,
    Restore,
    /// `terminate -restored`: ends the restore, the session goes back to its copy state.
    TerminateRestored,
}

impl Control {
    pub fn verb(self) -> &'static str {
        match self {
            Control::Recreate => "recreate",
            Control::Activate => "activate",
            Control::Restore => "restore",
            Control::TerminateRestored => "terminate",
        }
    }
}

/// Which pairs a control action names.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// `-g DG` followed by `SRC sym ld TGT` for each pair.
    Group { symdg: &'a str, pairs: &'a [Pair] },
    /// `-sid SYMID -f FILE`, the pairs being in the file.
    File { symid: &'a str, file: &'a Path },
}

/// The options of `action` after its verb.
fn options(config: &SymConfig, action: Control) -> Vec<String> {
    let mut words = Vec::new();
    match action {
        Control::Recreate => {
            if config.precopy {
                words.push("-precopy".to_string());
            }
            words.extend(RETRY.map(str::to_string));
        }
        Control::Activate => {
            if config.consistent {
                words.push("-consistent".to_string());
            }
            words.extend(RETRY.map(str::to_string));
        }
        Control::Restore => {}
        Control::TerminateRestored => words.push("-restored".to_string()),
    }
    words
}

/// `symclone|symsnap <selection> -noprompt <verb> <options> [pairs]`.
pub fn control(
    symcli: &Symcli,
    config: &SymConfig,
    action: Control,
    selection: Selection,
    timeout: Duration,
) -> VendorCommand {
    let mut args: Vec<String> = match selection {
        Selection::Group { symdg, .. } => vec!["-g".into(), symdg.into()],
        Selection::File { symid, file } => vec![
            "-sid".into(),
            symid.into(),
            "-f".into(),
            file.display().to_string(),
        ],
    };
    args.push("-noprompt".into());
    args.push(action.verb().into());
    args.extend(options(config, action));
    if let Selection::Group { pairs, .. } = selection {
        args.extend(pairs.iter().flat_map(Pair::group_args));
    }
    with_env(
        symcli,
        VendorCommand::new(symcli.program(config.kind.program()), args, timeout),
    )
}

/// `symld -g DG list -v`: every device of the group with its clone sessions.
pub fn symld_list(symcli: &Symcli, symdg: &str, timeout: Duration) -> VendorCommand {
    let args = ["-g", symdg, "list", "-v"].map(str::to_string).to_vec();
    with_env(
        symcli,
        VendorCommand::new(symcli.program("symld"), args, timeout).query(),
    )
}

/// `symdev -sid SYMID list -v -devs T1,T2 -output xml_e`: the targets and their sessions.
pub fn symdev_list(
    symcli: &Symcli,
    symid: &str,
    targets: &[&str],
    timeout: Duration,
) -> VendorCommand {
    let args = vec![
        "-sid".to_string(),
        symid.to_string(),
        "list".into(),
        "-v".into(),
        "-devs".into(),
        targets.join(","),
        "-output".into(),
        "xml_e".into(),
    ];
    with_env(
        symcli,
        VendorCommand::new(symcli.program("symdev"), args, timeout).query(),
    )
}

/// The content of a pairs file: one `SRC TGT` line per pair (vendor-cli.md §2.1).
pub fn pairs_file(pairs: &[Pair]) -> String {
    pairs
        .iter()
        .map(|p| format!("{} {}\n", p.source, p.target))
        .collect()
}

fn with_env(symcli: &Symcli, mut command: VendorCommand) -> VendorCommand {
    if let Some(connect) = &symcli.connect {
        command.env.push(("SYMCLI_CONNECT".into(), connect.clone()));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CopyKind, Form};
    use std::path::PathBuf;

    fn config(kind: CopyKind, form: Form, pairs: &[&str]) -> SymConfig {
        let pairs = pairs
            .iter()
            .map(|p| Pair::parse(p, &form).expect("pair"))
            .collect();
        SymConfig {
            kind,
            consistent: matches!(form, Form::File { .. }),
            form,
            symid: None,
            pairs,
            precopy: kind == CopyKind::Clone,
            recreate_timeout: Duration::from_secs(300),
            restore_timeout: Duration::from_secs(300),
        }
    }

    fn symcli() -> Symcli {
        Symcli {
            dir: PathBuf::from("/usr/symcli/bin"),
            connect: None,
        }
    }

    fn group_line(cfg: &SymConfig, action: Control) -> String {
        let selection = Selection::Group {
            symdg: "DGCVI",
            pairs: &cfg.pairs,
        };
        control(&symcli(), cfg, action, selection, Duration::from_secs(1)).display_line()
    }

    #[test]
    fn seed_002_command_lines() {
        let cfg = config(
            CopyKind::Clone,
            Form::Group {
                symdg: "DGCVI".into(),
            },
            &["DEV001:CLONE001"],
        );
        assert_eq!(
            group_line(&cfg, Control::Recreate),
            "/usr/symcli/bin/symclone -g DGCVI -noprompt recreate -precopy -i 20 -c 30 DEV001 sym ld CLONE001"
        );
        assert_eq!(
            group_line(&cfg, Control::Activate),
            "/usr/symcli/bin/symclone -g DGCVI -noprompt activate -i 20 -c 30 DEV001 sym ld CLONE001"
        );
        assert_eq!(
            group_line(&cfg, Control::Restore),
            "/usr/symcli/bin/symclone -g DGCVI -noprompt restore DEV001 sym ld CLONE001"
        );
        assert_eq!(
            group_line(&cfg, Control::TerminateRestored),
            "/usr/symcli/bin/symclone -g DGCVI -noprompt terminate -restored DEV001 sym ld CLONE001"
        );
    }

    #[test]
    fn pairs_file_form_and_snap() {
        let cfg = config(
            CopyKind::Snap,
            Form::File {
                symid: "000197800123".into(),
            },
            &["1234:4321", "00B60:00B61"],
        );
        let file = PathBuf::from("/var/lib/arraysync/state/svc/sync_1.pairs");
        let selection = Selection::File {
            symid: "000197800123",
            file: &file,
        };
        assert_eq!(
            control(&symcli(), &cfg, Control::Activate, selection, Duration::from_secs(1)).display_line(),
            "/usr/symcli/bin/symsnap -sid 000197800123 -f /var/lib/arraysync/state/svc/sync_1.pairs -noprompt activate -consistent -i 20 -c 30"
        );
        assert_eq!(
            control(&symcli(), &cfg, Control::Recreate, selection, Duration::from_secs(1)).display_line(),
            "/usr/symcli/bin/symsnap -sid 000197800123 -f /var/lib/arraysync/state/svc/sync_1.pairs -noprompt recreate -i 20 -c 30"
        );
        assert_eq!(pairs_file(&cfg.pairs), "1234 4321\n00B60 00B61\n");
    }

    #[test]
    fn queries() {
        assert_eq!(
            symld_list(&symcli(), "DGCVI", Duration::from_secs(1)).display_line(),
            "/usr/symcli/bin/symld -g DGCVI list -v"
        );
        assert_eq!(
            symdev_list(&symcli(), "123", &["4321", "00B61"], Duration::from_secs(1))
                .display_line(),
            "/usr/symcli/bin/symdev -sid 123 list -v -devs 4321,00B61 -output xml_e"
        );
        let remote = Symcli {
            dir: "/opt/emc/SYMCLI/bin".into(),
            connect: Some("SYMAPI_SERVER".into()),
        };
        let cmd = symld_list(&remote, "DG", Duration::from_secs(1));
        assert_eq!(
            cmd.env,
            vec![("SYMCLI_CONNECT".to_string(), "SYMAPI_SERVER".to_string())]
        );
    }
}
