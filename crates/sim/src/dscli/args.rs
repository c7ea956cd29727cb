//! Parsing of the dscli argv (connection options), profiles, command lines and IDs.

use super::messages as msg;
use super::model::valid_array_id;

/// The connection options before the command, and the command (argv mode) if any.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConnOpts {
    pub hmc1: Option<String>,
    pub hmc2: Option<String>,
    pub user: Option<String>,
    pub pwfile: Option<String>,
    pub passwd: Option<String>,
    pub cfg: Option<String>,
    pub script: Option<String>,
    /// Single-shot command tokens (empty: script or stdin mode).
    pub command: Vec<String>,
}

/// Parse `dscli [options] [command ...]`. Errors are the message to print (syntax, exit 2).
pub fn parse_conn(args: &[String]) -> Result<ConnOpts, String> {
    let mut o = ConnOpts::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let slot = match a {
            "-hmc1" => &mut o.hmc1,
            "-hmc2" => &mut o.hmc2,
            "-user" => &mut o.user,
            "-pwfile" => &mut o.pwfile,
            "-passwd" => &mut o.passwd,
            "-cfg" => &mut o.cfg,
            "-script" => &mut o.script,
            _ if a.starts_with('-') && a.len() > 1 => return Err(msg::invalid_option(a)),
            _ => break,
        };
        let Some(v) = args.get(i + 1) else {
            return Err(msg::missing_value("dscli", a));
        };
        *slot = Some(v.clone());
        i += 2;
    }
    let rest = &args[i..];
    o.command = if rest.len() == 1 && rest[0].contains(char::is_whitespace) {
        // `dscli -cfg X "lsflash -l 0001:0002"`
        shell_words::split(&rest[0]).map_err(|e| msg::malformed_line(&e.to_string()))?
    } else {
        rest.to_vec()
    };
    if o.script.is_some() && !o.command.is_empty() {
        return Err(msg::invalid_option(&o.command[0]));
    }
    Ok(o)
}

/// The few profile keys the emulator honours (`key: value` lines, `#` comments).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Profile {
    pub hmc1: Option<String>,
    pub hmc2: Option<String>,
    pub devid: Option<String>,
    pub username: Option<String>,
    pub pwfile: Option<String>,
    pub format: Option<String>,
    pub delim: Option<String>,
    pub banner: Option<String>,
    pub header: Option<String>,
}

pub fn parse_profile(text: &str) -> Profile {
    let mut p = Profile::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once(':').or_else(|| line.split_once('=')) else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        if v.is_empty() {
            continue;
        }
        let slot = match k.trim().to_ascii_lowercase().as_str() {
            "hmc1" => &mut p.hmc1,
            "hmc2" => &mut p.hmc2,
            "devid" => &mut p.devid,
            "username" => &mut p.username,
            "pwfile" => &mut p.pwfile,
            "format" => &mut p.format,
            "delim" => &mut p.delim,
            "banner" => &mut p.banner,
            "header" => &mut p.header,
            _ => continue,
        };
        *slot = Some(v);
    }
    p
}

/// How a command flag is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Switch,
    Value,
}

/// A parsed command line: name, flags in order, positional arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmdLine {
    pub name: String,
    pub flags: Vec<(String, Option<String>)>,
    pub positional: Vec<String>,
}

impl CmdLine {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| f == flag)
    }

    /// Last value given for `flag`.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Parse `tokens` (command name first) against a flag table. Flags are case-insensitive;
/// a lone `-` is positional (IDs from stdin).
pub fn parse_cmd(tokens: &[String], spec: &[(&str, Arity)]) -> Result<CmdLine, String> {
    let name = tokens.first().cloned().unwrap_or_default();
    let mut c = CmdLine {
        name: name.clone(),
        ..Default::default()
    };
    let mut i = 1;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.starts_with('-') && t.len() > 1 {
            let lower = t.to_ascii_lowercase();
            let Some((f, arity)) = spec.iter().find(|(f, _)| *f == lower) else {
                return Err(msg::invalid_flag(&name, t));
            };
            match arity {
                Arity::Switch => c.flags.push((f.to_string(), None)),
                Arity::Value => {
                    let Some(v) = tokens.get(i + 1) else {
                        return Err(msg::missing_value(&name, f));
                    };
                    c.flags.push((f.to_string(), Some(v.clone())));
                    i += 1;
                }
            }
        } else {
            c.positional.push(t.clone());
        }
        i += 1;
    }
    Ok(c)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// `0001` or `IBM.2107-75FA120/0001` → (storage image, `0001`).
