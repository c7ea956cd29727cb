//! `arraysync -s SVC <action>`: see `arraysync --help`.
fn main() {
    std::process::exit(arraysync::cli::arraysync_main());
}
