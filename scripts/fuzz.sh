#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo-fuzz (libFuzzer, nightly toolchain):
# runs every target of fuzz/fuzz_targets for SECONDS each (default 60),
# from the checked-in seeds of fuzz/corpus/<target> with the dictionary
# fuzz/jsonrpc.dict, and prints one line of figures per target.
#
# Usage: scripts/fuzz.sh [seconds] [target...]
#   FUZZ_RUNS=N          stop each target after N executions instead (with seconds as a cap)
#   FUZZ_OUT=dir         where the growing corpora, logs and crashes go (default target/fuzz)
#   FUZZ_SANITIZER=none  or address (slower; finds memory errors in C dependencies)
#   FUZZ_SEED=N          libFuzzer's random seed (default: a new one each run); with
#                        a fixed seed and a fresh FUZZ_OUT a run tries the same inputs
#                        in the same order, so a failure can be replayed exactly
#
# What the fuzzer adds to a corpus stays in $FUZZ_OUT/corpus/<target>, not
# in the repository. A crash stops its target, leaves the input in
# fuzz/artifacts/<target>/, prints how to reproduce it, and fails the script:
# turn the input into a regular test. Installs cargo-fuzz (and the nightly
# toolchain) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

SECONDS_EACH=${1:-60}
shift || true
OUT=${FUZZ_OUT:-target/fuzz}
SANITIZER=${FUZZ_SANITIZER:-none}
TARGETS=${*:-"message params client http websocket"}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz

mkdir -p "$OUT"
OUT=$(realpath "$OUT")
log "building the fuzz targets (nightly, sanitizer: $SANITIZER)"
(cd fuzz && cargo +nightly fuzz build --sanitizer "$SANITIZER" >"$OUT/build.log" 2>&1) ||
    { tail -n 30 "$OUT/build.log" >&2; die "the fuzz targets did not build (see $OUT/build.log)"; }

failed=0
printf '| target | executions | seconds | exec/s | coverage (edges) | features | corpus | crashes |\n|---|---:|---:|---:|---:|---:|---:|---:|\n'
for target in $TARGETS; do
    corpus="$OUT/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    runs=()
    [[ -n "${FUZZ_RUNS:-}" ]] && runs=(-runs="$FUZZ_RUNS")
    [[ -n "${FUZZ_SEED:-}" ]] && runs+=(-seed="$FUZZ_SEED")
    started=$(date +%s%N)
    status=0
    # The growing corpus first (new inputs go there), the seeds second.
    (cd fuzz && cargo +nightly fuzz run --sanitizer "$SANITIZER" "$target" \
        "$corpus" "corpus/$target" -- \
        -dict=jsonrpc.dict -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -timeout=30 -rss_limit_mb=4096 "${runs[@]}") >"$OUT/$target.log" 2>&1 || status=$?
    elapsed_ms=$((($(date +%s%N) - started) / 1000000))
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$target.log" | grep -o '[0-9]*$' || echo 0)
    last=$(grep -E '^#[0-9]+' "$OUT/$target.log" | tail -n 1)
    coverage=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
    features=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
    corpus_size=$(find "$corpus" -type f | wc -l)
    crashes=0
    if [[ $status != 0 ]]; then
        crashes=1
        failed=1
        log "$target: FAILED (exit $status); the input is in fuzz/artifacts/$target/:"
        grep -E 'panicked|ERROR|SUMMARY|Test unit written|cargo fuzz run' "$OUT/$target.log" | head -n 12 >&2 || true
    fi
    rate=$((executions * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1)))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$target" "$executions" "$((elapsed_ms / 1000))" "$rate" "$coverage" "$features" "$corpus_size" "$crashes"
done
exit "$failed"
