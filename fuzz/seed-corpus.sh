#!/usr/bin/env bash
# Seeds fuzz/corpus/parsers from tests/fuzz-corpus: each file prefixed with the index of
# its target in arraysync::fuzz::TARGETS (the byte the `parsers` target dispatches on).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=$(sed -n '/^pub const TARGETS/,/^];/p' src/fuzz.rs | grep -o '"[a-z_]*"' | tr -d '"')
out=fuzz/corpus/parsers
mkdir -p "$out"
i=0
for t in $targets; do
    for f in tests/fuzz-corpus/"$t"/*; do
        { printf "\\$(printf '%03o' "$i")"; cat "$f"; } > "$out/$t-$(basename "$f")"
    done
    i=$((i + 1))
done
echo "seeded $(ls "$out" | wc -l) inputs in $out"
