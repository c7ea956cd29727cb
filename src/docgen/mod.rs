//! Man pages and shell completion scripts, written by `arraysync-gen` for scripts/install
//! (so the installed text always matches the built binaries):
//!
//! - `arraysync.1`, `syncresync.1`, `arraysim.1` from their clap definitions (clap_mangen),
//!   plus the sections clap does not know (exit status, environment, files);
//! - one page in section 8 per ACM command, from the option table and usage its `spec()`
//!   gives (the same the command parses with) and the manual's text in [`acm_pages`];
//! - bash, zsh and fish completions: dynamic registrations for `arraysync` and
//!   `syncresync` (service names completed from the configuration, see
//!   [`crate::complete`]), static ones for `arraysim`.

pub mod acm_pages;

use crate::cli::{ArraysyncArgs, SyncresyncArgs};
use arraysync_acm::{Spec, COMMANDS};
use clap::CommandFactory;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Entry point of `arraysync-gen`; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [what, dir] if what == "man" => write_man_pages(Path::new(dir)),
        [what, dir] if what == "completions" => write_completions(Path::new(dir)),
        _ => {
            eprintln!("usage: arraysync-gen man DIR | completions DIR");
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("arraysync-gen: {e}");
            1
        }
    }
}

/// The directory a command is installed in: the vendor's, by its name's prefix.
pub fn acm_bin_dir(name: &str) -> &'static str {
    if name.starts_with("swsrp") {
        "/opt/FJSVswsrp/bin"
    } else if name.starts_with("swst") {
        "/opt/FJSVswsts/bin"
    } else {
        "/opt/FJSVswstf/bin"
    }
}

/// Writes `DIR/man1/*.1` and `DIR/man8/*.8`.
pub fn write_man_pages(dir: &Path) -> io::Result<()> {
    let man1 = dir.join("man1");
    let man8 = dir.join("man8");
    fs::create_dir_all(&man1)?;
    fs::create_dir_all(&man8)?;
    let clap_pages = [
        (ArraysyncArgs::command(), ARRAYSYNC_EXTRA),
        (SyncresyncArgs::command(), SYNCRESYNC_EXTRA),
        (
            arraysync_sim::admin::command().version(crate::VERSION),
            ARRAYSIM_EXTRA,
        ),
    ];
    for (command, extra) in clap_pages {
        let name = command.get_name().to_string();
        fs::write(man1.join(format!("{name}.1")), clap_page(command, extra)?)?;
    }
    for spec in COMMANDS {
        let spec = spec();
        fs::write(man8.join(format!("{}.8", spec.name)), acm_page(&spec))?;
    }
    Ok(())
}

/// A clap command's page: clap_mangen's sections, then `extra` (raw roff) before VERSION.
fn clap_page(command: clap::Command, extra: &str) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    if command.get_subcommands().next().is_none() {
        man.render_description_section(&mut out)?;
    }
    man.render_options_section(&mut out)?;
    if command.get_subcommands().next().is_some() {
        // One page for the whole command: its subcommands listed here, not as pages of
        // their own that clap_mangen would point to.
        out.write_all(b".SH COMMANDS\n")?;
        for sub in command.get_subcommands() {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            let line = format!(
                ".TP\n.B {} {}\n{}\n",
                command.get_name(),
                sub.get_name(),
                roff_escape(&about)
            );
            out.write_all(line.as_bytes())?;
        }
    }
    if let Some(after) = command.get_after_help() {
        out.write_all(after_help_section(&after.to_string()).as_bytes())?;
    }
    out.write_all(extra.as_bytes())?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

const ARRAYSYNC_EXTRA: &str = concat!(
    r#".SH EXIT STATUS
0 success, 1 an action failed, 2 usage or configuration error.
\fBcheck\fR exits as a Nagios plugin: 0 ok, 1 warning, 2 critical, 3 unknown.
"#,
    r#".SH ENVIRONMENT
.TP
.B ARRAYSYNC_ROOT
Moves every absolute default path under this directory (a sandbox root).
.TP
.B ARRAYSYNC_ETC
The configuration directory (default \fI/etc/arraysync\fR).
.TP
.B ARRAYSYNC_VAR
The state directory (default \fI/var/lib/arraysync\fR).
.SH FILES
.TP
.I /etc/arraysync/<svc>.conf
Service configuration, OpenSVC INI format (legacy \fI.env\fR accepted).
.TP
.I /etc/arraysync/auth.conf
Array credentials, mode 0600, owned by root.
.TP
.I /var/lib/arraysync/log/<svc>.log
Action logs.
.TP
.I /var/lib/arraysync/lock/
Per-service locks.
.TP
.I /var/lib/arraysync/state/
Last resync times and resumable steps.
.SH SEE ALSO
.BR syncresync (1),
.BR swsrpmake (8)
"#
);

const SYNCRESYNC_EXTRA: &str = r#".SH EXIT STATUS
0 success, 1 the resync failed, 2 usage or configuration error.
.SH EXAMPLES
A nightly refresh from cron:
.PP
.RS
.nf
30 2 * * * root /usr/bin/syncresync \-s iiststibmds \-\-waitlock 10m
.fi
.RE
.SH SEE ALSO
.BR arraysync (1)
"#;

