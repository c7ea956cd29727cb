//! Every iSM command line the driver runs, as data (no I/O). The commands are found in
//! PATH (`$ARRAYSYNC_ROOT/usr/bin` first) and logged by name, as seed 001 shows them
//! (`iSMsc_unlink -lv SOURCE_0001_LV00A6 -lvflg ld`). vendor-cli.md §3.2.

use arraysync_core::runner::VendorCommand;
use arraysync_core::Paths;
use std::path::PathBuf;
use std::time::Duration;

pub const CREATE: &str = "iSMsc_create";
pub const LINK: &str = "iSMsc_link";
pub const UNLINK: &str = "iSMsc_unlink";
pub const QUERY: &str = "iSMsc_query";
pub const LINKINFO: &str = "iSMsc_linkinfo";
pub const VOLLIST: &str = "iSMvollist";

/// Programs a resync needs; status needs the queries only. `iSMsc_linkinfo` is located
/// (and shown by `print config`) but no action needs it: `iSMsc_query -detail` shows the
/// linked LV.
pub const RESYNC_PROGRAMS: &[&str] = &[VOLLIST, QUERY, UNLINK, CREATE, LINK];
pub const STATUS_PROGRAMS: &[&str] = &[VOLLIST, QUERY];
const LOCATED: &[&str] = &[VOLLIST, QUERY, LINKINFO, UNLINK, CREATE, LINK];

/// Where each iSM program was found (looked up once, when the resource is built).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    found: Vec<(&'static str, Option<PathBuf>)>,
}

impl Programs {
    pub fn locate(paths: &Paths) -> Programs {
        Programs {
            found: LOCATED
                .iter()
                .map(|name| (*name, paths.find_program(name)))
                .collect(),
        }
    }

    /// Explicit locations, for tests.
    pub fn at(dir: &str) -> Programs {
        Programs {
            found: LOCATED
                .iter()
                .map(|name| (*name, Some(PathBuf::from(format!("{dir}/{name}")))))
                .collect(),
        }
    }