pub fn parse_vol(s: &str) -> Option<(Option<String>, String)> {
    let (dev, vol) = match s.rsplit_once('/') {
        Some((d, v)) => {
            if !valid_array_id(d) {
                return None;
            }
            (Some(d.to_string()), v)
        }
        None => (None, s),
    };
    is_hex(vol, 4).then(|| (dev, vol.to_ascii_uppercase()))
}

/// A pair ID `SSSS:TTTT`, volumes possibly fully qualified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairId {
    pub dev: Option<String>,
    pub src: String,
    pub tgt: String,
}

impl PairId {
    pub fn id(&self) -> String {
        format!("{}:{}", self.src, self.tgt)
    }
}

pub fn parse_pair(s: &str) -> Option<PairId> {
    let (a, b) = s.split_once(':')?;
    let (da, src) = parse_vol(a)?;
    let (db, tgt) = parse_vol(b)?;
    let dev = match (da, db) {
        (Some(x), Some(y)) if x != y => return None,
        (Some(x), _) | (None, Some(x)) => Some(x),
        (None, None) => None,
    };
    Some(PairId { dev, src, tgt })
}

/// A selector of `lsflash`: a pair, a volume, or a volume range `AAAA-BBBB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Pair(PairId),
    Volume(Option<String>, String),
    Range(String, String),
}

