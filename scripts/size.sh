#!/usr/bin/env bash
# Binary size and idle memory of a three-method service (add, echo, sum):
# ours with no optional feature, with the defaults, and with every codec,
# against a hand-written hyper + serde_json server (scripts/size-probe/).
# Release builds, stripped; memory from /proc/<pid>/smaps_rollup one second
# after start.
#
# Usage: scripts/size.sh
set -euo pipefail
cd "$(dirname "$0")/size-probe"
export CARGO_TARGET_DIR="$PWD/../../target/size-probe"
out="$CARGO_TARGET_DIR/bins"
mkdir -p "$out"

build() { # name, features
    cargo build --release --quiet --features "$2"
    strip -o "$out/$1" "$CARGO_TARGET_DIR/release/ours"
}
build ours_bare ""
build ours_default "default_features"
build ours_all_codecs "all_codecs"
strip -o "$out/hand" "$CARGO_TARGET_DIR/release/hand"

printf '| build | binary (stripped) | RSS idle | private (anonymous) |\n|---|---:|---:|---:|\n'
for name in hand ours_bare ours_default ours_all_codecs; do
    "$out/$name" 0 >/dev/null &
    pid=$!
    sleep 1
    rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
    anon=$(awk '/^Anonymous:/ {print $2}' "/proc/$pid/smaps_rollup")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    size=$(stat -c %s "$out/$name")
    printf '| %s | %.2f MB | %.1f MB | %d KB |\n' "$name" "$(echo "$size/1000000" | bc -l)" "$(echo "$rss/1024" | bc -l)" "$anon"
done
