#!/usr/bin/env bash
# User-space instructions per message of the WebSocket servers of
# tests/benches/ws_bench/servers/, counted by valgrind's callgrind while the
# generator drives them over loopback: exact where wall-clock figures on a
# small shared machine are noisy. The kernel's share (the socket work, most
# of a small message's cost) is not counted.
#
# For every server x workload: start `ws_bench server <server>` under
# callgrind; run the generator with WS_BENCH_CALLGRIND=1, which zeroes the
# server's counters where its measured window begins and dumps them where it
# ends (callgrind_control), and prints how many answers (or, for the
# fan-out, deliveries) came in between; divide.
#
# Environment (defaults):
#   SERVERS="floor ours jsonrpsee"
#   WORKLOADS="add_32x1 add_1x64 echo4k_32x1 batch10_32x1 fanout_2000"
#             (<add|echo4k|batch10>_<connections>x<in flight>, or fanout_<subscribers>)
#   DUR=5s FANOUT_ROUNDS=5 PORT=39900 (the first of one port per run)
#   OUT=target/ws-instructions (callgrind files, logs, table.md)
#   WS_BENCH=path (use this ws_bench binary instead of building one)
#
# Usage: scripts/ws_instructions.sh      e.g.  SERVERS="floor ours" WORKLOADS=add_1x64 scripts/ws_instructions.sh
set -euo pipefail

cd "$(dirname "$0")/.."

SERVERS=${SERVERS:-"floor ours jsonrpsee"}
WORKLOADS=${WORKLOADS:-"add_32x1 add_1x64 echo4k_32x1 batch10_32x1 fanout_2000"}
DUR=${DUR:-5s}
FANOUT_ROUNDS=${FANOUT_ROUNDS:-5}
PORT=${PORT:-39900}
OUT=${OUT:-target/ws-instructions}

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

need valgrind valgrind
need callgrind_control valgrind
need jq jq

[[ "$DUR" =~ ^[1-9][0-9]*s?$ ]] || die "DUR must be a whole number of seconds such as 5s, not '$DUR'"
DUR_S=${DUR%s}
for workload in $WORKLOADS; do
    [[ "$workload" =~ ^((add|echo4k|batch10)_[1-9][0-9]*x[1-9][0-9]*|fanout_[1-9][0-9]*)$ ]] ||
        die "workload '$workload' is not <add|echo4k|batch10>_<connections>x<in flight> or fanout_<subscribers>"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mkdir -p "$OUT"
OUT=$(realpath "$OUT")
bench_binary ws_bench WS_BENCH
EXE=$BENCH_EXE

SERVER_PID=""
cleanup() {
    [[ -z "$SERVER_PID" ]] && return
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap cleanup EXIT

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

TABLE="$OUT/table.md"
{
    echo "User-space instructions per answer (a batch of 10 is one answer) or per delivered message (fanout), callgrind:"
    echo
    printf '| server | %s |\n' "$(echo "$WORKLOADS" | sed 's/ / | /g')"
    printf '|---|%s\n' "$(for _ in $WORKLOADS; do printf -- '---:|'; done)"
} | tee "$TABLE"
run=0
for server in $SERVERS; do
    row="| $server |"
    for workload in $WORKLOADS; do
        port=$((PORT + run))
        run=$((run + 1))
        out="$OUT/$server-$workload.callgrind"
        log="$OUT/$server-$workload.log"
        rm -f "$out" "$out".*
        ! listening "$port" || die "something already listens on 127.0.0.1:$port; set PORT"
        valgrind --tool=callgrind --callgrind-out-file="$out" "$EXE" server "$server" "$port" >"$log" 2>&1 &
        SERVER_PID=$!
        ready=0
        for _ in $(seq 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $log)"
            if listening "$port"; then
                ready=1
                break
            fi
            sleep 0.2
        done
        ((ready)) || die "the server did not listen within 30 s (see $log)"
        url="ws://127.0.0.1:$port/"
        if [[ "$workload" == fanout_* ]]; then
            result=$(WS_BENCH_CALLGRIND=1 "$EXE" fanout "$url" "${workload#fanout_}" "$FANOUT_ROUNDS" "$SERVER_PID" 2>&1) ||
                die "the generator failed ($server, $workload): $result"
        else
            kind=${workload%_*} shape=${workload##*_}
            result=$(WS_BENCH_CALLGRIND=1 "$EXE" load "$url" "$kind" "${shape%x*}" "${shape#*x}" "$DUR_S" "$SERVER_PID" 2>&1) ||
                die "the generator failed ($server, $workload): $result"
        fi
        cleanup
        messages=$(awk '/^CALLGRIND_WINDOW / { split($2, p, "="); print p[2] }' <<<"$result")
        [[ -n "$messages" && "$messages" -gt 0 ]] || die "no message in the window ($server, $workload): $result"
        total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }') ||
            die "callgrind_annotate failed on $out.1"
        [[ -n "$total" ]] || die "no callgrind totals in $out.1"
        row="$row $((total / messages)) |"
        log "  $server $workload: $messages messages, $total instructions"
    done
    echo "$row" | tee -a "$TABLE"
done
log "table: $TABLE; profiles: $OUT/*.callgrind.1 (callgrind_annotate)"
