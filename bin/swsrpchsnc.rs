//! `swsrpchsnc`: the manual's other name of swsrpchsync (arraysync_acm::swsrpchsync).

fn main() {
    std::process::exit(arraysync_acm::main(
        arraysync_acm::swsrpchsync::alias_spec(),
        arraysync_acm::swsrpchsync::run,
    ));
}
