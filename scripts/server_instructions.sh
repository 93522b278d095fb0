#!/usr/bin/env bash
# Instructions per request of the real HTTP servers, counted by valgrind's
# callgrind while wrk drives them over loopback: the user-space cost of a
# whole request (hyper, the service, the dispatcher), exact where wall-clock
# load figures on a small shared machine are noisy. The kernel's share (the
# socket work, most of a small request's cost) is not counted.
#
# For every server x workload: start `load_server <server>` under callgrind,
# zero the counters once it answers, run wrk (one thread, CONN connections,
# DUR), dump the counters, and divide by the requests wrk completed.
#
# Environment (defaults):
#   SERVERS="hand ours ours_bare jsonrpsee"
#   WORKLOADS="add_positional add_named batch10 echo4k echo_owned4k sum1000 notification"
#   DUR=5s CONN=4 PORT=39700 (the first of one port per run) OUT=target/server-instructions (the table is also
#   written to $OUT/table.md)
#   LOAD_SERVER=path  (use this load_server binary instead of building one)
#
# Usage: scripts/server_instructions.sh
# Needs: valgrind, wrk, curl and jq (installed from Debian if missing).
set -euo pipefail

cd "$(dirname "$0")/.."

SERVERS=${SERVERS:-"hand ours ours_bare jsonrpsee"}
WORKLOADS=${WORKLOADS:-"add_positional add_named batch10 echo4k echo_owned4k sum1000 notification"}
DUR=${DUR:-5s}
CONN=${CONN:-4}
PORT=${PORT:-39700}
OUT=${OUT:-target/server-instructions}

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

need valgrind valgrind
need callgrind_control valgrind
need wrk wrk
need curl curl
need jq jq

mkdir -p "$OUT"
load_server_binary
EXE=$LOAD_SERVER_EXE

SERVER_PID=""
cleanup() {
    [[ -z "$SERVER_PID" ]] && return
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

TABLE="$OUT/table.md"
{
    printf '| server | %s |\n' "$(echo "$WORKLOADS" | sed 's/ / | /g')"
    printf '|---|%s\n' "$(for _ in $WORKLOADS; do printf -- '---:|'; done)"
} | tee "$TABLE"
run=0
for server in $SERVERS; do
    row="| $server |"
    for workload in $WORKLOADS; do
        # A port per run: the last server's port may still be held briefly after it exits.
        port=$((PORT + run))
        run=$((run + 1))
        out="$OUT/$server-$workload.callgrind"
        log="$OUT/$server-$workload.log"
        rm -f "$out" "$out".*
        ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" ||
            die "something already answers on 127.0.0.1:$port; set PORT"
        valgrind --tool=callgrind --callgrind-out-file="$out" "$EXE" "$server" "$port" >"$log" 2>&1 &
        SERVER_PID=$!
        ready=0
        for _ in $(seq 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $log)"
            if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
                ready=1
                break
            fi
            sleep 0.2
        done
        ((ready)) || die "the server did not answer within 30 s (see $log)"
        # The counters from here on: the requests only, not the start-up.
        callgrind_control -z "$SERVER_PID" >/dev/null || die "callgrind_control -z failed"
        result=$(wrk -t1 -c"$CONN" -d"$DUR" -s "scripts/load/$workload.lua" "http://127.0.0.1:$port/") ||
            die "wrk failed ($server, $workload)"
        # The first dump goes to "$out.1".
        callgrind_control -d "$SERVER_PID" >/dev/null || die "callgrind_control -d failed"
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        requests=$(awk '/requests in/ { print $1 }' <<<"$result")
        [[ -n "$requests" && "$requests" -gt 0 ]] || die "wrk completed no request ($server, $workload)"
        total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }') ||
            die "callgrind_annotate failed on $out.1"
        [[ -n "$total" ]] || die "no callgrind totals in $out.1"
        row="$row $((total / requests)) |"
        echo "  $server $workload: $requests requests, $total instructions" >&2
    done
    echo "$row" | tee -a "$TABLE"
done
echo "table: $TABLE" >&2
