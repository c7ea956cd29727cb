//! `swsrp-remote`: see arraysync_acm::remote_agent (the remote agent, not an operator command).

fn main() {
    std::process::exit(arraysync_acm::remote_agent::main());
}
