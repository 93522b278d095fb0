#!/usr/bin/env bash
# Head-to-head load test: the hand-written server (or another BASE) and one other server at the
# same time, on the same core, each driven by its own wrk on the other core.
#
# scripts/load.sh runs one server at a time. On a shared 2-core machine the
# speed of the core moves by 10% and more from one run to the next (other
# tenants, frequency changes), which buries a 5% difference between servers.
# Here whatever happens to the core happens to both servers at once: the
# kernel gives the two busy single-threaded servers about half of it each,
# and the ratio of their request rates is the ratio of their costs per
# request, within a percent or two from round to round.
#
# Every round starts both servers (tests/benches/load_server.rs, on PORT and
# PORT+1), starts both wrk runs together, and records each server's req/s and
# CPU time (utime+stime from /proc over the run). Rounds alternate which
# server is started and driven first. The report gives, per workload and
# server, the median over the rounds of its req/s over BASE's in the same
# round (min and max beside it), and the same ratio per CPU second, which
# holds even when the core's time is not split evenly. A round counts only
# when the two servers together kept the core busy (SATURATED percent) and
# wrk saw no error answers and no socket errors. scripts/load.sh checks the
# answers themselves.
#
# Environment (defaults):
#   ROUNDS=6 DUR=5s CONN=32 PORT=39500 SERVER_CPU=0 LOAD_CPU=1 SATURATED=90
#   SERVERS="ours ours_bare jsonrpsee"   (each against BASE; also hand_router:
#                                         hand's HTTP with the #[rpc] router, and
#                                         hand_service: hand's HTTP serving
#                                         rpc-http's RpcService)
#   BASE=hand   (the server every other one is paired with. BASE=hand_service
#               SERVERS=ours pairs rpc-http's server with its own service
#               behind hand's accept loop and hyper connections: the two
#               differ only in the server's connection layer)
#   WORKLOADS="add_positional add_named batch10 echo4k echo_owned4k sum1000 notification"
#   OUT=target/duel   (raw results and report.md)
#   LOAD_SERVER=path  (use this load_server binary instead of building one)
#
# wrk, jq and curl are installed from Debian when missing.
#
# Usage: scripts/duel.sh             e.g.  SERVERS=ours WORKLOADS=echo4k scripts/duel.sh
set -euo pipefail

cd "$(dirname "$0")/.."

BASE=${BASE:-hand}
ROUNDS=${ROUNDS:-6}
DUR=${DUR:-5s}
CONN=${CONN:-32}
PORT=${PORT:-39500}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SATURATED=${SATURATED:-90}
SERVERS=${SERVERS:-"ours ours_bare jsonrpsee"}
WORKLOADS=${WORKLOADS:-"add_positional add_named batch10 echo4k echo_owned4k sum1000 notification"}
OUT=${OUT:-target/duel}

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ "$CONN" =~ ^[1-9][0-9]*$ ]] || die "CONN must be a positive integer, not '$CONN'"
[[ "$DUR" =~ ^[1-9][0-9]*s?$ ]] || die "DUR must be a whole number of seconds such as 5s, not '$DUR'"
DUR_S=${DUR%s}
for workload in $WORKLOADS; do
    [[ -f "scripts/load/$workload.lua" ]] || die "no wrk script scripts/load/$workload.lua"
done
[[ "$BASE" =~ ^[a-z_]+$ ]] || die "BASE names one server, not '$BASE'"
for server in $BASE $SERVERS; do
    case "$server" in ours | ours_bare | hand | hand_router | hand_service | jsonrpsee) ;; *) die "unknown server '$server'" ;; esac
done
for server in $SERVERS; do
    [[ "$server" != "$BASE" ]] || die "'$server' is BASE, the other server of every pair"
done
need wrk wrk
need jq jq
need curl curl
need taskset util-linux
CORES=$(nproc --all)
((SERVER_CPU < CORES && LOAD_CPU < CORES)) || die "this machine has $CORES core(s)"
CLK_TCK=$(getconf CLK_TCK)
mkdir -p "$OUT"

