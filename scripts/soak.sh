#!/usr/bin/env bash
# A soak with bad input mixed in: the `soak` server of
# tests/benches/load_server.rs (rpc_http::Server with its production
# defaults, the benchmark's `add`/`echo`, a method that panics, and its
# statistics) on one core, for MINUTES (default 10):
#
#   - a well-behaved client: wrk, one thread, CONN connections, `add` calls,
#     in one-minute runs (so each minute has its own latency percentiles);
#   - a bad client (scripts/soak/bad_client.py) on fresh connections:
#     invalid JSON, invalid requests, unknown and panicking methods, deeply
#     nested bodies, bodies over the size limit (claimed and sent), wrong
#     content types, and clients that disconnect mid-body. Each kind must
#     get its one expected answer.
#
# Recorded: requests served, answers by kind (expected and not), the
# server's RSS at the start, after the first minute and at the end (growth
# after that first minute must stay under 5%), its open file descriptors
# at the start and at the end (must be equal), and the well-behaved
# client's p99 latency in the first and the last minute. The report goes
# to $OUT/report.md; the script fails if a check fails.
#
# Environment (defaults): CONN=16 PORT=39600 SERVER_CPU=0 LOAD_CPU=1 OUT=target/soak
#   LOAD_SERVER=path  (use this load_server binary instead of building one)
#
# Usage: scripts/soak.sh [minutes]
# Needs: wrk, curl, jq, taskset, python3 (the first four installed from Debian if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${1:-10}
CONN=${CONN:-16}
PORT=${PORT:-39600}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-target/soak}

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
need wrk wrk
need curl curl
need jq jq
need taskset util-linux
command -v python3 >/dev/null || die "python3 is needed for the bad client"

mkdir -p "$OUT"
load_server_binary
EXE=$LOAD_SERVER_EXE
URL="http://127.0.0.1:$PORT/"

SERVER_PID=""
BAD_PID=""
cleanup() {
    [[ -n "$BAD_PID" ]] && kill "$BAD_PID" 2>/dev/null || true
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
fds() { find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }

! curl -s -o /dev/null --max-time 1 "$URL" || die "something already answers on $URL; set PORT"
taskset -c "$SERVER_CPU" "$EXE" soak "$PORT" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "$URL" && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $OUT/server.log)"
    sleep 0.1
done
sleep 1
FDS_START=$(fds)
RSS_START=$(rss_kib)
log "soak: $MINUTES minute(s) against $URL (server pid $SERVER_PID, core $SERVER_CPU); RSS $RSS_START KiB, $FDS_START fds"

taskset -c "$LOAD_CPU" python3 scripts/soak/bad_client.py "$PORT" "$((MINUTES * 60))" "$OUT/bad.json" &
BAD_PID=$!

: >"$OUT/minutes.txt"
RSS_MINUTE1=""
for minute in $(seq "$MINUTES"); do
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONN" -d60s -s scripts/load/add_positional.lua "$URL" >"$OUT/wrk-$minute.txt" 2>&1 ||
        die "wrk failed in minute $minute (see $OUT/wrk-$minute.txt)"
    result=$(grep '^LOAD_RESULT' "$OUT/wrk-$minute.txt") || die "no result from wrk in minute $minute"
    echo "minute=$minute rss_kib=$(rss_kib) fds=$(fds) $result" | tee -a "$OUT/minutes.txt" >&2
    [[ $minute == 1 ]] && RSS_MINUTE1=$(rss_kib)
done
wait "$BAD_PID" || die "the bad client failed"
BAD_PID=""
# Let the last connections close.
sleep 2
RSS_END=$(rss_kib)
FDS_END=$(fds)
curl -s "$URL" -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","method":"server.stats","id":1}' >"$OUT/stats.json"

field() { grep -o "$1=[0-9]*" <<<"$2" | cut -d= -f2; }
first=$(head -n 1 "$OUT/minutes.txt")
last=$(tail -n 1 "$OUT/minutes.txt")
wrk_requests=0
wrk_errors=0
while read -r line; do
    wrk_requests=$((wrk_requests + $(field requests "$line")))
    for kind in non2xx connect read write timeout; do
        wrk_errors=$((wrk_errors + $(field "$kind" "$line")))
    done
done <"$OUT/minutes.txt"
bad_sent=$(jq '[.sent[]] | add' "$OUT/bad.json")
bad_unexpected=$(jq '[.unexpected[][]] | add // 0' "$OUT/bad.json")
growth=$(awk -v a="$RSS_MINUTE1" -v b="$RSS_END" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
served=$(jq '.result.requests.total' "$OUT/stats.json")

{
    echo "## Soak: $MINUTES minutes, $(date -u +%Y-%m-%d)"
    echo
    echo "| figure | value |"
    echo "|---|---:|"
    echo "| requests the server served (its own count) | $served |"
    echo "| connections it accepted | $(jq .result.connections.total "$OUT/stats.json") |"
    echo "| well-behaved calls (wrk, $CONN connections) | $wrk_requests |"
    echo "| their errors (non-2xx, socket errors, timeouts) | $wrk_errors |"
    echo "| bad requests sent | $bad_sent |"
    echo "| bad requests answered other than expected | $bad_unexpected |"
    echo "| RSS at start / after 1 min / at end (KiB) | $RSS_START / $RSS_MINUTE1 / $RSS_END |"
    echo "| RSS growth after the first minute | $growth % |"
    echo "| open fds at start / at end | $FDS_START / $FDS_END |"
    echo "| p99 latency, first / last minute (µs) | $(field p99_us "$first") / $(field p99_us "$last") |"
    echo "| p50 latency, first / last minute (µs) | $(field p50_us "$first") / $(field p50_us "$last") |"
    echo
    echo "Bad input, by kind (sent / answered as expected):"
    echo
    echo "| kind | expected answer | sent | as expected |"
    echo "|---|---|---:|---:|"
    jq -r '.sent | keys[]' "$OUT/bad.json" | while read -r kind; do
        expected=$(grep -o "(\"$kind\", \"[^\"]*\"" scripts/soak/bad_client.py | cut -d'"' -f4)
        echo "| $kind | $expected | $(jq ".sent.$kind" "$OUT/bad.json") | $(jq ".expected.$kind // 0" "$OUT/bad.json") |"
    done
    echo
    echo "RSS (KiB) and open fds after each minute: $(awk '{ sub("minute=", ""); sub("rss_kib=", ""); sub("fds=", ""); printf "%s: %s/%s  ", $1, $2, $3 }' "$OUT/minutes.txt")"
    echo
    echo "Per method (the server's statistics): $(jq -c '[.result.methods[] | {name, calls, errors}]' "$OUT/stats.json")"
} | tee "$OUT/report.md"

failed=0
[[ $wrk_errors == 0 ]] || { log "FAIL: the well-behaved client saw $wrk_errors errors"; failed=1; }
[[ $bad_unexpected == 0 ]] || { log "FAIL: unexpected answers: $(jq -c .unexpected "$OUT/bad.json")"; failed=1; }
awk -v g="$growth" 'BEGIN { exit !(g < 5) }' || { log "FAIL: RSS grew $growth% after the first minute"; failed=1; }
[[ $FDS_END == "$FDS_START" ]] || { log "FAIL: $FDS_END fds open at the end, $FDS_START at the start"; failed=1; }
exit "$failed"
