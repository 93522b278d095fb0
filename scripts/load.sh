#!/usr/bin/env bash
# Load test of the real HTTP servers over loopback with wrk.
#
# Serves the same methods with four servers (tests/benches/load_server.rs):
#   hand       hand-written hyper 1.x + serde_json server (the floor)
#   ours       rpc_http::Server with its production defaults (CORS, compression)
#   ours_bare  rpc_http::Server without CORS and compression
#   jsonrpsee  jsonrpsee 0.26 HTTP server
# and drives each with wrk (installed from Debian if missing) on seven
# workloads (scripts/load/<workload>.lua): add_positional, add_named,
# batch10, echo4k, echo_owned4k, sum1000, notification.
#
# Each server runs on a single-threaded runtime pinned to one core
# (SERVER_CPU, default 0); wrk runs with one thread pinned to the other
# (LOAD_CPU, default 1). Every run starts a fresh server, waits for its
# port, runs wrk, samples the server's CPU use (utime+stime from
# /proc/<pid>/stat over the run) and its peak RSS (VmHWM), and kills it.
# The servers alternate (the order rotates every round) over ROUNDS rounds
# and the tables show medians. A throughput ratio means something only
# while the server's core is saturated: runs whose server used less than
# SATURATED percent of its core are listed. Differences under about 10%
# are noise on a shared 2-core machine.
#
# Before anything is timed, every server's answer to every workload is
# checked once with curl (and the bodies wrk sends are checked against the
# benchmark bodies of load_server). wrk counts answers with a status of
# 400 or more and socket errors during the runs; any of them fails the
# script (after the tables are printed).
#
# Environment (defaults):
#   ROUNDS=3 DUR=10s CONN=32 PORT=39400 SERVER_CPU=0 LOAD_CPU=1 SATURATED=90
#   SERVERS="hand ours ours_bare jsonrpsee"
#   WORKLOADS="add_positional add_named batch10 echo4k echo_owned4k sum1000 notification"
#   OUT=target/load   (raw results, logs and report.md)
#   LOAD_SERVER=path  (use this load_server binary instead of building one)
#
# Usage: scripts/load.sh            e.g.  ROUNDS=1 DUR=3s scripts/load.sh
set -euo pipefail

cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DUR=${DUR:-10s}
CONN=${CONN:-32}
PORT=${PORT:-39400}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SATURATED=${SATURATED:-90}
SERVERS=${SERVERS:-"hand ours ours_bare jsonrpsee"}
WORKLOADS=${WORKLOADS:-"add_positional add_named batch10 echo4k echo_owned4k sum1000 notification"}
OUT=${OUT:-target/load}

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

# ---------------------------------------------------------------- cleanup
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- checks
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ "$CONN" =~ ^[1-9][0-9]*$ ]] || die "CONN must be a positive integer, not '$CONN'"
case "$DUR" in
    *[0-9]s) DUR_S=${DUR%s} ;;
    *[0-9]m) DUR_S=$((${DUR%m} * 60)) ;;
    *[0-9]) DUR_S=$DUR ;;
    *) die "DUR must look like 10s, 1m or 10, not '$DUR'" ;;
esac
[[ "$DUR_S" =~ ^[1-9][0-9]*$ ]] || die "DUR must be a whole number of seconds, not '$DUR'"
for workload in $WORKLOADS; do
    [[ -f "scripts/load/$workload.lua" ]] || die "no wrk script scripts/load/$workload.lua"
done
for server in $SERVERS; do
    case "$server" in hand | ours | ours_bare | jsonrpsee) ;; *) die "unknown server '$server'" ;; esac
done

need wrk wrk
need jq jq
need curl curl
need taskset util-linux

CORES=$(nproc --all)
if ((SERVER_CPU >= CORES || LOAD_CPU >= CORES)); then
    die "SERVER_CPU=$SERVER_CPU / LOAD_CPU=$LOAD_CPU: this machine has $CORES core(s)"
fi
[[ "$SERVER_CPU" != "$LOAD_CPU" ]] || log "warning: server and wrk share core $SERVER_CPU; ratios mean little"
CLK_TCK=$(getconf CLK_TCK)

mkdir -p "$OUT"
RAW="$OUT/raw.tsv"
REPORT="$OUT/report.md"

# ---------------------------------------------------------------- build
load_server_binary
EXE=$LOAD_SERVER_EXE

# ---------------------------------------------------------------- servers
port_answers() { # port
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"
}

