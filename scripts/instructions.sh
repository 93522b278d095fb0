#!/usr/bin/env bash
# Instructions per request for each JSON-RPC implementation and request body,
# counted with valgrind's callgrind (exact and repeatable, unlike wall time on
# a small shared machine).
#
# For every implementation x case the `instructions` bench binary runs the
# request LOW and HIGH times under callgrind; set-up costs the same in both
# runs, so (I(HIGH) - I(LOW)) / (HIGH - LOW) is the cost of one request.
#
# Usage: scripts/instructions.sh            (from anywhere in the workspace)
# Environment: LOW (default 1000), HIGH (default 11000).
# Needs: cargo, valgrind (Debian/Ubuntu: sudo apt-get install valgrind).

set -euo pipefail

LOW=${LOW:-1000}
HIGH=${HIGH:-11000}
IMPLS=(floor ours macro jsonrpsee jsonrpsee_http)
CASES=(add_positional add_named batch10 echo4k echo_owned4k sum1000)

die() {
    echo "instructions.sh: $*" >&2
    exit 1
}

command -v cargo >/dev/null 2>&1 || die "cargo not found (https://rustup.rs)"
command -v valgrind >/dev/null 2>&1 ||
    die "valgrind not found; install it first, e.g. 'sudo apt-get install valgrind' (Debian/Ubuntu)"
[ "$HIGH" -gt "$LOW" ] || die "HIGH ($HIGH) must be greater than LOW ($LOW)"

cd "$(dirname "$0")/.."

# Build, and find the executable in cargo's JSON messages (one per line; no jq needed).
echo "building the instructions bench..." >&2
exe=$(
    cargo bench -p tests --bench instructions --no-run --message-format=json |
        grep '"reason":"compiler-artifact"' |
        grep '"name":"instructions"' |
        grep -o '"executable":"[^"]*"' |
        tail -n 1 |
        sed -e 's/^"executable":"//' -e 's/"$//'
) || true
[ -n "$exe" ] && [ -x "$exe" ] || die "could not find the instructions bench executable in cargo's output"
echo "executable: $exe" >&2

# Total instructions of one run: valgrind's "==pid== Collected : N" line.
count() {
    local output total
    output=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" "$@" 2>&1) ||
        die "run failed: $exe $*"$'\n'"$(printf '%s\n' "$output" | tail -n 20)"
    total=$(printf '%s\n' "$output" | sed -n 's/^==[0-9]*== Collected : \([0-9][0-9]*\)$/\1/p' | tail -n 1)
    [ -n "$total" ] || die "no 'Collected' line from valgrind for: $*"
    printf '%s\n' "$total"
}

declare -A per_request
for case in "${CASES[@]}"; do
    for impl in "${IMPLS[@]}"; do
        low=$(count "$impl" "$case" "$LOW")
        high=$(count "$impl" "$case" "$HIGH")
        per_request[$impl/$case]=$(((high - low) / (HIGH - LOW)))
        echo "  $case/$impl: ${per_request[$impl/$case]} instructions/request" >&2
    done
done

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

echo
echo "Instructions per request (callgrind, (I($HIGH) - I($LOW)) / $((HIGH - LOW))):"
echo
echo "| case | floor | ours | macro | jsonrpsee | ours/floor | macro/floor | jsonrpsee/floor |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for case in "${CASES[@]}"; do
    floor=${per_request[floor/$case]}
    ours=${per_request[ours/$case]}
    macro=${per_request[macro/$case]}
    jsonrpsee=${per_request[jsonrpsee/$case]}
    echo "| $case | $floor | $ours | $macro | $jsonrpsee | $(ratio "$ours" "$floor") | $(ratio "$macro" "$floor") | $(ratio "$jsonrpsee" "$floor") |"
done
echo
echo "ours: methods written against rpc-core's Router API; macro: the same methods as plain Rust methods under #[rpc]."
echo "jsonrpsee: RpcModule::raw_json_request for single calls; batch10 through its HTTP service"
echo "(it has no in-process batch API). For comparison, every case through that HTTP service:"
echo
echo "| case | jsonrpsee_http | jsonrpsee_http/floor |"
echo "|---|---:|---:|"
for case in "${CASES[@]}"; do
    http=${per_request[jsonrpsee_http/$case]}
    echo "| $case | $http | $(ratio "$http" "${per_request[floor/$case]}") |"
done