    pub fn path(&self, name: &str) -> Option<&PathBuf> {
        self.found
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, p)| p.as_ref())
    }

    /// The names among `needed` that were not found.
    pub fn missing(&self, needed: &[&'static str]) -> Vec<&'static str> {
        needed
            .iter()
            .copied()
            .filter(|name| self.path(name).is_none())
            .collect()
    }

    /// `(name, path or "not found")` for `print config`.
    pub fn describe(&self) -> Vec<(String, String)> {
        self.found
            .iter()
            .map(|(name, path)| {
                let shown = path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "not found in PATH".into());
                (name.to_string(), shown)
            })
            .collect()
    }

    fn command(&self, name: &'static str, args: &[&str], timeout: Duration) -> VendorCommand {
        // A missing program is reported before any command is built (driver prerequisites);
        // the bare name then only shows up in a "command not found" error.
        let program = self
            .path(name)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(name));
        VendorCommand::new(
            program,
            args.iter().map(|a| a.to_string()).collect(),
            timeout,
        )
        .display_as(name)
    }

    /// `iSMsc_unlink -lv LV -lvflg ld`.
    pub fn unlink(&self, lv: &str, timeout: Duration) -> VendorCommand {
        self.command(UNLINK, &["-lv", lv, "-lvflg", "ld"], timeout)
    }

    /// `iSMsc_create -bv BV -sv SV -bvflg ld -svflg ld` (seed 001 argument order).
    pub fn create(&self, bv: &str, sv: &str, timeout: Duration) -> VendorCommand {
        self.command(
            CREATE,
            &["-bv", bv, "-sv", sv, "-bvflg", "ld", "-svflg", "ld"],
            timeout,
        )
    }

    /// `iSMsc_link -lv LV -sv SV -lvflg ld -svflg ld` (seed 001 argument order).
    pub fn link(&self, lv: &str, sv: &str, timeout: Duration) -> VendorCommand {
        self.command(
            LINK,
            &["-lv", lv, "-sv", sv, "-lvflg", "ld", "-svflg", "ld"],
            timeout,
        )
    }

    /// `iSMsc_query -sv SV -svflg ld`: the SV's base volume, snapshot state and time.
    pub fn query_sv(&self, sv: &str, timeout: Duration) -> VendorCommand {
        self.command(QUERY, &["-sv", sv, "-svflg", "ld"], timeout)
            .query()
    }

    /// `iSMsc_query -bv BV -bvflg ld -detail`: the state of every SV of a base volume.
    pub fn query_bv_detail(&self, bv: &str, timeout: Duration) -> VendorCommand {
        self.command(QUERY, &["-bv", bv, "-bvflg", "ld", "-detail"], timeout)
            .query()
    }

    /// `iSMsc_linkinfo -vol SV -volflg ld -lcl`: the LVs linked to an SV.
    pub fn linkinfo(&self, sv: &str, timeout: Duration) -> VendorCommand {
        self.command(LINKINFO, &["-vol", sv, "-volflg", "ld", "-lcl"], timeout)
            .query()
    }

    /// `iSMvollist -d`: the disk arrays of the volume list; fails when the host agent is
    /// not registered or the volume list was never built (`iSMvollist -r`).
    pub fn vollist_arrays(&self, timeout: Duration) -> VendorCommand {
        self.command(VOLLIST, &["-d"], timeout).query()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arraysync_core::runner::Logging;

    fn programs() -> Programs {
        Programs::at("/usr/bin")
    }

    const T: Duration = Duration::from_secs(1);

    #[test]
    fn seed_001_command_lines() {
        let p = programs();
        assert_eq!(
            p.unlink("SOURCE_0001_LV00A6", T).display_line(),
            "iSMsc_unlink -lv SOURCE_0001_LV00A6 -lvflg ld"
        );
        assert_eq!(
            p.create("SOURCE_0001", "SOURCE_0001_SV006D", T)
                .display_line(),
            "iSMsc_create -bv SOURCE_0001 -sv SOURCE_0001_SV006D -bvflg ld -svflg ld"
        );
        assert_eq!(
            p.link("SOURCE_0002_LV009E", "SOURCE_0002_SV0055", T)
                .display_line(),
            "iSMsc_link -lv SOURCE_0002_LV009E -sv SOURCE_0002_SV0055 -lvflg ld -svflg ld"
        );
        assert_eq!(
            p.unlink("X", T).program,
            PathBuf::from("/usr/bin/iSMsc_unlink")
        );
    }

    #[test]
    fn queries_are_not_action_commands() {
        let p = programs();
        for (cmd, line) in [
            (p.query_sv("SV1", T), "iSMsc_query -sv SV1 -svflg ld"),
            (
                p.query_bv_detail("BV1", T),
                "iSMsc_query -bv BV1 -bvflg ld -detail",
            ),
            (
                p.linkinfo("SV1", T),
                "iSMsc_linkinfo -vol SV1 -volflg ld -lcl",
            ),
            (p.vollist_arrays(T), "iSMvollist -d"),
        ] {
            assert_eq!(cmd.display_line(), line);
            assert_eq!(cmd.logging, Logging::Query);
        }
        assert_eq!(p.unlink("X", T).logging, Logging::Action);
    }

    #[test]
    fn missing_programs_are_listed() {
        let paths = Paths::new(
            Some("/nonexistent-root".into()),
            None,
            None,
            Some("/nonexistent-bin".into()),
        );
        let p = Programs::locate(&paths);
        assert_eq!(p.missing(STATUS_PROGRAMS), STATUS_PROGRAMS);
        assert!(programs().missing(RESYNC_PROGRAMS).is_empty());
        assert_eq!(
            p.describe()[0],
            ("iSMvollist".to_string(), "not found in PATH".to_string())
        );
    }
}