start_server() { # impl port
    if port_answers "$2"; then
        die "something already answers on 127.0.0.1:$2; set PORT"
    fi
    taskset -c "$SERVER_CPU" "$EXE" "$1" "$2" >>"$OUT/server-$1.log" 2>&1 &
    SERVER_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || die "server $1 exited at start; see $OUT/server-$1.log"
        port_answers "$2" && return 0
        sleep 0.1
    done
    die "server $1 did not answer on port $2 within 10 s"
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

peak_rss_kib() { # pid
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

core_busy_ticks() { # cpu -> "busy total" ticks of that core, all processes
    awk -v cpu="cpu$1" '$1 == cpu { total = 0; for (i = 2; i <= NF; i++) total += $i; print total - $5 - $6, total }' /proc/stat
}

# ---------------------------------------------------------------- correctness
# The answer a correct server gives to a request body (null for nothing).
EXPECTED='
def answer: if has("id") then
    {jsonrpc: "2.0", id: .id, result: (
        if .method == "add" then
            (if (.params | type) == "array" then .params[0] + .params[1] else .params.a + .params.b end)
        elif .method == "echo" then .params[0]
        else error("unknown method \(.method)") end)}
    else empty end;
if type == "array" then ([.[] | answer] | sort_by(.id) | if length == 0 then null else . end)
else ([answer] | first) end'

check_server() { # impl port
    local workload body response status_type status ctype expected actual
    for workload in $WORKLOADS; do
        body="$OUT/body-$workload.json"
        response="$OUT/answer-$1-$workload.out"
        status_type=$(curl -s --max-time 5 -o "$response" -w '%{http_code} %{content_type}' \
            -H 'Content-Type: application/json' --data-binary "@$body" "http://127.0.0.1:$2/") ||
            die "$1/$workload: curl failed"
        status=${status_type%% *}
        ctype=${status_type#* }
        [[ "$status" == 200 ]] || die "$1/$workload: HTTP $status, body: $(head -c 300 "$response")"
        expected=$(jq -cS "$EXPECTED" "$body")
        if [[ "$expected" == null ]]; then
            # Notification: nothing to answer. jsonrpsee writes `null`; accepted.
            actual=$(tr -d ' \r\n' <"$response")
            if [[ -n "$actual" && "$actual" != null ]]; then
                die "$1/$workload: a notification was answered with: $(head -c 300 "$response")"
            fi
            [[ -z "$actual" ]] || log "  note: $1 answers a notification with a body of '$actual'"
            continue
        fi
        [[ "$ctype" == application/json* ]] || die "$1/$workload: Content-Type '$ctype'"
        actual=$(jq -cS 'if type == "array" then sort_by(.id) else . end' "$response" 2>/dev/null) ||
            die "$1/$workload: the answer is not JSON: $(head -c 300 "$response")"
        [[ "$actual" == "$expected" ]] ||
            die "$1/$workload: wrong answer $(head -c 300 <<<"$actual") (expected $(head -c 300 <<<"$expected"))"
    done
}

log "checking request bodies and answers"
for workload in $WORKLOADS; do
    # What wrk sends, printed by the wrk script itself, must be the benchmark's body.
    LOAD_PRINT_BODY=1 wrk -s "scripts/load/$workload.lua" "http://127.0.0.1:$PORT/" >"$OUT/body-$workload.json" ||
        die "scripts/load/$workload.lua did not print its body"
    "$EXE" body "$workload" >"$OUT/body-$workload.expected" || die "load_server has no body for $workload"
    cmp -s "$OUT/body-$workload.json" "$OUT/body-$workload.expected" ||
        die "scripts/load/$workload.lua sends another body than load_server's $workload"
done
for server in $SERVERS; do
    start_server "$server" "$PORT"
    check_server "$server" "$PORT"
    stop_server
    log "  $server answers every workload correctly"
done

# ---------------------------------------------------------------- runs
START_UPTIME=$(uptime)
log "start: $START_UPTIME"
printf 'round\tworkload\tserver\trps\tp50_us\tp99_us\tcpu_pct\twrk_cpu_pct\tcore_other_pct\trss_kib\tnon2xx\tsocket_errors\tcpu_us_per_req\n' >"$RAW"

read -r -a SERVER_LIST <<<"$SERVERS"
NSERVERS=${#SERVER_LIST[@]}
TIMEFORMAT='%R %U %S'
RUN_FAILED=0

run_once() { # round workload impl
    local round=$1 workload=$2 impl=$3
    local wrk_out="$OUT/wrk-$workload-$impl-r$round.txt"
    start_server "$impl" "$PORT"
    local ticks0 ticks1 t0 t1 core0 core1 times
    ticks0=$(cpu_ticks "$SERVER_PID")
    core0=$(core_busy_ticks "$SERVER_CPU")
    t0=$(date +%s%N)
    times=$({ time timeout $((DUR_S + 60)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONN" -d"$DUR" --latency \
        -s "scripts/load/$workload.lua" "http://127.0.0.1:$PORT/" >"$wrk_out" 2>&1; } 2>&1) ||
        die "wrk failed on $impl/$workload; see $wrk_out"
    t1=$(date +%s%N)
    ticks1=$(cpu_ticks "$SERVER_PID")
    core1=$(core_busy_ticks "$SERVER_CPU")
    local rss
    rss=$(peak_rss_kib "$SERVER_PID")
    stop_server
    local result
    result=$(grep '^LOAD_RESULT ' "$wrk_out") || die "no LOAD_RESULT line in $wrk_out"
    # shellcheck disable=SC2086
    local $(echo "${result#LOAD_RESULT }")
    awk -v r="$round" -v w="$workload" -v s="$impl" \
        -v req="$requests" -v dur="$duration_us" -v p50="$p50_us" -v p99="$p99_us" \
        -v dt=$(((t1 - t0) / 1000)) -v ticks=$((ticks1 - ticks0)) -v hz="$CLK_TCK" \
        -v times="$times" -v core0="$core0" -v core1="$core1" -v rss="$rss" \
        -v non2xx="$non2xx" -v sock=$((connect + read + write + timeout)) '
        BEGIN {
            split(times, t, " "); split(core0, a, " "); split(core1, b, " ")
            secs = dt / 1e6
            cpu = 100 * ticks / hz / secs
            wrk_cpu = t[1] > 0 ? 100 * (t[2] + t[3]) / t[1] : 0
            core_busy = (b[2] - a[2]) > 0 ? 100 * (b[1] - a[1]) / (b[2] - a[2]) : 0
            other = core_busy - cpu; if (other < 0) other = 0
            printf "%s\t%s\t%s\t%.0f\t%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%.2f\n",
                r, w, s, req / (dur / 1e6), p50, p99, cpu, wrk_cpu, other, rss, non2xx, sock,
                (req > 0) ? 1e6 * ticks / hz / req : 0
        }' >>"$RAW"
    local line
    line=$(tail -n 1 "$RAW")
    log "  $(awk -F'\t' '{ printf "round %d %-14s %-9s %8s req/s  p50 %5s us  p99 %6s us  cpu %5s%% (%s us/req)  wrk %5s%%  others on core %4s%%  rss %s KiB  non2xx %s  sockerr %s", $1 + 1, $2, $3, $4, $5, $6, $7, $13, $8, $9, $10, $11, $12 }' <<<"$line")"
    if [[ "$non2xx" != 0 || $((connect + read + write + timeout)) != 0 ]]; then
        log "  ERROR: $impl/$workload had $non2xx non-2xx answers and $((connect + read + write + timeout)) socket errors"
        RUN_FAILED=1
    fi
}

for ((round = 0; round < ROUNDS; round++)); do
    log "round $((round + 1))/$ROUNDS"
    for workload in $WORKLOADS; do
        for ((k = 0; k < NSERVERS; k++)); do
            run_once "$round" "$workload" "${SERVER_LIST[$(((k + round) % NSERVERS))]}"
        done
    done
done
END_UPTIME=$(uptime)
log "end: $END_UPTIME"

# ---------------------------------------------------------------- report
{
    echo "# Load test: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "\`ROUNDS=$ROUNDS DUR=$DUR CONN=$CONN scripts/load.sh\`: wrk $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }') \`-t1 -c$CONN -d$DUR\` on core $LOAD_CPU," \
        "each server on one current-thread runtime on core $SERVER_CPU; $CORES cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))."
    echo "Medians of $ROUNDS round(s); servers alternate (rotated every round). The paired ratio is the median over the rounds of"
    echo "each round's req/s over hand's in the same round. Latency is wrk's, client side;"
    echo "server CPU is utime+stime of the server over the run (100% = its core saturated); server CPU µs/req is that time over the"
    echo "requests served, and its ratio (hand's cost / this server's, so above 1 is cheaper) holds even when other processes share"
    echo "the server's core; peak RSS is the largest VmHWM over the rounds."
    echo
    echo "- load at start: \`$START_UPTIME\`"
    echo "- load at end:   \`$END_UPTIME\`"
    for workload in $WORKLOADS; do
        echo
        echo "## $workload"
        echo
        echo "| server | req/s (median) | p50 | p99 | server CPU % | server CPU µs/req | wrk CPU % | peak RSS MiB | ratio to hand (req/s) | paired ratio (req/s) | ratio to hand (CPU/req) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' -v w="$workload" -v servers="$SERVERS" '
            function median(list,    n, v, i, j, x) {
                n = split(list, v, " ")
                for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
                return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            }
            function us(x) { return x >= 1000 ? sprintf("%.2f ms", x / 1000) : sprintf("%.0f µs", x) }
            NR > 1 && $2 == w {
                rps[$3] = rps[$3] " " $4; p50[$3] = p50[$3] " " $5; p99[$3] = p99[$3] " " $6
                cpu[$3] = cpu[$3] " " $7; wcpu[$3] = wcpu[$3] " " $8; cost[$3] = cost[$3] " " $13
                if ($10 + 0 > rss[$3] + 0) rss[$3] = $10
                by_round[$3, $1] = $4; rounds[$1] = 1
            }
            END {
                n = split(servers, s, " ")
                hand = ("hand" in rps) ? median(rps["hand"]) : 0
                hand_cost = ("hand" in cost) ? median(cost["hand"]) : 0
                for (i = 1; i <= n; i++) {
                    if (!(s[i] in rps)) continue
                    r = median(rps[s[i]]); c = median(cost[s[i]])
                    ratio = (hand > 0) ? sprintf("%.2f", r / hand) : "n/a"
                    # CPU per request inverted, so that above 1 is better for both ratios.
                    cost_ratio = (hand_cost > 0 && c > 0) ? sprintf("%.2f", hand_cost / c) : "n/a"
                    # Each round against hand in the same round, then the median: slow drifts of the
                    # machine (other tenants) cancel out of a pair that ran a few seconds apart.
                    paired = ""
                    for (round in rounds)
                        if ((s[i], round) in by_round && ("hand", round) in by_round && by_round["hand", round] > 0)
                            paired = paired " " by_round[s[i], round] / by_round["hand", round]
                    paired_ratio = (paired != "") ? sprintf("%.2f", median(paired)) : "n/a"
                    printf "| %s | %.0f | %s | %s | %.0f | %.1f | %.0f | %.1f | %s | %s | %s |\n", s[i], r,
                        us(median(p50[s[i]])), us(median(p99[s[i]])), median(cpu[s[i]]), c, median(wcpu[s[i]]),
                        rss[s[i]] / 1024, ratio, paired_ratio, cost_ratio
                }
            }' "$RAW"
    done
    echo
    unsaturated=$(awk -F'\t' -v lim="$SATURATED" 'NR > 1 && $7 + 0 < lim + 0 {
        printf "- round %d, %s, %s: server CPU %.0f%% (wrk %.0f%%, other processes on the server core %.0f%%)\n", $1 + 1, $2, $3, $7, $8, $9 }' "$RAW")
    if [[ -n "$unsaturated" ]]; then
        echo "Runs whose server core was not saturated (server CPU < $SATURATED%): their req/s ratios mean little (the CPU/req ratio still holds):"
        echo
        echo "$unsaturated"
    else
        echo "Every run saturated the server core (server CPU >= $SATURATED%)."
    fi
    wrk_bound=$(awk -F'\t' 'NR > 1 && $8 + 0 >= 95 {
        printf "- round %d, %s, %s: wrk %.0f%%, server %.0f%%\n", $1 + 1, $2, $3, $8, $7 }' "$RAW")
    if [[ -n "$wrk_bound" ]]; then
        echo
        echo "Runs where wrk used 95% or more of its core, so the load tool may have held the server back (that server's req/s is a lower bound):"
        echo
        echo "$wrk_bound"
    fi
    echo
    errors=$(awk -F'\t' 'NR > 1 && ($11 != 0 || $12 != 0) { printf "- round %d, %s, %s: %s non-2xx, %s socket errors\n", $1 + 1, $2, $3, $11, $12 }' "$RAW")
    if [[ -n "$errors" ]]; then
        echo
        echo "**Runs with errors (their numbers are worthless):**"
        echo
        echo "$errors"
    else
        echo "No run had a non-2xx answer or a socket error."
    fi
    echo
    echo "Notes: jsonrpsee answers a notification with the body \`null\` and does not run the method; hand does no CORS,"
    echo "compression, header-read timeout or request timeout; \`ours\` has CORS and compression on (wrk sends no Origin or"
    echo "Accept-Encoding, so nothing is compressed); \`ours_bare\` is built with \`.without_cors().compression(Compression::off())\`."
} >"$REPORT"
cat "$REPORT"
log "raw results: $RAW; wrk outputs and server logs in $OUT/"
exit "$RUN_FAILED"
