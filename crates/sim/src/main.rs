//! `arraysim`: dispatches on `argv[0]` (see the library docs).

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    std::process::exit(arraysync_sim::main_with_args(argv));
}
