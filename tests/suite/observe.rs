//! Operating and observing: quiet cron runs, node settings, metrics, the monitoring
//! check, and the errors a user meets first.

use super::acm::ok;
use super::dx::{self, CUSTOMIZED, DEVICES, REPLICATION_SCRIPTS};
use super::env::{TestEnv, SETTINGS};
use std::collections::{BTreeMap, BTreeSet};

const ARRAY: &str = "IBM.XXXX-XXXXXXX";
const SVC: &str = "iiststibmds";

/// Seed 000's sandbox on a node without settings, relationships created.
fn ibm_node() -> TestEnv {
    let env = TestEnv::with_default_settings();
    let root = env.root.display().to_string();
    env.sim(&["setup", "ibmds", "--root", root.as_str()]);
    let pwfile = env
        .path(&format!("/var/lib/arraysync/{ARRAY}.pwfile"))
        .display()
        .to_string();
    env.run(
        env.path("/opt/ibm/dscli/dscli"),
        &[
            "-hmc1",
            "10.10.10.10",
            "-user",
            "opensvc",
            "-pwfile",
            pwfile.as_str(),
            "mkflash",
            "-dev",
            ARRAY,
            "-record",
            "-persist",
            "-cp",
            "0001:0002",
            "0101:0102",
            "0003:0004",
        ],
    )
    .ok();
    env
}

#[test]
fn a_successful_cron_resync_prints_nothing_and_logs_the_seed_lines() {
    let env = ibm_node();
    let run = env.syncresync(&["-s", SVC]);
    run.ok();
    assert_eq!(run.stderr, "", "stderr of a successful cron run");
    assert_eq!(run.stdout, "");
    let log = env.log(SVC);
    let line = log
        .lines()
        .find(|l| l.contains(" - IISTSTIBMDS.SYNC#1 - INFO - resyncflash -dev IBM.XXXX-XXXXXXX"))
        .unwrap_or_else(|| panic!("no resyncflash line in\n{log}"));
    let stamp = &line[..23];
    assert!(
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S,%3f").is_ok(),
        "{line}"
    );
    assert!(
        log.contains(" - IISTSTIBMDS.SYNC#1 - INFO - Date/Time: ")
            && log.contains("\nCMUC00168I resyncflash: FlashCopy volume pair 0001:0002 successfully resynchronized.\n"),
        "{log}"
    );
}