load_server_binary
EXE=$LOAD_SERVER_EXE

start_server() { # impl port -> pid in STARTED
    taskset -c "$SERVER_CPU" "$EXE" "$1" "$2" >>"$OUT/server-$1.log" 2>&1 &
    STARTED=$!
    PIDS+=("$STARTED")
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$STARTED" 2>/dev/null || die "server $1 exited at start; see $OUT/server-$1.log"
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$2/" && return 0
        sleep 0.1
    done
    die "server $1 did not answer on port $2 within 10 s"
}

RAW="$OUT/raw.tsv"
printf 'round\tworkload\tserver\tbase_rps\tserver_rps\tbase_cpu_pct\tserver_cpu_pct\tratio\tcpu_ratio\terrors\n' >"$RAW"

duel() { # round workload server
    local round=$1 workload=$2 server=$3 first second
    # Alternate who goes first, so that any advantage of that cancels out.
    if ((round % 2 == 0)); then first=$BASE second=$server; else first=$server second=$BASE; fi
    start_server "$first" "$PORT"
    local pid_first=$STARTED
    start_server "$second" $((PORT + 1))
    local pid_second=$STARTED
    local t0 t1 first0 second0 first1 second1
    first0=$(cpu_ticks "$pid_first")
    second0=$(cpu_ticks "$pid_second")
    t0=$(date +%s%N)
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONN" -d"$DUR" -s "scripts/load/$workload.lua" \
        "http://127.0.0.1:$PORT/" >"$OUT/wrk-$workload-$server-r$round-$first.txt" 2>&1 &
    local wrk_first=$!
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONN" -d"$DUR" -s "scripts/load/$workload.lua" \
        "http://127.0.0.1:$((PORT + 1))/" >"$OUT/wrk-$workload-$server-r$round-$second.txt" 2>&1 &
    local wrk_second=$!
    wait "$wrk_first" || die "wrk failed on $first/$workload"
    wait "$wrk_second" || die "wrk failed on $second/$workload"
    t1=$(date +%s%N)
    first1=$(cpu_ticks "$pid_first")
    second1=$(cpu_ticks "$pid_second")
    cleanup
    local f s
    f=$(grep '^LOAD_RESULT ' "$OUT/wrk-$workload-$server-r$round-$first.txt") || die "no LOAD_RESULT from wrk ($first)"
    s=$(grep '^LOAD_RESULT ' "$OUT/wrk-$workload-$server-r$round-$second.txt") || die "no LOAD_RESULT from wrk ($second)"
    awk -v r="$round" -v w="$workload" -v srv="$server" -v first="$first" -v base="$BASE" -v f="$f" -v s="$s" \
        -v dt=$(((t1 - t0) / 1000)) -v tf=$((first1 - first0)) -v ts=$((second1 - second0)) -v hz="$CLK_TCK" '
        function field(line, name,    n, kv, i, p) {
            n = split(line, kv, " ")
            for (i = 2; i <= n; i++) { split(kv[i], p, "="); if (p[1] == name) return p[2] + 0 }
            return 0
        }
        function rate(line) { return field(line, "requests") / (field(line, "duration_us") / 1e6) }
        function errors(line) {
            return field(line, "non2xx") + field(line, "connect") + field(line, "read") + field(line, "write") + field(line, "timeout")
        }
        BEGIN {
            secs = dt / 1e6
            if (first == base) { h = f; o = s; th = tf; to = ts } else { h = s; o = f; th = ts; to = tf }
            hr = rate(h); or = rate(o)
            hc = 100 * th / hz / secs; oc = 100 * to / hz / secs
            ratio = hr > 0 ? or / hr : 0
            cpu_ratio = (hr > 0 && to > 0) ? (or / to) / (hr / th) : 0
            printf "%s\t%s\t%s\t%.0f\t%.0f\t%.1f\t%.1f\t%.3f\t%.3f\t%d\n", r, w, srv, hr, or, hc, oc, ratio, cpu_ratio, errors(h) + errors(o)
        }' >>"$RAW"
    log "  $(tail -n 1 "$RAW" | awk -F'\t' -v base="$BASE" '{ printf "round %d %-14s %s %6s req/s (cpu %4s%%)  %-9s %6s req/s (cpu %4s%%)  ratio %s  per CPU %s  errors %s", $1 + 1, $2, base, $4, $6, $3, $5, $7, $8, $9, $10 }')"
}

