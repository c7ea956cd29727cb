//! A connected dscli session: output settings, the three input modes, command dispatch.

use std::io::{BufRead, IsTerminal};

use super::args::{mask, on_off, parse_cmd, Arity, PairId};
use super::format::{self, parse_fmt, Fmt, FmtChoice};
use super::messages::{self as msg, exit};
use super::{commands, pwfile};
use crate::clock::Clock;
use crate::faults::Scope;
use crate::invocation::{errln, out, outln, Invocation};

/// Session-wide output settings (`setenv`, `setoutput`, profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub banner: bool,
    pub header: bool,
    pub fmt: Fmt,
    pub delim: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            banner: true,
            header: true,
            fmt: Fmt::Default,
            delim: ",".to_string(),
        }
    }
}

/// Where the commands come from.
pub enum Mode {
    /// One command on argv.
    Single(Vec<String>),
    /// Lines of a `-script` file.
    Script(Vec<String>),
    /// Lines on stdin, with `dscli> ` prompts.
    Stdin,
}

/// Line reader over stdin, shared by the command loop, confirmation prompts and `-` IDs.
pub struct Input {
    reader: Box<dyn BufRead>,
}

impl Input {
    pub fn stdin() -> Input {
        Input {
            reader: Box::new(std::io::BufReader::new(std::io::stdin())),
        }
    }

    pub fn line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let s = String::from_utf8_lossy(&buf);
                Some(s.trim_end_matches(['\n', '\r']).to_string())
            }
        }
    }

    pub fn rest(&mut self) -> String {
        let mut s = String::new();
        while let Some(l) = self.line() {
            s.push_str(&l);
            s.push('\n');
        }
        s
    }
}

pub struct Session<'a> {
    pub inv: &'a mut Invocation,
    pub clock: Clock,
    pub settings: Settings,
    /// Storage images reachable (and authenticated) through the connected HMC.
    pub images: Vec<String>,
    pub profile_dev: Option<String>,
    /// DS shown in the session banner.
    pub session_dev: String,
    /// Commands come from stdin (`-` IDs are refused, prompts read the next line).
    pub stdin_mode: bool,
    pub input: Input,
}

enum Line {
    Skip,
    Quit,
    Ran(i32),
}