#[test]
fn a_failed_cron_resync_says_why_on_stderr() {
    let env = ibm_node();
    env.syncresync(&["-s", SVC]).ok();
    let run = env.syncresync(&["-s", SVC]);
    run.code(1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    run.stderr_has(" - IISTSTIBMDS - ERROR - sync resync failed: sync#1: last resync on ")
        .stderr_has("sync_min_delay");
    // --quiet keeps errors; --debug shows the vendor queries and the timings.
    env.syncresync(&["-s", SVC, "--quiet"])
        .code(1)
        .stderr_has("sync_min_delay");
    let debug = env.syncresync(&["-s", SVC, "--force", "--debug"]);
    debug
        .ok()
        .stderr_has(" - IISTSTIBMDS.SYNC#1 - DEBUG - setenv -banner off")
        .stderr_has(" - IISTSTIBMDS.SYNC#1 - DEBUG - vendor dscli: ")
        .stderr_has(" - IISTSTIBMDS - DEBUG - service sync resync: ");
}

#[test]
fn settings_are_shown_with_defaults_and_unknown_keys_name_file_and_line() {
    let env = TestEnv::with_default_settings();
    let shown = env.arraysync(&["print", "settings"]);
    shown
        .ok()
        .stdout_has("[concurrency]\ndefault = 4\n")
        .stdout_has("resource = \"5m\"")
        .stdout_has("stderr = \"auto\"");
    let json = env
        .arraysync(&["print", "settings", "--format", "json"])
        .json();
    assert_eq!(json["timeouts"]["waitlock"], "1m");
    env.write(
        SETTINGS,
        "[timeouts]\nresource = \"10m\"\n\n[vendor]\npas_env = []\n",
    );
    let file = env.path(SETTINGS).display().to_string();
    env.arraysync(&["print", "settings"])
        .code(2)
        .stderr_has(&format!("arraysync: {file}:5: unknown field `pas_env`"));
    env.syncresync(&["-s", SVC])
        .code(2)
        .stderr_has(&format!("syncresync: {file}:5:"));
    env.write(
        SETTINGS,
        "[timeouts]\nresource = \"10m\"\n[vendor]\npass_env = [\"SSH_AUTH_SOCK\"]\n",
    );
    env.arraysync(&["print", "settings"])
        .ok()
        .stdout_has("resource = \"10m\"")
        .stdout_has("pass_env = [\"SSH_AUTH_SOCK\"]");
}

#[test]
fn extra_vendor_environment_comes_from_the_settings() {
    let env = ibm_node();
    env.write(
        SETTINGS,
        "[vendor]\npass_env = [\"OBSERVE_PASSED\"]\n[vendor.set_env]\nOBSERVE_SET = \"fixed\"\n",
    );
    // A pre-trigger is a command run by the runner in the vendor environment.
    let marker = env.path("/tmp/env.txt");
    std::fs::create_dir_all(marker.parent().expect("parent")).expect("mkdir");
    let script = env.path("/usr/local/bin/dump-env");
    env.write_executable(
        "/usr/local/bin/dump-env",
        &format!("#!/bin/sh\nenv > {}\n", marker.display()),
    );
    let conf = env.service_conf(SVC);
    env.write_service(
        SVC,
        &conf.replacen(
            "[sync#1]",
            &format!("[sync#1]\npre_sync_resync = {}", script.display()),
            1,
        ),
    );
    let mut cmd = env.command(env!("CARGO_BIN_EXE_syncresync"));
    cmd.args(["-s", SVC])
        .env("OBSERVE_PASSED", "from-caller")
        .env("OBSERVE_DROPPED", "x");
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = std::fs::read_to_string(&marker).expect("trigger ran");
    assert!(seen.contains("OBSERVE_PASSED=from-caller"), "{seen}");
    assert!(seen.contains("OBSERVE_SET=fixed"), "{seen}");
    assert!(!seen.contains("OBSERVE_DROPPED"), "{seen}");
}

/// One sample: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// A strict reader of the Prometheus text exposition format (0.0.4): metric and label
/// names, label value escapes, sample values, HELP/TYPE before and matching their
/// samples, families contiguous, no duplicate series. Returns the samples.
fn parse_prometheus(text: &str) -> Result<Vec<Sample>, String> {
    fn metric_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    fn label_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with("__")
    }
    if !text.ends_with('\n') {
        return Err("the exposition must end with a newline".into());
    }
    let mut samples = Vec::new();
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let mut helped: BTreeSet<String> = BTreeSet::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut series: BTreeSet<String> = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let at = |m: String| format!("line {}: {m}: {line}", n + 1);
        if line.is_empty() {
            return Err(at("empty line".into()));
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            let kind = words.next().unwrap_or_default();
            let name = words.next().unwrap_or_default().to_string();
            let tail = words.next().unwrap_or_default();
            if kind != "HELP" && kind != "TYPE" {
                continue;
            }
            if !metric_name(&name) {
                return Err(at(format!("bad metric name {name:?}")));
            }
            if finished.contains(&name)
                || current.as_deref() == Some(name.as_str())
                    && kind == "TYPE"
                    && typed.contains_key(&name)
            {
                return Err(at(format!("{kind} of {name} after its samples or twice")));
            }
            if current.as_deref() != Some(name.as_str()) {
                if let Some(prev) = current.replace(name.clone()) {
                    finished.insert(prev);
                }
            }
            if kind == "TYPE" {
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&tail) {
                    return Err(at(format!("bad type {tail:?}")));
                }
                typed.insert(name, tail.to_string());
            } else if !helped.insert(name.clone()) {
                return Err(at(format!("second HELP of {name}")));
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (name, rest) = match line.find(['{', ' ']) {
            Some(i) => line.split_at(i),
            None => return Err(at("no value".into())),
        };
        if !metric_name(name) {
            return Err(at(format!("bad metric name {name:?}")));
        }
        if current.as_deref() != Some(name) {
            if finished.contains(name) {
                return Err(at(format!("samples of {name} are not contiguous")));
            }
            if let Some(prev) = current.replace(name.to_string()) {
                finished.insert(prev);
            }
        }
        let mut labels = BTreeMap::new();
        let mut rest = rest;
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            let end;
            loop {
                let Some(&(start, c)) = chars.peek() else {
                    return Err(at("unterminated labels".into()));
                };
                if c == '}' {
                    end = start + 1;
                    break;
                }
                let mut key = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                    chars.next();
                }
                if !label_name(&key) {
                    return Err(at(format!("bad label name {key:?}")));
                }
                chars.next();
                if chars.next().map(|(_, c)| c) != Some('"') {
                    return Err(at("label value not quoted".into()));
                }
                let mut value = String::new();
                loop {
                    match chars.next().map(|(_, c)| c) {
                        Some('\\') => match chars.next().map(|(_, c)| c) {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            other => return Err(at(format!("bad escape {other:?}"))),
                        },
                        Some('"') => break,
                        Some('\n') | None => return Err(at("unterminated label value".into())),
                        Some(c) => value.push(c),
                    }
                }
                if labels.insert(key.clone(), value).is_some() {
                    return Err(at(format!("label {key} twice")));
                }
                match chars.peek().map(|&(_, c)| c) {
                    Some(',') => {
                        chars.next();
                    }
                    Some('}') => {}
                    _ => return Err(at("expected , or } after a label".into())),
                }
            }
            rest = &body[end..];
        }
        let mut fields = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("no space before the value".into()))?
            .split(' ');
        let value = fields.next().unwrap_or_default();
        let value: f64 = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| at(format!("bad value {v:?}")))?,
        };
        if let Some(ts) = fields.next() {
            ts.parse::<i64>()
                .map_err(|_| at(format!("bad timestamp {ts:?}")))?;
        }
        if fields.next().is_some() {
            return Err(at("trailing fields".into()));
        }
        if !typed.contains_key(name) || !helped.contains(name) {
            return Err(at(format!("{name} has no HELP/TYPE before its samples")));
        }
        if !series.insert(format!("{name}{labels:?}")) {
            return Err(at("duplicate series".into()));
        }
        samples.push((name.to_string(), labels, value));
    }
    Ok(samples)
}

