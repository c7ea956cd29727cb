//! `arraysync-gen man DIR | completions DIR`: writes the man pages and shell completion
//! scripts that scripts/install installs (a build tool; not installed itself).
fn main() {
    std::process::exit(arraysync::docgen::main());
}
