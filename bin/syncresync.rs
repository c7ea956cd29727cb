//! `syncresync -s SVC [--force]`: the resync action, for cron lines.
fn main() {
    std::process::exit(arraysync::cli::syncresync_main());
}