#[test]
fn the_strict_prometheus_reader_rejects_what_promtool_rejects() {
    let good = "# HELP a_b x\n# TYPE a_b gauge\na_b{x=\"q\\\"\\\\\\n\"} 1.5\na_b 2\n";
    assert_eq!(parse_prometheus(good).map(|s| s.len()), Ok(2));
    for bad in [
        "a 1\n",                                                    // no HELP/TYPE
        "# HELP a x\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n", // duplicate
        "# HELP a x\n# TYPE a gauge\na{x=\"\\q\"} 1\n",             // bad escape
        "# HELP a x\n# TYPE a gauge\na{1x=\"\"} 1\n",               // bad label name
        "# HELP a x\n# TYPE a gauge\na one\n",                      // bad value
        "# HELP a x\n# TYPE a gauge\na 1",                          // no final newline
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{y=\"\"} 1\n",
    ] {
        assert!(parse_prometheus(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn metrics_pass_a_strict_text_format_reader_and_carry_the_last_action() {
    let env = ibm_node();
    env.syncresync(&["-s", SVC]).ok();
    let run = env.arraysync(&["--all", "print", "metrics"]);
    run.ok();
    let samples = parse_prometheus(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    let get = |name: &str, extra: &[(&str, &str)]| {
        samples
            .iter()
            .find(|(n, labels, _)| {
                n == name
                    && labels.get("service").map(String::as_str) == Some(SVC)
                    && extra
                        .iter()
                        .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| *v)
            .unwrap_or_else(|| panic!("no {name} {extra:?} in\n{}", run.stdout))
    };
    assert_eq!(get("arraysync_resource_status", &[("status", "up")]), 1.0);
    assert_eq!(get("arraysync_resource_status", &[("status", "warn")]), 0.0);
    assert_eq!(get("arraysync_resource_query_ok", &[]), 1.0);
    assert!(get("arraysync_resource_last_sync_age_seconds", &[]) < 600.0);
    assert_eq!(
        get(
            "arraysync_resource_last_action_success",
            &[("action", "sync_resync")]
        ),
        1.0
    );
    // One lsflash and one resyncflash, the seed 000 batch.
    assert_eq!(
        get(
            "arraysync_resource_last_action_vendor_calls",
            &[("action", "sync_resync")]
        ),
        2.0
    );
    assert!(get("arraysync_resource_last_action_duration_seconds", &[]) >= 0.0);
    // The timer template's form: per service, to a textfile directory, atomically.
    let dir = env.path("/var/lib/node_exporter");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let dir_arg = dir.display().to_string();
    env.arraysync(&["-s", SVC, "print", "metrics", "--textfile", &dir_arg])
        .ok();
    let written = std::fs::read_to_string(dir.join(format!("arraysync_{SVC}.prom")))
        .expect("textfile written");
    parse_prometheus(&written).unwrap_or_else(|e| panic!("{e}\n{written}"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".prom"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    env.arraysync(&[
        "-s",
        SVC,
        "print",
        "metrics",
        "--textfile",
        "/nonexistent/dir",
    ])
    .code(2)
    .stderr_has("not a directory");
}

/// Nagios plugin guidelines: `'label'=value[UOM];[warn];[crit];[min];[max]`, labels
/// quoted when they have spaces, UOM one of s, ms, us, %, B, KB, MB, TB, c or none,
/// `U` for an undetermined value.
fn check_perfdata(item: &str) -> Result<(), String> {
    let (label, rest) = if let Some(quoted) = item.strip_prefix('\'') {
        let end = quoted.find("'=").ok_or("unterminated quoted label")?;
        (&quoted[..end], &quoted[end + 2..])
    } else {
        item.split_once('=').ok_or("no '='")?
    };
    if label.is_empty() || label.contains('=') || label.contains('\'') {
        return Err(format!("bad label {label:?}"));
    }
    let fields: Vec<&str> = rest.split(';').collect();
    if fields.len() > 5 {
        return Err("more than 5 fields".into());
    }
    let number = |text: &str| {
        text.is_empty()
            || text
                .trim_start_matches(['-', '~', '@'])
                .split(':')
                .all(|p| p.is_empty() || p.parse::<f64>().is_ok())
    };
    let value = fields[0];
    if value != "U" {
        let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
        let uom = &value[digits.len()..];
        if !["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"].contains(&uom) {
            return Err(format!("bad unit {uom:?}"));
        }
        digits
            .parse::<f64>()
            .map_err(|_| format!("bad value {value:?}"))?;
    }
    for threshold in &fields[1..] {
        if !number(threshold) {
            return Err(format!("bad threshold {threshold:?}"));
        }
    }
    Ok(())
}

/// Splits perfdata into items, keeping quoted labels whole.
fn perfdata_items(perf: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in perf.trim().chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

#[test]
fn check_prints_nagios_perfdata_and_json() {
    let env = ibm_node();
    env.syncresync(&["-s", SVC]).ok();
    let run = env.arraysync(&["-s", SVC, "check"]);
    run.ok();
    let line = run.stdout.trim_end();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let (text, perf) = line.split_once(" | ").expect("perfdata after ' | '");
    assert!(
        text.starts_with("ARRAYSYNC OK - iiststibmds sync#1 up"),
        "{text}"
    );
    let items = perfdata_items(perf);
    assert_eq!(items.len(), 1, "{items:?}");
    for item in &items {
        check_perfdata(item).unwrap_or_else(|e| panic!("{e}: {item}"));
    }
    // seed 000's sync_max_delay is 20 years, in seconds, as the warning threshold.
    assert!(
        items[0].starts_with("'iiststibmds sync#1 age'=") && items[0].ends_with(";630720000;;0;"),
        "{}",
        items[0]
    );
    for bad in ["'a b=1", "x=1q", "x=1;a", "=1"] {
        assert!(check_perfdata(bad).is_err(), "accepted {bad}");
    }
    let json = env
        .arraysync(&["-s", SVC, "check", "--format", "json"])
        .json();
    assert_eq!(json["status"], "OK");
    assert_eq!(json["code"], 0);
    assert_eq!(json["resources"][0]["rid"], "sync#1");
    assert_eq!(json["resources"][0]["sync_max_delay_seconds"], 630720000);
    assert!(json["resources"][0]["age_seconds"].as_i64().is_some());
    let unknown = env.arraysync(&["-s", "nosuch", "check", "--format", "json"]);
    unknown.code(3);
    assert_eq!(unknown.json()["status"], "UNKNOWN");
}

#[test]
fn first_errors_suggest_the_next_step() {
    let env = ibm_node();
    env.arraysync(&["-s", "iiststibmd", "print", "status"])
        .code(2)
        .stderr_has("service 'iiststibmd' not found")
        .stderr_has(
            "arraysync: hint: did you mean 'iiststibmds'? configured services: iiststibmds",
        );
    env.arraysync(&["print", "status"])
        .code(2)
        .stderr_has("no service given: use -s SVC[,SVC] or --all (configured: iiststibmds)");
    env.arraysync(&["-s", SVC, "sync", "resyn"])
        .code(2)
        .stderr_has("did you mean 'sync resync'?");
    env.arraysync(&["-s", SVC, "print", "status", "--json"])
        .code(2)
        .stderr_has("arraysync: unknown option --json: use --format json");
    let bad = env.syncresync(&["-s", SVC, "--frobnicate"]);
    bad.code(2);
    assert!(bad.stderr.starts_with("syncresync: "), "{}", bad.stderr);
    let help = env.syncresync(&["--help"]);
    help.ok().stdout_has("--quiet");
    std::fs::remove_file(env.path("/etc/arraysync/auth.conf")).expect("rm auth.conf");
    env.syncresync(&["-s", SVC])
        .code(2)
        .stderr_has("does not exist")
        .stderr_has(
            "syncresync: hint: create it from the template: install -m 600 etc-templates/auth.conf",
        );
}

// ----- -Xjson on the ACM status commands ------------------------------------------------

/// Eight pairs, each left in another status: none, tracking, snap, sync, equivalent,
/// replicated, failed, and a reverse (restore) snap.
fn every_status_world(env: &TestEnv) {
    dx::setup_box(env, "DX1", 0, "SV1");
    let mut devices = String::from("# test devices\n");
    for n in 0..16 {
        dx::add_volume(env, "DX1", n, 64, &[]);
        devices.push_str(&format!("/dev/hdisk{} DX1 {n} -\n", 10 + n));
    }
    env.write(DEVICES, &devices);
    dx::install_scripts(env, REPLICATION_SCRIPTS, CUSTOMIZED);
    let pair = |i: u32| format!("/dev/hdisk{} /dev/hdisk{}", 10 + 2 * i, 11 + 2 * i);
    for i in 0..8 {
        ok(env, &format!("swsrpsetvol {}", pair(i)));
    }
    // Pair 0 stays without a session.
    ok(env, &format!("swsrpmake -T {}", pair(1))); // tracking
    ok(env, &format!("swsrpstartsync {}", pair(4))); // equivalent
    ok(env, &format!("swsrpstartsync {}", pair(5))); // replicated
    ok(env, &format!("swsrpmake -T {}", pair(6))); // failed
    ok(env, &format!("swsrpmake {}", pair(7))); // restored below
    env.sim(&["clock", "advance", "1m"]);
    ok(env, &format!("swsrpmake {}", pair(5)));
    env.sim(&["eternus", "fail", "DX1", "12"]);
    // Slow copies: a snap, a sync and a restore in progress.
    env.sim(&["rate", "DX1", "1"]);
    ok(env, &format!("swsrpmake {}", pair(2)));
    ok(env, &format!("swsrpstartsync {}", pair(3)));
    ok(env, "swsrpmake /dev/hdisk25 /dev/hdisk24");
    env.sim(&["clock", "advance", "100s"]);
}

/// Every text row equals the JSON row's values, in the header's order.
fn assert_rows_agree(text: &str, json_text: &str, what: &str) {
    let json: serde_json::Value = serde_json::from_str(json_text)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{json_text}"));
    let rows = json
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not an array"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    let lines: Vec<&str> = lines.collect();
    assert_eq!(
        lines.len(),
        rows.len(),
        "{what}: row count\n{text}\n{json_text}"
    );
    for (line, row) in lines.iter().zip(rows) {
        let object = row.as_object().expect("object");
        assert_eq!(object.len(), header.len(), "{what}: fields of {row}");
        let values: Vec<&str> = header
            .iter()
            .map(|h| {
                object
                    .get(*h)
                    .and_then(|v| v.as_str())
                    .unwrap_or_else(|| panic!("{what}: no field {h} in {row}"))
            })
            .collect();
        assert_eq!(&values.join(" "), line, "{what}");
    }
}

#[test]
fn swsrpstat_xjson_agrees_with_the_text_row_for_row_over_every_status() {
    let env = TestEnv::new();
    every_status_world(&env);
    let text = ok(&env, "swsrpstat -Xall -O");
    for status in [
        "@SV1 ---- ---- ---- ",   // no session
        " regular ---- ---- on ", // QuickOPC tracking
        " regular snap ",
        " regular sync ",
        " regular equivalent 100% ",
        " regular replicated ",
        " regular failed(",
        " reverse snap ",
    ] {
        assert!(text.contains(status), "no{status}row in\n{text}");
    }
    for options in [
        "",
        "-L",
        "-Xdate",
        "-Xda",
        "-Xall",
        "-Xall -O",
        "-H",
        "-E",
        "-L /dev/hdisk14",
    ] {
        let text = ok(&env, &format!("swsrpstat {options}"));
        let json = ok(&env, &format!("swsrpstat -Xjson {options}"));
        assert_rows_agree(&text, &json, &format!("swsrpstat {options}"));
    }
    // The same pairs as metrics, through the strict text-format reader (no service here).
    let run = env.arraysync(&["--all", "print", "metrics"]);
    run.ok();
    let samples = parse_prometheus(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    let statuses: BTreeSet<&str> = samples
        .iter()
        .filter(|(n, _, _)| n == "arraysync_acm_pair_status")
        .filter_map(|(_, l, _)| l.get("status").map(String::as_str))
        .collect();
    for status in ["----", "snap", "sync", "equivalent", "replicated"] {
        assert!(statuses.contains(status), "{statuses:?}");
    }
    let snap = samples
        .iter()
        .find(|(n, l, _)| {
            n == "arraysync_acm_pair_copy_progress_ratio"
                && l.get("original").map(String::as_str) == Some("/dev/hdisk14@SV1")
        })
        .map(|(_, _, v)| *v)
        .unwrap_or_else(|| panic!("no progress of the snap\n{}", run.stdout));
    assert!(snap > 0.0 && snap < 1.0, "{snap}");
    // swsrpvolinfo: its two Size columns are keyed after the volume before them.
    let text = ok(&env, "swsrpvolinfo -L");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&env, "swsrpvolinfo -L -Xjson")).expect("json");
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), text.lines().count() - 1);
    for (line, row) in text.lines().skip(1).zip(rows) {
        let values: Vec<&str> = [
            "Server",
            "Original-Volume",
            "Size",
            "Replica-Volume",
            "Replica-Volume-Size",
            "Copy",
            "Op-Server",
            "Group",
        ]
        .iter()
        .map(|k| {
            row[*k]
                .as_str()
                .unwrap_or_else(|| panic!("no {k} in {row}"))
        })
        .collect();
        assert_eq!(values.join(" "), line);
    }
}

#[test]
fn a_run_waiting_for_the_service_lock_reports_its_progress() {
    let env = ibm_node();
    env.write(SETTINGS, "[log]\nstderr = \"info\"\n");
    env.set_keyword(SVC, "sync#1", "timeout", "20");
    env.hang("dscli", "resyncflash");
    let mut first = env.spawn_quiet(env!("CARGO_BIN_EXE_syncresync"), &["-s", SVC]);
    let lock = env.path(&format!("/var/lib/arraysync/lock/{SVC}.lock"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::fs::read_to_string(&lock).map_or(true, |t| !t.contains("pid")) {
        assert!(std::time::Instant::now() < deadline, "no lock taken");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = env.syncresync(&["-s", SVC, "--waitlock", "5"]);
    let _ = first.kill();
    let _ = first.wait();
    second.code(1);
    let lines: Vec<&str> = second
        .stderr
        .lines()
        .filter(|l| {
            l.contains(
                " - IISTSTIBMDS - INFO - still waiting for the lock of service iiststibmds, ",
            )
        })
        .collect();
    assert!(lines.len() >= 2, "{}", second.stderr);
    assert!(lines.iter().all(|l| l.ends_with("% of 5 s")), "{lines:?}");
    assert!(
        env.log(SVC).contains("still waiting for the lock"),
        "not in the action log"
    );
}

#[test]
fn a_nec_snapshot_wait_reports_its_progress() {
    let env = TestEnv::new();
    let root = env.root.display().to_string();
    env.sim(&["setup", "necism", "--root", root.as_str()]);
    env.sim(&[
        "necism",
        "state",
        "SOURCE_0002_SV0055",
        "snap/deleting",
        // Long enough for a poll past the 2 s progress threshold whatever the jitter of
        // the first two sleeps (1-2 s, then 2-4 s).
        "--for",
        "9s",
    ]);
    env.syncresync(&["-s", "iiststnec02"]).ok();
    let log = env.log("iiststnec02");
    let progress: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains(" SVs of BV:")
                && l.contains(" settled (still SV:SOURCE_0002_SV0055 snap/deleting), ")
        })
        .collect();
    assert!(!progress.is_empty(), "{log}");
    assert!(
        progress
            .iter()
            .all(|l| l.contains(" - IISTSTNEC02.SYNC#1 - INFO - ") && l.ends_with("% of 1200 s")),
        "{progress:#?}"
    );
}