const ARRAYSIM_EXTRA: &str = r#".SH DESCRIPTION
\fBarraysim\fR is the array emulator the tests and the demo run against. Invoked under a
vendor program's name (\fBdscli\fR, \fBiSMsc_create\fR, \fBsymclone\fR, ...), through the
links \fBarraysim setup\fR makes, it answers as that vendor CLI; under its own name it runs
the admin commands listed above. Its state lives under \fBARRAYSIM_STATE\fR, or
\fB$ARRAYSYNC_ROOT/var/lib/arraysim\fR.
.SH EXIT STATUS
0 success, 1 failure, 2 usage error.
.SH SEE ALSO
.BR arraysync (1)
"#;

/// The `after_help` text as its own section, kept as laid out (a table of actions):
/// a first line `Actions:` names the section.
fn after_help_section(text: &str) -> String {
    let (title, body) = match text.split_once('\n') {
        Some((first, rest)) if first.ends_with(':') && !first.contains(' ') => {
            (first.trim_end_matches(':').to_uppercase(), rest)
        }
        _ => ("NOTES".to_string(), text),
    };
    format!(".SH {title}\n.nf\n{}\n.fi\n", roff_escape(body))
}

/// Escapes text for roff: backslashes, hyphens (real minus signs in option names) and a
/// leading dot or quote, which roff would take for a request.
fn roff_escape(text: &str) -> String {
    let body = text.replace('\\', "\\e").replace('-', "\\-");
    body.lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value word of a valued option, as the usage names it (`-h serverName`).
fn value_name(usage: &str, option: &str) -> String {
    let needle = format!("{option} ");
    usage
        .match_indices(&needle)
        .find(|(at, _)| *at == 0 || usage[..*at].ends_with(['[', ' ', '(', '|', '{']))
        .and_then(|(at, _)| {
            usage[at + needle.len()..]
                .split(|c: char| c.is_whitespace() || "[](){}|".contains(c))
                .next()
                .filter(|w| !w.is_empty() && !w.starts_with('-'))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "value".to_string())
}

/// An ACM command's page in section 8.
pub fn acm_page(spec: &Spec) -> String {
    let entry = acm_pages::page(spec.name);
    let dir = acm_bin_dir(spec.name);
    let mut out = String::new();
    out.push_str(&format!(
        ".TH {} 8 \"\" \"arraysync {}\" \"ETERNUS AdvancedCopy Manager commands\"\n",
        spec.name.to_uppercase(),
        env!("CARGO_PKG_VERSION"),
    ));
    let summary = entry.map_or("ETERNUS SF AdvancedCopy Manager command", |e| e.summary);
    out.push_str(&format!(
        ".SH NAME\n{} \\- {}\n",
        spec.name,
        roff_escape(summary)
    ));
    let operands = spec
        .usage
        .strip_prefix(spec.name)
        .unwrap_or(spec.usage)
        .trim();
    out.push_str(&format!(
        ".SH SYNOPSIS\n.B {dir}/{}\n{}\n",
        spec.name,
        roff_escape(operands)
    ));
    out.push_str(".SH DESCRIPTION\n");
    match entry {
        Some(e) => {
            for (i, paragraph) in e.description.iter().enumerate() {
                if i > 0 {
                    out.push_str(".PP\n");
                }
                out.push_str(&roff_escape(paragraph));
                out.push('\n');
            }
        }
        None => out.push_str(&format!(
            "The \\fB{}\\fR command of ETERNUS SF AdvancedCopy Manager, with the manual's \
             option syntax, output, messages and exit codes.\n",
            spec.name
        )),
    }
    out.push_str(
        ".PP\nThe command must be run as root (or with \\fBARRAYSYNC_ROOT\\fR set, in a \
         sandbox root). Options are whole words with a single dash and may follow the \
         operands.\n",
    );
    if !spec.flags.is_empty() {
        out.push_str(".SH OPTIONS\n");
        for flag in spec.flags {
            out.push_str(".TP\n");
            if flag.value {
                out.push_str(&format!(
                    ".BI \"{} \" {}\n",
                    roff_escape(flag.name),
                    roff_escape(&value_name(spec.usage, flag.name))
                ));
            } else {
                out.push_str(&format!(".B {}\n", roff_escape(flag.name)));
            }
            let text = entry
                .and_then(|e| e.options.iter().find(|(n, _)| *n == flag.name))
                .map_or("See the synopsis and the manual.", |(_, t)| *t);
            out.push_str(&roff_escape(text));
            out.push('\n');
        }
    }
    out.push_str(".SH EXIT STATUS\n");
    for (code, meaning) in acm_pages::EXIT_STATUS {
        out.push_str(&format!(".TP\n.B {}\n{}\n", roff_escape(code), meaning));
    }
    if let Some(e) = entry.filter(|e| !e.examples.is_empty()) {
        out.push_str(".SH EXAMPLES\n");
        for (caption, transcript) in e.examples {
            out.push_str(&format!(
                ".PP\n{}:\n.PP\n.RS\n.nf\n{}\n.fi\n.RE\n",
                roff_escape(caption),
                roff_escape(transcript)
            ));
        }
    }
    out.push_str(&format!(
        ".SH ENVIRONMENT\n.TP\n.B ARRAYSYNC_ROOT\nMoves every absolute path the command uses \
         (\\fI/etc/opt\\fR, \\fI/var/opt\\fR, the replication list) under this directory.\n\
         .SH FILES\n.TP\n.I /var/opt/FJSVswsrp/log/arraysync.log\nThe commands' log.\n\
         .SH SEE ALSO\n{}\n",
        COMMANDS
            .iter()
            .map(|s| s().name)
            .filter(|n| *n != spec.name)
            .map(|n| format!(".BR {n} (8)"))
            .collect::<Vec<_>>()
            .join(",\n")
    ));
    out
}

/// Writes `DIR/bash/NAME`, `DIR/zsh/_NAME` and `DIR/fish/NAME.fish` for each clap binary.
pub fn write_completions(dir: &Path) -> io::Result<()> {
    for sub in ["bash", "zsh", "fish"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    for name in ["arraysync", "syncresync"] {
        let env = crate::complete::ENV_VAR;
        let mut bash = Vec::new();
        Bash.write_registration(env, name, name, name, &mut bash)?;
        fs::write(dir.join("bash").join(name), bash)?;
        let mut zsh = Vec::new();
        Zsh.write_registration(env, name, name, name, &mut zsh)?;
        fs::write(dir.join("zsh").join(format!("_{name}")), zsh)?;
        let mut fish = Vec::new();
        Fish.write_registration(env, name, name, name, &mut fish)?;
        fs::write(dir.join("fish").join(format!("{name}.fish")), fish)?;
    }
    let mut sim = arraysync_sim::admin::command();
    for (shell, path) in [
        (
            clap_complete::Shell::Bash,
            dir.join("bash").join("arraysim"),
        ),
        (clap_complete::Shell::Zsh, dir.join("zsh").join("_arraysim")),
        (
            clap_complete::Shell::Fish,
            dir.join("fish").join("arraysim.fish"),
        ),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut sim, "arraysim", &mut buf);
        fs::write(path, buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arraysync_acm::args::{flag, valued, Flag};
    use arraysync_eternus::exclusion::Class;

    const FLAGS: &[Flag] = &[valued("-h"), flag("-T"), valued("-Xgroup")];

    fn unknown_spec() -> Spec {
        Spec {
            name: "swstexample",
            usage: "swstexample [-h serverName] [-T] [-Xgroup groupName] deviceName",
            flags: FLAGS,
            class: Class::Operation,
            read_only_when: None,
        }
    }

    #[test]
    fn a_command_without_manual_text_gets_a_complete_page_from_its_table() {
        let page = acm_page(&unknown_spec());
        assert!(page.starts_with(".TH SWSTEXAMPLE 8 "), "{page}");
        assert!(page.contains(".SH NAME\nswstexample \\- "), "{page}");
        assert!(
            page.contains(".B /opt/FJSVswsts/bin/swstexample\n"),
            "{page}"
        );
        assert!(page.contains(".BI \"\\-h \" serverName\n"), "{page}");
        assert!(page.contains(".B \\-T\n"), "{page}");
        assert!(page.contains(".BI \"\\-Xgroup \" groupName\n"), "{page}");
        assert!(page.contains(".SH EXIT STATUS\n"), "{page}");
        assert!(
            !page.contains(".SH EXAMPLES"),
            "no examples without manual text"
        );
    }

    #[test]
    fn a_command_with_manual_text_gets_its_description_options_and_examples() {
        let spec = arraysync_acm::swsrpmake::spec();
        let page = acm_page(&spec);
        assert!(
            page.contains("swsrpmake \\- creates a replication volume\n"),
            "{page}"
        );
        assert!(page.contains("Concurrent OPC function"), "{page}");
        assert!(page.contains(".SH EXAMPLES\n"), "{page}");
        assert!(page.contains("GROUP=GRP1 swsrpmake completed"), "{page}");
    }

    #[test]
    fn roff_requests_and_hyphens_in_text_are_escaped() {
        assert_eq!(
            roff_escape(".start\n'quote\nplain-text"),
            "\\&.start\n\\&'quote\nplain\\-text"
        );
        assert_eq!(roff_escape("a\\b"), "a\\eb");
    }

    #[test]
    fn value_names_come_from_the_usage() {
        let usage = "swsrpmake [-h serverName] {from to | [-Xreverse] -Xgroup groupName}";
        assert_eq!(value_name(usage, "-h"), "serverName");
        assert_eq!(value_name(usage, "-Xgroup"), "groupName");
        assert_eq!(value_name(usage, "-o"), "value");
    }

    #[test]
    fn the_after_help_table_keeps_its_layout() {
        let section = after_help_section("Actions:\n  start | stop   the start");
        assert_eq!(
            section,
            ".SH ACTIONS\n.nf\n  start | stop   the start\n.fi\n"
        );
    }
}
