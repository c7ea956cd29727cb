//! Every parser, one libFuzzer target: the first byte picks the parser
//! (`arraysync::fuzz::TARGETS`), the rest is its input. Seed it with `tests/fuzz-corpus`
//! (scripts: see fuzz/Cargo.toml).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((pick, input)) = data.split_first() {
        let targets = arraysync::fuzz::TARGETS;
        arraysync::fuzz::run(targets[usize::from(*pick) % targets.len()], input);
    }
});
