//! Triggers: `[blocking_]<pre|post>_<action>` commands in `[DEFAULT]` (around the
//! service action) and in a resource section (around that resource). Run as argv,
//! never through a shell; shell syntax must be spelled out as `sh -c '...'`.

use crate::error::{ConfigError, Error};
use crate::ini::Ini;
use crate::log::Logger;
use crate::runner::{Runner, VendorCommand};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Pre,
    Post,
}

impl When {
    fn word(self) -> &'static str {
        match self {
            When::Pre => "pre",
            When::Post => "post",
        }
    }
}

/// A configured trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub key: String,
    pub argv: Vec<String>,
    pub blocking: bool,
}

/// The triggers of `section` for `action` at `when`: non-blocking first, as OpenSVC.
/// `section` is `DEFAULT` for the service-level ones; resource sections do not inherit
/// them (they would run twice).
pub fn triggers_for(
    ini: &Ini,
    section: &str,
    action: &str,
    when: When,
) -> Result<Vec<Trigger>, ConfigError> {
    let Some(sec) = ini.section(section) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for blocking in [false, true] {
        let key = format!(
            "{}{}_{action}",
            if blocking { "blocking_" } else { "" },
            when.word()
        );
        if let Some(entry) = sec.own(&key) {
            let argv = parse_command(&entry.value)
                .map_err(|message| ConfigError::new(ini.location(section, Some(entry)), message))?;
            found.push(Trigger {
                key,
                argv,
                blocking,
            });
        }
    }
    Ok(found)
}

/// Splits a command line into argv. Unquoted shell operators are refused: nothing here
/// runs a shell, so `a | b` would silently pass `|` as an argument.
pub fn parse_command(text: &str) -> Result<Vec<String>, String> {
    if let Some(op) = unquoted_shell_operator(text) {
        return Err(format!(
            "shell syntax '{op}' is not interpreted (commands run without a shell); write sh -c '...' explicitly"
        ));
    }
    let argv = shell_words::split(text).map_err(|e| format!("cannot split command line: {e}"))?;
    if argv.is_empty() {
        return Err("empty command".into());
    }
    Ok(argv)
}

fn unquoted_shell_operator(text: &str) -> Option<char> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => quote = None,
            (Some('"'), '`' | '$') => return Some(c),
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '|' | '&' | ';' | '<' | '>' | '`' | '$' | '(' | ')') => return Some(c),
            (None, _) => {}
        }
    }
    None
}

/// Runs triggers in order. A failing blocking trigger stops and fails the action; a
/// failing non-blocking one is a warning.
pub fn run_triggers(
    runner: &Runner,
    log: &Logger,
    triggers: &[Trigger],
    env: &[(String, String)],
    timeout: Duration,
) -> Result<(), Error> {
    for trigger in triggers {
        let Some((program, args)) = trigger.argv.split_first() else {
            continue;
        };
        let mut command = VendorCommand::new(program.clone(), args.to_vec(), timeout);
        command.env = env.to_vec();
        log.info(&format!("{}: {}", trigger.key, trigger.argv.join(" ")));
        let result = if runner.dry_run {
            Ok(0)
        } else {
            // The trigger's own line above is the log line; its command line is at DEBUG.
            runner.run_status(log, &command.query()).map(|out| {
                let stdout = out.stdout.trim_end();
                if !stdout.is_empty() {
                    log.info(stdout);
                }
                let stderr = out.stderr.trim_end();
                if !stderr.is_empty() {
                    log.warning(stderr);
                }
                out.code
            })
        };
        let failure = match result {
            Ok(0) => continue,
            Ok(code) => format!("[{code}]"),
            Err(e) => format!("({e})"),
        };
        let what = format!(
            "{}: {} {} error {failure}",
            trigger.key,
            trigger.argv.join(" "),
            if trigger.blocking {
                "blocking"
            } else {
                "non-blocking"
            }
        );
        if trigger.blocking {
            return Err(Error::Failed(what));
        }
        log.warning(&what);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn commands_split_without_a_shell() {
        assert_eq!(
            parse_command("/bin/echo 'a b' c"),
            Ok(vec!["/bin/echo".into(), "a b".into(), "c".into()])
        );
        assert_eq!(
            parse_command("sh -c 'mount | grep x'"),
            Ok(vec!["sh".into(), "-c".into(), "mount | grep x".into()])
        );
    }

    #[test]
    fn unquoted_shell_syntax_is_refused() {
        for bad in [
            "a | b",
            "a; rm -rf /",
            "a && b",
            "echo $(id)",
            "echo `id`",
            "a > /tmp/x",
            "echo \"$HOME\"",
        ] {
            assert!(parse_command(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn triggers_come_non_blocking_first_and_errors_name_the_key() {
        let ini = Ini::parse(
            Path::new("s.conf"),
            "[DEFAULT]\nblocking_pre_sync_resync = /bin/true\npre_sync_resync = /bin/echo hi\npost_start = a | b\n",
        )
        .expect("parses");
        let pre = triggers_for(&ini, "DEFAULT", "sync_resync", When::Pre).expect("ok");
        assert_eq!(
            pre.iter().map(|t| t.blocking).collect::<Vec<_>>(),
            [false, true]
        );
        let err = triggers_for(&ini, "DEFAULT", "start", When::Post).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("s.conf:4: [DEFAULT] post_start:"),
            "{err}"
        );
    }

    #[test]
    fn blocking_failure_stops_non_blocking_failure_warns() {
        let log = Logger::stderr_only("t", crate::log::Level::Error);
        let runner = Runner::default();
        let soft = Trigger {
            key: "pre_start".into(),
            argv: vec!["/bin/false".into()],
            blocking: false,
        };
        let hard = Trigger {
            key: "blocking_pre_start".into(),
            argv: vec!["/bin/false".into()],
            blocking: true,
        };
        assert!(run_triggers(&runner, &log, &[soft], &[], Duration::from_secs(5)).is_ok());
        let err = run_triggers(&runner, &log, &[hard], &[], Duration::from_secs(5)).unwrap_err();
        assert!(
            err.to_string()
                .contains("blocking_pre_start: /bin/false blocking error [1]"),
            "{err}"
        );
    }
}
