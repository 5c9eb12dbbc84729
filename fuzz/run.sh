#!/usr/bin/env bash
# Runs the ROOT-file fuzz target for a bounded time (default 60 s), seeded with small real
# files from ../shared/data. Uses cargo-fuzz's flags through plain cargo, so stable Rust
# suffices and nothing needs installing; `cargo fuzz run root_file` works too where
# cargo-fuzz and nightly are available.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shared=${HEPFUSION_SHARED:-../../shared/data}
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
# Its own directory: the coverage flags must not mix with the main build.
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
# With an explicit --target, RUSTFLAGS reach only the target code, not build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --bin root_file --target "$host"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for f in uproot-HZZ.root uproot-HZZ-lz4.root uproot-HZZ-zstd.root uproot-Zmumu.root uproot-small-evnt-tree-fullsplit.root \
         uproot-small-dy-nooffsets.root uproot-leaflist.root uproot-demo-double32.root uproot-sample-6.20.04-lzma.root; do
    [ -f "$shared/skhep-testdata/$f" ] && cp "$shared/skhep-testdata/$f" "$corpus/"
done
mkdir -p artifacts
# A fixed seed makes the run in the test suite repeatable (the same inputs every time, as far
# as the time allows); set FUZZ_SEED to explore further.
"$CARGO_TARGET_DIR/$host/release/root_file" "$corpus" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=400000 \
    -artifact_prefix=artifacts/ -print_final_stats=1
