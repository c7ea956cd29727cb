//! The bounded fuzz pass that CI runs (docs/hardening.md, "Fuzzing"): every target of
//! `arraysync::fuzz` replays its committed corpus (`tests/fuzz-corpus/<target>/`), then runs
//! mutations of it (bit flips, byte insertions and deletions, splices, truncations, line
//! duplication). A panic fails the test and saves the input under
//! `target/fuzz-failures/<target>/`. `ARRAYSYNC_FUZZ_CASES` (default 3000 per target) and
//! `ARRAYSYNC_FUZZ_SEED` make it a longer or reproducible run; the coverage-guided campaign
//! lives in `fuzz/` (cargo-fuzz).

use std::path::{Path, PathBuf};

/// xorshift64*: reproducible from the seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that matter to the parsers: separators, brackets, digits, sign, CR/LF, UTF-8.
const INTERESTING: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b",",
    b":",
    b"=",
    b"[",
    b"]",
    b"#",
    b";",
    b"-",
    b"--------",
    b" ",
    b"\t",
    b"0",
    b"9",
    b"18446744073709551616",
    b"-1",
    b"%",
    b"/",
    b"<",
    b">",
    b"\"",
    b"\xc3\xa9",
    b"\xff",
    b"\0",
    b"Error:",
    b"CLI>",
    b"copied",
    b"snap/active",
];

fn mutate(rng: &mut Rng, seed: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                data.splice(at..at, piece.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 => data.truncate(at),
            4 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(256)).min(other.len());
                data.splice(at..at, other[from..to].iter().copied());
            }
            5 => {
                // Duplicate a line (long tables, repeated keys).
                let text = data.clone();
                let line: Vec<u8> = text
                    .split(|b| *b == b'\n')
                    .nth(rng.below(8))
                    .unwrap_or_default()
                    .to_vec();
                data.splice(at..at, line.into_iter().chain([b'\n']));
            }
            _ => {
                let byte = rng.next() as u8;
                data.insert(at, byte);
            }
        }
    }
    data
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
}

fn save_failure(target: &str, data: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/fuzz-failures")
        .join(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("crash-{}", data.len()));
    let _ = std::fs::write(&path, data);
    path
}

fn run_one(target: &str, data: &[u8]) {
    let result = std::panic::catch_unwind(|| arraysync::fuzz::run(target, data));
    match result {
        Ok(true) => {}
        Ok(false) => panic!("unknown fuzz target {target}"),
        Err(_) => panic!(
            "fuzz target {target} panicked on {:?} (saved to {})",
            String::from_utf8_lossy(data),
            save_failure(target, data).display()
        ),
    }
}

#[test]
fn every_target_has_a_corpus() {
    for target in arraysync::fuzz::TARGETS {
        assert!(!corpus(target).is_empty(), "no corpus for {target}");
    }
}

#[test]
fn corpus_replay_and_bounded_mutation_pass() {
    let cases: usize = std::env::var("ARRAYSYNC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seed: u64 = std::env::var("ARRAYSYNC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0005_eed0_fa55);
    let mut total = 0usize;
    for (index, target) in arraysync::fuzz::TARGETS.iter().enumerate() {
        let corpus = corpus(target);
        for input in &corpus {
            run_one(target, input);
            total += 1;
        }
        let mut rng = Rng((seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1);
        let mut pool = corpus.clone();
        for case in 0..cases {
            let base = pool[rng.below(pool.len())].clone();
            let input = mutate(&mut rng, &base, &corpus);
            run_one(target, &input);
            total += 1;
            // Keep some mutants as seeds: deeper changes over the run.
            if case % 16 == 0 && pool.len() < 256 {
                pool.push(input);
            }
        }
    }
    println!("fuzz: {total} inputs, 0 panics");
}
