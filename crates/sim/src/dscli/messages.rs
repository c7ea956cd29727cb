//! Every DS CLI message id and text the emulator prints, in one place.
//!
//! Format: `CMUC<5 digits><I|W|E> <command>: <text>`; server-side (pair-level) failures are
//! `CMUN<5 digits>E <command>: <pair>: <text>` (vendor-cli.md §1.5).
//!
//! Ids and texts taken from the reference: CMUC00137I (mkflash created), CMUC00168I (resyncflash,
//! seed 000), CMUC00234I (No Flash Copy found), CMUC00191E (authentication failure; the text is
//! inferred), CMUN00018E (management console unreachable), CMUC00144W (rmflash prompt).
//! Seed 003 gives the remote resync text (its id is inferred).
//!
//! Inferred (the real ids/texts were not found; they follow the documented pattern):
//! CMUC00140I (rmflash removed), CMUC00173I (mkremoteflash), CMUC00175I (resyncremoteflash),
//! CMUC00179I/CMUC00180W (rmremoteflash), CMUC00205I/CMUC00206I/CMUC00207I (managepwfile),
//! `lsremoteflash: No Remote Flash Copy found.` (CMUC00234I), all syntax errors CMUC00011E to
//! CMUC00029E, CMUC00192E, and all CMUN errors except CMUN00018E: CMUN00094E, CMUN02011E,
//! CMUN03010E, CMUN03012E, CMUN03013E, CMUN03027E, CMUN03033E, CMUN03041E, CMUN03157E,
//! CMUN03158E, CMUN80000E (injected fault default).

pub const VERSION: &str = "7.7.10.317";

/// Exit codes (vendor-cli.md §1.6).
pub mod exit {
    pub const OK: i32 = 0;
    pub const SYNTAX: i32 = 2;
    pub const CONNECTION: i32 = 3;
    pub const SERVER: i32 = 4;
    pub const AUTH: i32 = 5;
    pub const APPLICATION: i32 = 6;
}

pub fn banner(date: &str, dev: &str) -> String {
    format!("Date/Time: {date} IBM DSCLI Version: {VERSION} DS: {dev}")
}

// ---- success / info -------------------------------------------------------------------------

pub fn mkflash_ok(pair: &str) -> String {
    format!("CMUC00137I mkflash: FlashCopy pair {pair} successfully created.")
}
pub fn resyncflash_ok(pair: &str) -> String {
    format!("CMUC00168I resyncflash: FlashCopy volume pair {pair} successfully resynchronized.")
}
pub fn rmflash_prompt(pair: &str) -> String {
    format!(
        "CMUC00144W rmflash: Are you sure you want to remove the FlashCopy pair {pair}:? [y/n]:"
    )
}
pub fn rmflash_ok(pair: &str) -> String {
    format!("CMUC00140I rmflash: FlashCopy pair {pair} successfully removed.")
}
pub fn mkremoteflash_ok(pair: &str) -> String {
    format!(
        "CMUC00173I mkremoteflash: Remote FlashCopy volume pair {pair} successfully created. \
         Use the lsremoteflash command to determine copy completion."
    )
}
pub fn resyncremoteflash_ok(pair: &str) -> String {
    format!(
        "CMUC00175I resyncremoteflash: Remote FlashCopy volume pair {pair} successfully \
         resynchronized. Use the lsremoteflash command to determine copy completion."
    )
}
pub fn rmremoteflash_prompt(pair: &str) -> String {
    format!(
        "CMUC00180W rmremoteflash: Are you sure you want to remove the remote FlashCopy pair \
         {pair}:? [y/n]:"
    )
}
pub fn rmremoteflash_ok(pair: &str) -> String {
    format!(
        "CMUC00179I rmremoteflash: Removal of the remote FlashCopy volume pair {pair} has been \
         initiated successfully. Use the lsremoteflash command to determine when the \
         relationship is deleted."
    )
}
pub fn no_flash_found(cmd: &str) -> String {
    if cmd == "lsremoteflash" {
        format!("CMUC00234I {cmd}: No Remote Flash Copy found.")
    } else {
        format!("CMUC00234I {cmd}: No Flash Copy found.")
    }
}
pub fn pwfile_created(path: &str) -> String {
    format!("CMUC00205I managepwfile: Password file {path} successfully created.")
}
pub fn pwfile_changed(path: &str) -> String {
    format!("CMUC00206I managepwfile: Password file {path} successfully modified.")
}
pub fn pwfile_removed(path: &str) -> String {
    format!("CMUC00207I managepwfile: Password file {path} entry successfully removed.")
}

// ---- connection / authentication ------------------------------------------------------------

pub fn unreachable() -> String {
    "CMUN00018E Unable to connect to the management console server".to_string()
}
pub fn auth_failed(detail: &str) -> String {
    format!("CMUC00191E Authentication failure: {detail}")
}

// ---- syntax errors (exit 2) -----------------------------------------------------------------

