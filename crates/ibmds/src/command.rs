//! Every dscli command line the driver sends, as data (no I/O). Commands go to dscli
//! on stdin (script mode), as OpenSVC does and seed 000 logs them.

use crate::config::{Credentials, IbmDsConfig, Pair};
use arraysync_core::runner::VendorCommand;
use std::time::Duration;

/// The session settings for parsable listings.
pub const DELIM_OUTPUT: &str = "setenv -banner off -header on -format delim";
/// The prompt dscli echoes in script mode; stripped from its output.
pub const PROMPT: &str = "dscli>";

/// The dscli invocation: `dscli -hmc1 H [-hmc2 H] -user U -pwfile F`, an empty hmc2 dropped.
pub fn dscli(credentials: &Credentials, script: String, timeout: Duration) -> VendorCommand {
    let mut args = vec!["-hmc1".to_string(), credentials.hmc1.clone()];
    if let Some(hmc2) = &credentials.hmc2 {
        args.extend(["-hmc2".to_string(), hmc2.clone()]);
    }
    args.extend([
        "-user".to_string(),
        credentials.username.clone(),
        "-pwfile".to_string(),
        credentials.pwfile.display().to_string(),
    ]);
    VendorCommand::new(credentials.dscli.clone(), args, timeout)
        .stdin(script)
        .strip(PROMPT)
}

/// Local or remote (through a PPRC conduit) command names.
fn name(local: &'static str, remote: &'static str, config: &IbmDsConfig) -> &'static str {
    if config.conduit.is_some() {
        remote
    } else {
        local
    }
}

fn head(config: &IbmDsConfig, local: &'static str, remote: &'static str) -> Vec<String> {
    let mut words = vec![
        name(local, remote, config).to_string(),
        "-dev".into(),
        config.array.clone(),
    ];
    if let Some(conduit) = &config.conduit {
        words.extend(["-conduit".to_string(), conduit.clone()]);
    }
    words
}

fn with_pairs(mut words: Vec<String>, pairs: &[Pair]) -> String {
    words.extend(pairs.iter().map(Pair::to_string));
    words.join(" ") + "\n"
}

fn copy_flag(config: &IbmDsConfig) -> &'static str {
    if config.bgcopy {
        "-cp"
    } else {
        "-nocp"
    }
}

/// `lsflash -l -dev A PAIRS` (or `lsremoteflash ... -conduit C`) in delim format.
pub fn lsflash(config: &IbmDsConfig) -> String {
    let mut words = head(config, "lsflash", "lsremoteflash");
    words.insert(1, "-l".into());
    format!("{DELIM_OUTPUT}\n{}", with_pairs(words, &config.pairs))
}

/// `resyncflash -dev A -persist -record -cp|-nocp [-tgtse] PAIRS`.
pub fn resyncflash(config: &IbmDsConfig, pairs: &[Pair], ese: bool) -> String {
    let mut words = head(config, "resyncflash", "resyncremoteflash");
    words.extend([
        "-persist".into(),
        "-record".into(),
        copy_flag(config).into(),
    ]);
    if ese {
        words.push("-tgtse".into());
    }
    with_pairs(words, pairs)
}

/// `rmflash -dev A -quiet PAIRS` (`-tgtse` is not an rmflash option).
pub fn rmflash(config: &IbmDsConfig, pairs: &[Pair]) -> String {
    let mut words = head(config, "rmflash", "rmremoteflash");
    words.push("-quiet".into());
    with_pairs(words, pairs)
}

/// `mkflash -dev A -persist -cp|-nocp [-tgtse] PAIRS`: the full re-copy of recording=false.
pub fn mkflash(config: &IbmDsConfig, pairs: &[Pair], ese: bool) -> String {
    let mut words = head(config, "mkflash", "mkremoteflash");
    words.extend(["-persist".into(), copy_flag(config).into()]);
    if ese {
        words.push("-tgtse".into());
    }
    with_pairs(words, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn config(recording: bool, bgcopy: bool, conduit: Option<&str>) -> IbmDsConfig {
        IbmDsConfig {
            array: "IBM.XXXX-XXXXXXX".into(),
            pairs: ["0001:0002", "0101:0102", "0003:0004"]
                .iter()
                .map(|p| Pair::parse(p).expect("pair"))
                .collect(),
            bgcopy,
            recording,
            conduit: conduit.map(str::to_string),
        }
    }

    #[test]
    fn seed_000_command_line() {
        let cfg = config(true, true, None);
        let creds = Credentials {
            dscli: "/opt/ibm/dscli/dscli".into(),
            hmc1: "10.10.10.10".into(),
            hmc2: None,
            username: "opensvc".into(),
            pwfile: PathBuf::from("/var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile"),
        };
        let cmd = dscli(
            &creds,
            resyncflash(&cfg, &cfg.pairs, false),
            Duration::from_secs(1),
        );
        assert_eq!(
            cmd.display_line(),
            "resyncflash -dev IBM.XXXX-XXXXXXX -persist -record -cp 0001:0002 0101:0102 0003:0004 | /opt/ibm/dscli/dscli -hmc1 10.10.10.10 -user opensvc -pwfile /var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile"
        );
    }

    #[test]
    fn second_hmc_is_passed_when_set() {
        let creds = Credentials {
            dscli: "/d".into(),
            hmc1: "h1".into(),
            hmc2: Some("h2".into()),
            username: "u".into(),
            pwfile: "/p".into(),
        };
        assert_eq!(
            dscli(&creds, String::new(), Duration::from_secs(1)).args[..4],
            ["-hmc1", "h1", "-hmc2", "h2"]
        );
    }

    #[test]
    fn nocp_and_ese_and_full_copy_variants() {
        let cfg = config(false, false, None);
        let ese = &cfg.pairs[..1];
        assert_eq!(
            resyncflash(&cfg, ese, true),
            "resyncflash -dev IBM.XXXX-XXXXXXX -persist -record -nocp -tgtse 0001:0002\n"
        );
        assert_eq!(
            rmflash(&cfg, ese),
            "rmflash -dev IBM.XXXX-XXXXXXX -quiet 0001:0002\n"
        );
        assert_eq!(
            mkflash(&cfg, ese, true),
            "mkflash -dev IBM.XXXX-XXXXXXX -persist -nocp -tgtse 0001:0002\n"
        );
    }

    #[test]
    fn conduit_selects_the_remote_commands() {
        let cfg = config(true, true, Some("IBM.XXXX-YYYYYYY/10"));
        assert_eq!(
            lsflash(&cfg),
            "setenv -banner off -header on -format delim\nlsremoteflash -l -dev IBM.XXXX-XXXXXXX -conduit IBM.XXXX-YYYYYYY/10 0001:0002 0101:0102 0003:0004\n"
        );
        assert!(resyncflash(&cfg, &cfg.pairs, false).starts_with("resyncremoteflash -dev IBM.XXXX-XXXXXXX -conduit IBM.XXXX-YYYYYYY/10 -persist -record -cp "));
        assert!(rmflash(&cfg, &cfg.pairs).starts_with(
            "rmremoteflash -dev IBM.XXXX-XXXXXXX -conduit IBM.XXXX-YYYYYYY/10 -quiet "
        ));
        assert!(mkflash(&cfg, &cfg.pairs, false).starts_with(
            "mkremoteflash -dev IBM.XXXX-XXXXXXX -conduit IBM.XXXX-YYYYYYY/10 -persist -cp "
        ));
    }
}