pub fn parse_selector(s: &str) -> Option<Selector> {
    if s.contains(':') {
        return parse_pair(s).map(Selector::Pair);
    }
    if let Some((a, b)) = s.split_once('-') {
        if is_hex(a, 4) && is_hex(b, 4) {
            let (a, b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
            return (a <= b).then_some(Selector::Range(a, b));
        }
    }
    parse_vol(s).map(|(d, v)| Selector::Volume(d, v))
}

impl Selector {
    pub fn dev(&self) -> Option<&str> {
        match self {
            Selector::Pair(p) => p.dev.as_deref(),
            Selector::Volume(d, _) => d.as_deref(),
            Selector::Range(..) => None,
        }
    }

    pub fn matches(&self, src: &str, tgt: &str) -> bool {
        match self {
            Selector::Pair(p) => p.src == src && p.tgt == tgt,
            Selector::Volume(_, v) => v == src || v == tgt,
            Selector::Range(a, b) => {
                (a.as_str() <= src && src <= b.as_str()) || (a.as_str() <= tgt && tgt <= b.as_str())
            }
        }
    }
}

/// A fully qualified LSS id `IBM.2107-75FA120/LL`.
pub fn parse_conduit(s: &str) -> Option<(String, String)> {
    let (dev, lss) = s.split_once('/')?;
    (valid_array_id(dev) && is_hex(lss, 2)).then(|| (dev.to_string(), lss.to_ascii_uppercase()))
}

/// A FlashCopy sequence number: up to 8 hex digits.
pub fn valid_seqnum(s: &str) -> bool {
    !s.is_empty() && s.len() <= 8 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// `on|off` → bool.
pub fn on_off(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

/// Mask secrets (`-passwd`, `-pw`) in a token list for the call log.
pub fn mask(tokens: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut hide = false;
    for t in tokens {
        if hide {
            out.push("********".to_string());
            hide = false;
            continue;
        }
        let lower = t.to_ascii_lowercase();
        hide = lower == "-passwd" || lower == "-pw";
        // `dscli ... "managepwfile ... -pw x"` as one argv token
        if t.contains(char::is_whitespace) {
            if let Ok(words) = shell_words::split(t) {
                out.push(mask(&words).join(" "));
                continue;
            }
        }
        out.push(t.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn connection_options() {
        let o = parse_conn(&v(&[
            "-hmc1",
            "10.0.0.1",
            "-user",
            "u",
            "-pwfile",
            "/p",
            "lsflash",
            "-l",
            "0001:0002",
        ]))
        .expect("parse");
        assert_eq!(o.hmc1.as_deref(), Some("10.0.0.1"));
        assert_eq!(o.user.as_deref(), Some("u"));
        assert_eq!(o.pwfile.as_deref(), Some("/p"));
        assert_eq!(o.command, v(&["lsflash", "-l", "0001:0002"]));

        let o = parse_conn(&v(&["-cfg", "/x", "lsflash -fmt delim -hdr off 0001"])).expect("p");
        assert_eq!(
            o.command,
            v(&["lsflash", "-fmt", "delim", "-hdr", "off", "0001"])
        );

        let o = parse_conn(&v(&["-hmc1", "h", "-user", "u"])).expect("stdin mode");
        assert!(o.command.is_empty());

        assert!(parse_conn(&v(&["-bogus", "x"]))
            .expect_err("bad")
            .starts_with("CMUC00023E"));
        assert!(parse_conn(&v(&["-hmc1"]))
            .expect_err("missing")
            .starts_with("CMUC00013E"));
        assert!(parse_conn(&v(&["-script", "f", "lsflash"])).is_err());
    }

    #[test]
    fn profile() {
        let p = parse_profile(
            "# c\nhmc1: 10.0.0.1\ndevid: IBM.2107-75FA120\nusername:  admin\nbogus\n",
        );
        assert_eq!(p.hmc1.as_deref(), Some("10.0.0.1"));
        assert_eq!(p.devid.as_deref(), Some("IBM.2107-75FA120"));
        assert_eq!(p.username.as_deref(), Some("admin"));
        assert_eq!(p.hmc2, None);
    }

    #[test]
    fn command_lines() {
        let spec = [
            ("-dev", Arity::Value),
            ("-l", Arity::Switch),
            ("-s", Arity::Switch),
        ];
        let c =
            parse_cmd(&v(&["lsflash", "-L", "-dev", "D", "0001:0002", "-"]), &spec).expect("parse");
        assert!(c.has("-l"));
        assert_eq!(c.value("-dev"), Some("D"));
        assert_eq!(c.positional, v(&["0001:0002", "-"]));
        assert!(parse_cmd(&v(&["lsflash", "-x"]), &spec)
            .expect_err("flag")
            .starts_with("CMUC00012E lsflash: Invalid flag: -x"));
        assert!(parse_cmd(&v(&["lsflash", "-dev"]), &spec)
            .expect_err("value")
            .starts_with("CMUC00013E"));
    }

    #[test]
    fn ids() {
        let p = parse_pair("0001:00ff").expect("pair");
        assert_eq!(p.id(), "0001:00FF");
        assert_eq!(p.dev, None);
        let p = parse_pair("IBM.1750-68FA120/0100:IBM.1750-68FA120/0200").expect("fq");
        assert_eq!(p.dev.as_deref(), Some("IBM.1750-68FA120"));
        assert_eq!(p.id(), "0100:0200");
        assert!(parse_pair("IBM.1750-68FA120/0100:IBM.1750-68FA121/0200").is_none());
        assert!(parse_pair("001:0002").is_none());
        assert!(parse_pair("0001:0002:0003").is_none());
        assert!(parse_pair("000G:0002").is_none());
        assert!(parse_pair("0001;0002").is_none());
        assert!(parse_pair(":").is_none());

        assert_eq!(
            parse_selector("0000-ffff"),
            Some(Selector::Range("0000".into(), "FFFF".into()))
        );
        assert!(parse_selector("FFFF-0000").is_none());
        assert_eq!(
            parse_selector("0101"),
            Some(Selector::Volume(None, "0101".into()))
        );
        let s = parse_selector("0100-01FF").expect("range");
        assert!(s.matches("0101", "0202"));
        assert!(!s.matches("0001", "0002"));

        assert_eq!(
            parse_conduit("IBM.1750-68FA150/10"),
            Some(("IBM.1750-68FA150".into(), "10".into()))
        );
        assert!(parse_conduit("IBM.1750-68FA150").is_none());
        assert!(parse_conduit("IBM.1750-68FA150/1").is_none());
        assert!(parse_conduit("10").is_none());
        assert!(valid_seqnum("0010"));
        assert!(!valid_seqnum("xyz"));
    }

    #[test]
    fn masking() {
        let m = mask(&v(&["-user", "u", "-passwd", "secret", "x"]));
        assert_eq!(m, v(&["-user", "u", "-passwd", "********", "x"]));
        let m = mask(&v(&["managepwfile -name u -pw secret"]));
        assert_eq!(m, v(&["managepwfile -name u -pw ********"]));
    }
}