pub fn unknown_command(cmd: &str) -> String {
    format!("CMUC00011E Unknown command: {cmd}")
}
pub fn invalid_flag(cmd: &str, flag: &str) -> String {
    format!("CMUC00012E {cmd}: Invalid flag: {flag}")
}
pub fn missing_value(cmd: &str, flag: &str) -> String {
    format!("CMUC00013E {cmd}: Missing value for flag {flag}.")
}
pub fn invalid_id(cmd: &str, id: &str) -> String {
    format!("CMUC00014E {cmd}: Invalid ID: {id}")
}
pub fn required_flag(cmd: &str, flag: &str) -> String {
    format!("CMUC00015E {cmd}: The {flag} parameter is required.")
}
pub fn no_dev(cmd: &str) -> String {
    format!(
        "CMUC00016E {cmd}: A storage image ID is required: specify -dev or set devid in your \
         profile."
    )
}
pub fn invalid_value(cmd: &str, flag: &str, value: &str) -> String {
    format!("CMUC00017E {cmd}: Invalid value for flag {flag}: {value}")
}
pub fn unsupported_format(cmd: &str, fmt: &str) -> String {
    format!("CMUC00018E {cmd}: Output format {fmt} is not supported by this emulator.")
}
pub fn ids_required(cmd: &str) -> String {
    format!("CMUC00019E {cmd}: A FlashCopy pair ID is required.")
}
pub fn invalid_conduit(cmd: &str, v: &str) -> String {
    format!(
        "CMUC00020E {cmd}: Invalid conduit LSS ID: {v}. Specify a fully qualified LSS ID, for \
         example IBM.2107-75FA120/00."
    )
}
pub fn exclusive_flags(cmd: &str, a: &str, b: &str) -> String {
    format!("CMUC00021E {cmd}: The {a} and {b} parameters are mutually exclusive.")
}
pub fn dash_not_allowed(cmd: &str) -> String {
    format!("CMUC00022E {cmd}: The - parameter is not supported in interactive mode.")
}
pub fn invalid_option(opt: &str) -> String {
    format!("CMUC00023E dscli: Invalid option: {opt}")
}
pub fn no_hmc() -> String {
    "CMUC00024E dscli: No management console specified: use -hmc1 or a profile with hmc1."
        .to_string()
}
pub fn profile_unreadable(path: &str, why: &str) -> String {
    format!("CMUC00025E dscli: Unable to read profile {path}: {why}")
}
pub fn script_unreadable(path: &str, why: &str) -> String {
    format!("CMUC00026E dscli: Unable to read script file {path}: {why}")
}
pub fn malformed_line(why: &str) -> String {
    format!("CMUC00027E dscli: Unable to parse command line: {why}")
}
pub fn mixed_dev(cmd: &str) -> String {
    format!("CMUC00028E {cmd}: All IDs must belong to the same storage image.")
}
pub fn pwfile_usage(why: &str) -> String {
    format!("CMUC00029E managepwfile: {why}")
}
pub fn pwfile_io(path: &str, why: &str) -> String {
    format!("CMUC00192E managepwfile: Unable to write password file {path}: {why}")
}

// ---- server errors (exit 4) -----------------------------------------------------------------

pub fn image_not_accessible(cmd: &str, dev: &str) -> String {
    format!("CMUN00094E {cmd}: The storage image {dev} is not managed by this management console.")
}
pub fn volume_missing(cmd: &str, pair: &str, vol: &str) -> String {
    format!("CMUN02011E {cmd}: {pair}: The volume {vol} does not exist.")
}
pub fn same_volume(cmd: &str, pair: &str) -> String {
    format!("CMUN03010E {cmd}: {pair}: The source and target volumes must be different.")
}
pub fn relation_exists(cmd: &str, pair: &str) -> String {
    format!("CMUN03012E {cmd}: {pair}: A FlashCopy relationship already exists for this pair.")
}
pub fn target_busy(cmd: &str, pair: &str, tgt: &str) -> String {
    format!(
        "CMUN03013E {cmd}: {pair}: The target volume {tgt} is already a target of another \
         FlashCopy relationship."
    )
}
pub fn relation_missing(cmd: &str, pair: &str) -> String {
    format!("CMUN03027E {cmd}: {pair}: The FlashCopy relationship does not exist.")
}
pub fn target_too_small(cmd: &str, pair: &str) -> String {
    format!("CMUN03033E {cmd}: {pair}: The target volume is smaller than the source volume.")
}
pub fn not_recording(cmd: &str, pair: &str) -> String {
    format!(
        "CMUN03041E {cmd}: {pair}: The FlashCopy relationship was not established with change \
         recording enabled."
    )
}
pub fn ese_needs_tgtse(cmd: &str, pair: &str) -> String {
    format!(
        "CMUN03157E {cmd}: {pair}: The target volume is an extent space efficient volume: \
         specify -tgtse."
    )
}
pub fn tgtse_not_ese(cmd: &str, pair: &str) -> String {
    format!(
        "CMUN03158E {cmd}: {pair}: -tgtse was specified but the target volume is not space \
         efficient."
    )
}
pub fn injected(cmd: Option<&str>, pair: Option<&str>) -> String {
    match (cmd, pair) {
        (Some(c), Some(p)) => {
            format!("CMUN80000E {c}: {p}: The operation failed (injected fault).")
        }
        (Some(c), None) => format!("CMUN80000E {c}: The operation failed (injected fault)."),
        _ => "CMUN80000E The operation failed (injected fault).".to_string(),
    }
}
pub fn internal(detail: &str) -> String {
    format!("CMUN80001E {detail}")
}
