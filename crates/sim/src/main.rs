//! `arraysim`: dispatches on `argv[0]` (see the library docs).

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if argv.len() == 2 && argv[1] == "--version" && arraysync_sim::prog_name(&argv[0]) == "arraysim"
    {
        let commit = env!("ARRAYSYNC_COMMIT");
        println!("arraysim {} (commit {commit})", env!("CARGO_PKG_VERSION"));
        std::process::exit(0);
    }
    std::process::exit(arraysync_sim::main_with_args(argv));
}