START_UPTIME=$(uptime)
for ((round = 0; round < ROUNDS; round++)); do
    log "round $((round + 1))/$ROUNDS"
    for workload in $WORKLOADS; do
        for server in $SERVERS; do
            duel "$round" "$workload" "$server"
        done
    done
done

REPORT="$OUT/report.md"
{
    echo "# Head-to-head load test: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "\`BASE=$BASE ROUNDS=$ROUNDS DUR=$DUR CONN=$CONN scripts/duel.sh\`: $BASE and one other server at the same time on core $SERVER_CPU," \
        "each driven by its own wrk \`-t1 -c$CONN\` on core $LOAD_CPU; $CORES cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))."
    echo "Ratio: the server's req/s over $BASE's in the same round (median, min–max over the rounds); per CPU: the same per"
    echo "CPU second of each server. Above 1 is faster than $BASE. Rounds where the two servers together used less than $SATURATED%"
    echo "of the core, or wrk saw errors, are left out and listed."
    echo
    echo "- load at start: \`$START_UPTIME\`"
    echo "- load at end:   \`$(uptime)\`"
    echo
    echo "| workload | server | $BASE req/s | server req/s | ratio (median) | ratio min–max | per CPU (median) | rounds |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' -v sat="$SATURATED" -v workloads="$WORKLOADS" -v servers="$SERVERS" '
        function median(list,    n, v, i, j, x) {
            n = split(list, v, " ")
            for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        NR > 1 && $6 + $7 >= sat && $10 == 0 {
            k = $2 SUBSEP $3
            hr[k] = hr[k] " " $4; sr[k] = sr[k] " " $5; ra[k] = ra[k] " " $8; cr[k] = cr[k] " " $9; n[k]++
            if (!(k in lo) || $8 + 0 < lo[k]) lo[k] = $8 + 0
            if (!(k in hi) || $8 + 0 > hi[k]) hi[k] = $8 + 0
        }
        END {
            nw = split(workloads, w, " "); ns = split(servers, s, " ")
            for (i = 1; i <= nw; i++) for (j = 1; j <= ns; j++) {
                k = w[i] SUBSEP s[j]
                if (!(k in n)) { printf "| %s | %s | – | – | – | – | – | 0 |\n", w[i], s[j]; continue }
                printf "| %s | %s | %.0f | %.0f | %.2f | %.2f–%.2f | %.2f | %d |\n", w[i], s[j],
                    median(hr[k]), median(sr[k]), median(ra[k]), lo[k], hi[k], median(cr[k]), n[k]
            }
        }' "$RAW"
    left_out=$(awk -F'\t' -v sat="$SATURATED" -v base="$BASE" 'NR > 1 && ($6 + $7 < sat || $10 != 0) {
        printf "- round %d, %s, %s: core busy %.0f%% (%s %.0f%%, %s %.0f%%), %d errors\n", $1 + 1, $2, $3, $6 + $7, base, $6, $3, $7, $10 }' "$RAW")
    echo
    if [[ -n "$left_out" ]]; then
        echo "Left out:"
        echo
        echo "$left_out"
    else
        echo "Every round kept the core busy (≥ $SATURATED%) without errors."
    fi
    echo
    echo "Notes: jsonrpsee answers a notification with the body \`null\` and does not run the method; \`ours\` has CORS and"
    echo "compression on, \`ours_bare\` neither (see scripts/load.sh)."
} >"$REPORT"
cat "$REPORT"
log "raw results: $RAW"
grep -q "^Left out" "$REPORT" && exit 1
exit 0
