//! The README's shell code blocks, run verbatim in order in one fresh shell, as a reader
//! pasting them would: in a scratch directory whose `target/debug` holds the binaries
//! under test and whose `demo-root` does not exist yet.
//!
//! Blocks are found by parsing README.md, so a walkthrough added later is covered without
//! touching this test. Not run: a block whose fence is preceded by
//! `<!-- readme-test: skip -->` (commands that install on the host, or a reference list
//! with no setup before it), and the demo and the test command themselves (blocks running
//! `scripts/demo` or `cargo test`).
//!
//! Every command must exit 0, unless its comment says `exit N`: then it must exit N.

use std::path::PathBuf;
use std::process::Command;

mod support {
    pub mod arraysim;
}
use support::arraysim::arraysim_bin;

const SKIP_MARKER: &str = "<!-- readme-test: skip -->";

/// A ```sh block: the README line number of its first line, and its lines.
#[derive(Debug)]
struct Block {
    first_line: usize,
    lines: Vec<String>,
}

enum State {
    Outside { skip_next: bool },
    InRunnable(Block),
    InOther,
}

/// The runnable shell blocks of a README, in order.
fn shell_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut state = State::Outside { skip_next: false };
    for (index, line) in readme.lines().enumerate() {
        let trimmed = line.trim();
        state = match state {
            State::InRunnable(mut block) => {
                if trimmed == "```" {
                    blocks.push(block);
                    State::Outside { skip_next: false }
                } else {
                    block.lines.push(line.to_string());
                    State::InRunnable(block)
                }
            }
            State::InOther if trimmed == "```" => State::Outside { skip_next: false },
            State::InOther => State::InOther,
            State::Outside { skip_next } => {
                if trimmed == SKIP_MARKER {
                    State::Outside { skip_next: true }
                } else if let Some(lang) = trimmed.strip_prefix("```") {
                    if matches!(lang.trim(), "sh" | "bash" | "shell") && !skip_next {
                        State::InRunnable(Block {
                            first_line: index + 2,
                            lines: Vec::new(),
                        })
                    } else {
                        State::InOther
                    }
                } else {
                    State::Outside {
                        skip_next: skip_next && trimmed.is_empty(),
                    }
                }
            }
        };
    }
    blocks
        .into_iter()
        .filter(|b| !runs_demo_or_tests(b))
        .collect()
}

fn runs_demo_or_tests(block: &Block) -> bool {
    block.lines.iter().any(|l| {
        let l = l.trim_start();
        l.starts_with("scripts/demo") || l.starts_with("cargo test")
    })
}

/// The exit code a command's comment announces (`... exit 1`), 0 otherwise.
fn expected_exit(command: &str) -> i32 {
    let Some((_, comment)) = command.split_once(" # ") else {
        return 0;
    };
    let words: Vec<&str> = comment
        .split(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == '(')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find(|w| w[0] == "exit")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(0)
}

/// The script: each block's commands verbatim, each followed by a check of its exit code
/// naming its README line. Continuation lines (`\`) stay with their command.
fn script(blocks: &[Block]) -> String {
    let mut out = String::from(
        "__check() { if [ \"$3\" != \"$2\" ]; then echo \"README.md line $1: exit $3, expected $2\" >&2; exit 1; fi; }\n",
    );
    for block in blocks {
        let mut command = String::new();
        let mut start = 0;
        for (offset, line) in block.lines.iter().enumerate() {
            if command.is_empty() {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                start = block.first_line + offset;
            }
            command.push_str(line);
            command.push('\n');
            if line.trim_end().ends_with('\\') {
                continue;
            }
            let expect = expected_exit(&command.replace("\\\n", " "));
            out.push_str(&format!(
                "echo \"+ [README.md:{start}] {}\" >&2\n",
                shell_quote_free(&command)
            ));
            out.push_str(&command);
            out.push_str(&format!("__check {start} {expect} $?\n"));
            command.clear();
        }
        assert!(
            command.is_empty(),
            "README.md line {}: block ends in a continuation line",
            block.first_line
        );
    }
    out
}

/// The command's first line, made safe to echo inside double quotes.
fn shell_quote_free(command: &str) -> String {
    command
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, '"' | '$' | '`' | '\\'))
        .collect()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory laid out as a checkout for the walkthroughs: `target/debug` with
/// the binaries under test, the repository's files the README refers to, no demo-root.
fn scratch_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let bins = arraysim_bin().parent().expect("bin dir").to_path_buf();
    std::fs::create_dir_all(dir.path().join("target")).expect("mkdir target");
    std::os::unix::fs::symlink(&bins, dir.path().join("target/debug")).expect("symlink");
    for entry in ["etc-templates", "scripts", "docs", "README.md"] {
        std::os::unix::fs::symlink(repo().join(entry), dir.path().join(entry)).expect("symlink");
    }
    dir
}

#[test]
fn readme_walkthroughs_run_verbatim_in_order() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let blocks = shell_blocks(&readme);
    assert!(
        blocks.len() >= 4,
        "expected the walkthrough blocks, found {}",
        blocks.len()
    );
    let dir = scratch_checkout();
    let script = script(&blocks);
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env_remove("ARRAYSYNC_ROOT")
        .env_remove("ARRAYSYNC_ETC")
        .env_remove("ARRAYSYNC_VAR")
        .env_remove("ARRAYSIM_STATE");
    let output = command.output().expect("run bash");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a README command failed:\n{}\n--- stdout ---\n{}",
        stderr,
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn blocks_are_parsed_with_their_markers() {
    let readme = "intro\n\n```sh\necho one\n```\n\n<!-- readme-test: skip -->\n```sh\nrm -rf /\n```\n\n```text\nnot shell\n```\n\n```sh\ncargo test --workspace\n```\n\n```bash\nfalse   # refused, exit 1\ntrue \\\n  --x\n```\n";
    let blocks = shell_blocks(readme);
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert_eq!(blocks[0].lines, vec!["echo one"]);
    assert_eq!(blocks[0].first_line, 4);
    let script = script(&blocks);
    assert!(script.contains("echo one\n__check 4 0 $?\n"), "{script}");
    assert!(
        script.contains("false   # refused, exit 1\n__check 21 1 $?\n"),
        "{script}"
    );
    assert!(
        script.contains("true \\\n  --x\n__check 22 0 $?\n"),
        "{script}"
    );
    assert!(!script.contains("rm -rf"));
}

#[test]
fn announced_exit_codes_are_read_from_comments() {
    assert_eq!(expected_exit("check   # WARNING: older than 1d, exit 1"), 1);
    assert_eq!(expected_exit("x # refused (exit 3)"), 3);
    assert_eq!(expected_exit("x # up: exit codes documented elsewhere"), 0);
    assert_eq!(expected_exit("x"), 0);
}
