//! Fuzz targets: every parser of vendor output and of our own input, behind one entry
//! point, so the bounded pass of `cargo test --test fuzz` (corpus replay plus mutations)
//! and the coverage-guided campaign of `fuzz/` (cargo-fuzz, outside the workspace) run the
//! same code. A target must never panic, whatever the bytes; errors are fine.

use std::path::Path;

/// The targets, by name (also the corpus directory names under `tests/fuzz-corpus/`).
pub const TARGETS: &[&str] = &[
    "ini",
    "duration",
    "ibmds_lsflash",
    "ibmds_messages",
    "necism_query_sv",
    "necism_query_bv_detail",
    "necism_linkinfo",
    "symclone_symld_list",
    "symclone_symdev_xml",
    "eternus_volumes",
    "eternus_sessions",
    "eternus_rec",
    "eternus_answer",
    "eternus_devices",
    "acm_args",
];

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// Runs target `name` on `data`. Returns false for an unknown target.
pub fn run(name: &str, data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    match name {
        "ini" => {
            let _ = arraysync_core::ini::Ini::parse(Path::new("fuzz.conf"), text);
            let _ = arraysync_core::ini::Ini::parse_secret(Path::new("auth.conf"), text);
        }
        "duration" => {
            use arraysync_core::duration::{parse_duration, Unit};
            let _ = parse_duration(text, Unit::Minutes);
            let _ = parse_duration(text, Unit::Seconds);
        }
        "ibmds_lsflash" => {
            let _ = arraysync_ibmds::parse::delim_table(text, ',');
            for line in text.lines() {
                let _ = arraysync_ibmds::parse::flash_date(line);
            }
        }
        "ibmds_messages" => {
            let _ = arraysync_ibmds::parse::messages(text);
            let _ = arraysync_ibmds::parse::confirmed_pairs(text);
        }
        "necism_query_sv" => {
            let _ = arraysync_necism::parse::query_sv(text);
            for line in text.lines() {
                let _ = arraysync_necism::parse::sv_line(line);
                let _ = arraysync_necism::parse::snap_state(line);
            }
        }
        "necism_query_bv_detail" => {
            let _ = arraysync_necism::parse::query_bv_detail(text);
            let _ = arraysync_necism::parse::message_ids(text);
            let _ = arraysync_necism::parse::confirms("iSMsc_create", text);
        }
        "necism_linkinfo" => {
            let _ = arraysync_necism::parse::linkinfo(text);
        }
        "symclone_symld_list" => {
            let _ = arraysync_symclone::parse::symld_list(text);
            let _ = arraysync_symclone::parse::confirms_control(text);
            let _ = arraysync_symclone::parse::clone_date(text);
        }
        "symclone_symdev_xml" => {
            let _ = arraysync_symclone::parse::symdev_xml(text);
        }
        "eternus_volumes" => {
            let _ = arraysync_eternus::parse::volumes(&lines(text));
        }
        "eternus_sessions" => {
            let _ = arraysync_eternus::parse::sessions(&lines(text));
        }
        "eternus_rec" => {
            let l = lines(text);
            let _ = arraysync_eternus::parse::rec_sessions(&l);
            let _ = arraysync_eternus::parse::rec_buffers(&l);
        }
        "eternus_answer" => {
            let answer = lines(text);
            let _ = arraysync_eternus::parse::error_line(&answer);
            let _ = arraysync_eternus::parse::boxid(&answer);
            let _ = arraysync_eternus::parse::table(&answer);
        }
        "eternus_devices" => {
            let _ = arraysync_eternus::device::parse_entries(Path::new("devices.conf"), text);
            for line in text.lines() {
                let _ = arraysync_eternus::device::VolumeName::parse(line);
            }
        }
        "acm_args" => {
            // One argument per line, against the option tables of the commands.
            let argv = lines(text);
            for flags in [
                arraysync_acm::swsrpmake::spec().flags,
                arraysync_acm::swsrpsetvol::spec().flags,
                arraysync_acm::swsrpstat::spec().flags,
                arraysync_acm::swsrpcancel::spec().flags,
            ] {
                let _ = arraysync_acm::args::parse(flags, &argv);
            }
        }
        _ => return false,
    }
    true
}