impl Session<'_> {
    /// Run the session; returns the process exit code: the command's code in single-shot mode,
    /// in script/stdin mode 0 if every command succeeded, else the code of the last failure.
    pub fn run(&mut self, mode: Mode) -> i32 {
        match mode {
            Mode::Single(tokens) => {
                self.inv.record_command(mask(&tokens).join(" "));
                self.execute(&tokens)
            }
            Mode::Script(lines) => {
                let mut last = exit::OK;
                for l in lines {
                    match self.line(&l, false) {
                        Line::Quit => break,
                        Line::Skip => {}
                        Line::Ran(c) if c != exit::OK => last = c,
                        Line::Ran(_) => {}
                    }
                }
                last
            }
            Mode::Stdin => {
                self.stdin_mode = true;
                let tty = std::io::stdin().is_terminal();
                outln(&self.banner_line(&self.session_dev.clone()));
                outln("");
                let mut last = exit::OK;
                loop {
                    if tty {
                        out("dscli> ");
                    }
                    let Some(l) = self.input.line() else {
                        break;
                    };
                    match self.line(&l, !tty) {
                        Line::Quit => break,
                        Line::Skip => {}
                        Line::Ran(c) if c != exit::OK => last = c,
                        Line::Ran(_) => {}
                    }
                }
                last
            }
        }
    }

    fn line(&mut self, raw: &str, prompt: bool) -> Line {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            return Line::Skip;
        }
        if prompt {
            out("dscli> ");
        }
        let tokens = match shell_words::split(t) {
            Ok(tk) if !tk.is_empty() => tk,
            Ok(_) => return Line::Skip,
            Err(e) => {
                self.inv.record_command(t.to_string());
                errln(&msg::malformed_line(&e.to_string()));
                return Line::Ran(exit::SYNTAX);
            }
        };
        self.inv.record_command(mask(&tokens).join(" "));
        if matches!(tokens[0].to_ascii_lowercase().as_str(), "quit" | "exit") {
            return Line::Quit;
        }
        Line::Ran(self.execute(&tokens))
    }

    /// Execute one command; returns its exit code.
    pub fn execute(&mut self, tokens: &[String]) -> i32 {
        let name = tokens
            .first()
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        if let Some(f) = self.inv.faults(Scope::Command(&name), Some(&name), None) {
            errln(&f.message);
            return f.exit;
        }
        match name.as_str() {
            "setenv" => self.setenv(tokens),
            "setoutput" => self.setoutput(tokens),
            "managepwfile" => pwfile::manage(tokens),
            "mkflash" => commands::mutate(self, commands::Op::Mk, false, tokens),
            "resyncflash" => commands::mutate(self, commands::Op::Resync, false, tokens),
            "rmflash" => commands::mutate(self, commands::Op::Rm, false, tokens),
            "mkremoteflash" => commands::mutate(self, commands::Op::Mk, true, tokens),
            "resyncremoteflash" => commands::mutate(self, commands::Op::Resync, true, tokens),
            "rmremoteflash" => commands::mutate(self, commands::Op::Rm, true, tokens),
            "lsflash" => commands::list(self, false, tokens),
            "lsremoteflash" => commands::list(self, true, tokens),
            _ => {
                errln(&msg::unknown_command(
                    tokens.first().map_or("", |s| s.as_str()),
                ));
                exit::SYNTAX
            }
        }
    }

    pub fn banner_line(&self, dev: &str) -> String {
        let now = self.clock.now();
        msg::banner(&format::banner_date(now), dev)
    }

    /// Print the per-command banner (and its blank line) when enabled.
    pub fn banner(&self, dev: &str, on: bool) {
        if on {
            outln(&self.banner_line(dev));
            outln("");
        }
    }

    /// Ask a y/n question on stdout, read the answer from stdin.
    pub fn confirm(&mut self, prompt: &str) -> bool {
        out(prompt);
        let answer = self.input.line().unwrap_or_default();
        outln("");
        matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }

    /// The IDs of a command: its positional arguments, or stdin for a lone `-`.
    pub fn ids(&mut self, cmd: &str, positional: &[String]) -> Result<Vec<String>, String> {
        if positional.iter().any(|p| p == "-") {
            if self.stdin_mode || positional.len() > 1 {
                return Err(msg::dash_not_allowed(cmd));
            }
            return Ok(self
                .input
                .rest()
                .split_whitespace()
                .map(str::to_string)
                .collect());
        }
        Ok(positional.to_vec())
    }

    /// The storage image a command addresses: `-dev`, else the image of fully qualified IDs,
    /// else the profile's devid. Errors are syntax errors.
    pub fn resolve_dev(
        &self,
        cmd: &str,
        dev_flag: Option<&str>,
        id_devs: &[Option<&str>],
    ) -> Result<String, String> {
        if let Some(d) = dev_flag {
            if !super::model::valid_array_id(d) {
                return Err(msg::invalid_value(cmd, "-dev", d));
            }
        }
        let mut from_ids: Option<&str> = None;
        for d in id_devs.iter().flatten() {
            match from_ids {
                Some(x) if x != *d => return Err(msg::mixed_dev(cmd)),
                _ => from_ids = Some(d),
            }
        }
        match (dev_flag, from_ids) {
            (Some(d), Some(i)) if d != i => Err(msg::mixed_dev(cmd)),
            (Some(d), _) | (None, Some(d)) => Ok(d.to_string()),
            (None, None) => self.profile_dev.clone().ok_or_else(|| msg::no_dev(cmd)),
        }
    }

    /// Reject pair lists with bad IDs (syntax error, nothing changes).
    pub fn parse_pairs(&self, cmd: &str, ids: &[String]) -> Result<Vec<PairId>, String> {
        if ids.is_empty() {
            return Err(msg::ids_required(cmd));
        }
        ids.iter()
            .map(|s| super::args::parse_pair(s).ok_or_else(|| msg::invalid_id(cmd, s)))
            .collect()
    }

    fn setenv(&mut self, tokens: &[String]) -> i32 {
        use Arity::*;
        let spec = [
            ("-banner", Value),
            ("-header", Value),
            ("-format", Value),
            ("-delim", Value),
            ("-paging", Value),
            ("-verbose", Value),
            ("-rows", Value),
            ("-fullid", Value),
            ("-timeout", Value),
            ("-echo", Value),
        ];
        self.apply_settings(tokens, &spec, ["-banner", "-header", "-format", "-delim"])
    }

    fn setoutput(&mut self, tokens: &[String]) -> i32 {
        use Arity::*;
        let spec = [
            ("-fmt", Value),
            ("-delim", Value),
            ("-hdr", Value),
            ("-bnr", Value),
            ("-p", Value),
            ("-v", Value),
            ("-r", Value),
            ("-desc", Value),
        ];
        self.apply_settings(tokens, &spec, ["-bnr", "-hdr", "-fmt", "-delim"])
    }

    /// `names` = the flags for banner, header, format, delimiter.
    fn apply_settings(
        &mut self,
        tokens: &[String],
        spec: &[(&str, Arity)],
        names: [&str; 4],
    ) -> i32 {
        let cmd = tokens
            .first()
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        let c = match parse_cmd(tokens, spec) {
            Ok(c) => c,
            Err(m) => {
                errln(&m);
                return exit::SYNTAX;
            }
        };
        if let Some(p) = c.positional.first() {
            errln(&msg::invalid_flag(&cmd, p));
            return exit::SYNTAX;
        }
        match output_overrides(&cmd, &c, names, &self.settings) {
            Ok(s) => {
                self.settings = s;
                exit::OK
            }
            Err(m) => {
                errln(&m);
                exit::SYNTAX
            }
        }
    }
}

/// Apply banner/header/format/delimiter flags (named by `names`) on top of `base`; every
/// other on/off flag of the table is validated too.
pub fn output_overrides(
    cmd: &str,
    c: &super::args::CmdLine,
    names: [&str; 4],
    base: &Settings,
) -> Result<Settings, String> {
    let mut s = base.clone();
    for (flag, value) in &c.flags {
        let Some(v) = value.as_deref() else { continue };
        let onoff = || on_off(v).ok_or_else(|| msg::invalid_value(cmd, flag, v));
        if flag == names[0] {
            s.banner = onoff()?;
        } else if flag == names[1] {
            s.header = onoff()?;
        } else if flag == names[2] {
            s.fmt = match parse_fmt(v) {
                FmtChoice::Known(f) => f,
                FmtChoice::Unsupported => return Err(msg::unsupported_format(cmd, v)),
                FmtChoice::Invalid => return Err(msg::invalid_value(cmd, flag, v)),
            };
        } else if flag == names[3] {
            if v.chars().count() != 1 {
                return Err(msg::invalid_value(cmd, flag, v));
            }
            s.delim = v.to_string();
        } else if matches!(
            flag.as_str(),
            "-p" | "-v" | "-paging" | "-verbose" | "-fullid" | "-echo"
        ) {
            onoff()?;
        }
    }
    Ok(s)
}
