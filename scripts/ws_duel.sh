#!/usr/bin/env bash
# WebSocket head-to-head: the hand-written floor and one other server at the
# same time on one core, each driven by its own load generator on the other
# core; then fan-out and memory per idle connection, one server at a time.
#
# The servers and the generator are tests/benches/ws_bench/ (main.rs's header
# says exactly what each server does): `floor` (fastwebsockets + serde_json +
# a match, writes batched in a write buffer flushed once nothing else is
# ready), `ours` (rpc_http::Server, production defaults) and `jsonrpsee`
# (jsonrpsee 0.26, max_connections raised to 20,000), each on a
# single-threaded runtime.
#
# Calls (as scripts/duel.sh does for HTTP): every round starts the floor and
# one other server, both pinned to SERVER_CPU, and runs a generator for each,
# both pinned to LOAD_CPU, together. A generator keeps IN_FLIGHT calls
# outstanding on each of CONN connections, checks every answer, and counts
# answers over DUR after a 0.5 s warm-up; it also reads its server's CPU
# time (all threads, /proc/<pid>/task/*/schedstat, in ns) and its own over
# the same window. Whatever happens to the core happens to both servers at
# once, so the ratio of their message rates in a round is the ratio of their
# speeds; rounds alternate which server is started and driven first. The
# report gives per workload and server the median over the rounds of that
# ratio (min and max beside it) and of the same ratio per CPU second (msgs
# per CPU second of the server over the floor's), which holds even when the
# core is not split evenly.
#
# Read the per-CPU ratio first when the servers' core is not saturated: a
# WebSocket call costs the generator about as much kernel work as it costs
# the server (a read and a write on loopback TCP each way), so with 32
# connections of one call each the two generators can saturate their core
# before the servers saturate theirs, and then the kernel splits the
# generators' core evenly and pushes the rate ratio towards 1. The report
# shows both cores' use per workload; a round whose servers kept their core
# less than SATURATED percent busy is marked.
#
# Fan-out: for each size in FANOUT_SIZES, each server alone on SERVER_CPU
# with SIZE subscribers (generator on LOAD_CPU); FANOUT_ROUNDS publishes, one
# at a time; per publish the time until the last subscriber has the message,
# and the server's CPU time over the publish (from just before it to 50 ms
# after the last delivery) per delivered message. Repeated FANOUT_REPEATS
# times, servers in rotating order; the ratio to the floor is paired by
# repeat.
#
# Idle memory: each server alone; IDLE_CONNS connections that only do the
# handshake; (VmRSS with them open - VmRSS before) / connections. Repeated
# IDLE_REPEATS times.
#
# Environment (defaults):
#   ROUNDS=4 DUR=5s PORT=39700 SERVER_CPU=0 LOAD_CPU=1 SATURATED=90
#   SERVERS="ours jsonrpsee"            (each against floor)
#   WORKLOADS="add_32x1 add_1x64 echo4k_32x1 batch10_32x1"
#                                       (<add|echo4k|batch10>_<connections>x<in flight>)
#   SECTIONS="calls fanout idle"
#   FANOUT_SIZES="2000 10000" FANOUT_ROUNDS=15 FANOUT_REPEATS=2
#   FANOUT_SERVERS="floor ours jsonrpsee"
#   IDLE_CONNS=10000 IDLE_REPEATS=2 IDLE_SERVERS="floor ours jsonrpsee"
#   OUT=target/ws-duel                 (raw results, logs and report.md)
#   WS_BENCH=path                      (use this ws_bench binary instead of building one)
#
# The open files limit is raised to the hard limit (10,000 connections need
# a bit more than 10,000 descriptors in the server and in the generator).
#
# Usage: scripts/ws_duel.sh      e.g.  ROUNDS=3 DUR=5s FANOUT_SIZES=2000 IDLE_CONNS=2000 scripts/ws_duel.sh
set -euo pipefail

cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-4}
DUR=${DUR:-5s}
PORT=${PORT:-39700}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SATURATED=${SATURATED:-90}
SERVERS=${SERVERS:-"ours jsonrpsee"}
WORKLOADS=${WORKLOADS:-"add_32x1 add_1x64 echo4k_32x1 batch10_32x1"}
SECTIONS=${SECTIONS:-"calls fanout idle"}
FANOUT_SIZES=${FANOUT_SIZES:-"2000 10000"}
FANOUT_ROUNDS=${FANOUT_ROUNDS:-15}
FANOUT_REPEATS=${FANOUT_REPEATS:-2}
FANOUT_SERVERS=${FANOUT_SERVERS:-"floor ours jsonrpsee"}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_REPEATS=${IDLE_REPEATS:-2}
IDLE_SERVERS=${IDLE_SERVERS:-"floor ours jsonrpsee"}
OUT=${OUT:-target/ws-duel}

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

# ---------------------------------------------------------------- checks
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, not '$2'"; }
positive ROUNDS "$ROUNDS"
positive FANOUT_ROUNDS "$FANOUT_ROUNDS"
positive FANOUT_REPEATS "$FANOUT_REPEATS"
positive IDLE_CONNS "$IDLE_CONNS"
positive IDLE_REPEATS "$IDLE_REPEATS"
[[ "$DUR" =~ ^[1-9][0-9]*s?$ ]] || die "DUR must be a whole number of seconds such as 5s, not '$DUR'"
DUR_S=${DUR%s}
for size in $FANOUT_SIZES; do positive FANOUT_SIZES "$size"; done
for workload in $WORKLOADS; do
    [[ "$workload" =~ ^(add|echo4k|batch10)_[1-9][0-9]*x[1-9][0-9]*$ ]] ||
        die "workload '$workload' is not <add|echo4k|batch10>_<connections>x<in flight>"
done
for server in $SERVERS; do
    case "$server" in ours | jsonrpsee) ;; *) die "unknown server '$server' (floor is always the other)" ;; esac
done
for server in $FANOUT_SERVERS $IDLE_SERVERS; do
    case "$server" in floor | ours | jsonrpsee) ;; *) die "unknown server '$server'" ;; esac
done
for section in $SECTIONS; do
    case "$section" in calls | fanout | idle) ;; *) die "unknown section '$section' (calls, fanout, idle)" ;; esac
done
has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
need jq jq
need taskset util-linux
CORES=$(nproc --all)
((SERVER_CPU < CORES && LOAD_CPU < CORES)) || die "this machine has $CORES core(s)"
[[ "$SERVER_CPU" != "$LOAD_CPU" ]] || log "warning: servers and generators share core $SERVER_CPU; ratios mean little"

# Sockets: the most connections one process holds at once, plus room.
MOST=0
if has_section fanout; then for size in $FANOUT_SIZES; do ((size > MOST)) && MOST=$size; done; fi
if has_section idle && ((IDLE_CONNS > MOST)); then MOST=$IDLE_CONNS; fi
WANT_FILES=$((MOST + 256))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ "$(ulimit -n)" != unlimited ]] && (($(ulimit -n) < WANT_FILES)); then
    ulimit -n "$WANT_FILES" 2>/dev/null ||
        die "$MOST connections need $WANT_FILES open files; the hard limit is $(ulimit -Hn) (shrink FANOUT_SIZES / IDLE_CONNS)"
fi

mkdir -p "$OUT"
OUT=$(realpath "$OUT")

# ---------------------------------------------------------------- build
bench_binary ws_bench WS_BENCH
EXE=$BENCH_EXE

# ---------------------------------------------------------------- servers
# Every server gets a port of its own (a fresh one each time), so that no
# socket of an earlier run stands in the way.
NEXT_PORT=$PORT
take_port() { # -> PORT_TAKEN
    PORT_TAKEN=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
    ((NEXT_PORT < PORT + 500)) || NEXT_PORT=$PORT
}

listening() { # port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_server() { # kind -> STARTED (pid), STARTED_PORT
    local attempt port i log="$OUT/server-$1.log"
    for ((attempt = 0; attempt < 20; attempt++)); do
        take_port
        port=$PORT_TAKEN
        # Taken (a listener, or a socket of an earlier run in TIME_WAIT): the next one.
        listening "$port" && continue
        # What the last server of this kind wrote goes to its log first.
        [[ -f "$log.last" ]] && cat "$log.last" >>"$log"
        taskset -c "$SERVER_CPU" "$EXE" server "$1" "$port" >"$log.last" 2>&1 &
        STARTED=$!
        STARTED_PORT=$port
        PIDS+=("$STARTED")
        for ((i = 0; i < 100; i++)); do
            if ! kill -0 "$STARTED" 2>/dev/null; then
                grep -q 'Address already in use' "$log.last" && continue 2
                cat "$log.last" >>"$log"
                die "server $1 exited at start; see $log"
            fi
            listening "$port" && return 0
            sleep 0.1
        done
        die "server $1 did not listen on port $port within 10 s"
    done
    die "no free port for server $1 from $PORT on"
}

field() { # line name -> value of name=value in line
    awk -v name="$2" '{ for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == name) { print p[2]; exit } } }' <<<"$1"
}

START_UPTIME=$(uptime)
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

# ---------------------------------------------------------------- correctness
log "checking every server's answers"
for server in floor $SERVERS $FANOUT_SERVERS $IDLE_SERVERS; do
    [[ " ${CHECKED:-} " == *" $server "* ]] && continue
    CHECKED="${CHECKED:-} $server"
    start_server "$server"
    taskset -c "$LOAD_CPU" "$EXE" check "ws://127.0.0.1:$STARTED_PORT/" >"$OUT/check-$server.txt" 2>&1 ||
        die "$server answers wrongly: $(tail -n 5 "$OUT/check-$server.txt")"
    cleanup
    log "  $server answers every workload and the fan-out correctly"
done

# ---------------------------------------------------------------- calls
RAW="$OUT/calls.tsv"
printf 'round\tworkload\tserver\tfloor_mps\tserver_mps\tfloor_cpu_pct\tserver_cpu_pct\tfloor_gen_pct\tserver_gen_pct\tratio\tcpu_ratio\terrors\n' >"$RAW"

duel() { # round workload server
    local round=$1 workload=$2 server=$3 first second
    local kind=${workload%_*} shape=${workload##*_}
    local conns=${shape%x*} in_flight=${shape#*x}
    if ((round % 2 == 0)); then first=floor second=$server; else first=$server second=floor; fi
    start_server "$first"
    local pid_first=$STARTED port_first=$STARTED_PORT
    start_server "$second"
    local pid_second=$STARTED port_second=$STARTED_PORT
    local out_first="$OUT/load-$workload-$server-r$round-$first.txt"
    local out_second="$OUT/load-$workload-$server-r$round-$second.txt"
    taskset -c "$LOAD_CPU" "$EXE" load "ws://127.0.0.1:$port_first/" "$kind" "$conns" "$in_flight" "$DUR_S" "$pid_first" \
        >"$out_first" 2>&1 &
    local gen_first=$!
    taskset -c "$LOAD_CPU" "$EXE" load "ws://127.0.0.1:$port_second/" "$kind" "$conns" "$in_flight" "$DUR_S" "$pid_second" \
        >"$out_second" 2>&1 &
    local gen_second=$!
    wait "$gen_first" || log "  generator for $first/$workload failed: $(tail -n 3 "$out_first")"
    wait "$gen_second" || log "  generator for $second/$workload failed: $(tail -n 3 "$out_second")"
    cleanup
    local f s floor_line server_line
    f=$(grep '^LOAD_RESULT ' "$out_first") || die "no LOAD_RESULT from the generator ($first); see $out_first"
    s=$(grep '^LOAD_RESULT ' "$out_second") || die "no LOAD_RESULT from the generator ($second); see $out_second"
    if [[ $first == floor ]]; then floor_line=$f server_line=$s; else floor_line=$s server_line=$f; fi
    awk -v r="$round" -v w="$workload" -v srv="$server" -v fl="$floor_line" -v sl="$server_line" '
        function field(line, name,    n, kv, i, p) {
            n = split(line, kv, " ")
            for (i = 2; i <= n; i++) { split(kv[i], p, "="); if (p[1] == name) return p[2] + 0 }
            return 0
        }
        BEGIN {
            fd = field(fl, "duration_us"); sd = field(sl, "duration_us")
            fr = fd > 0 ? field(fl, "messages") / (fd / 1e6) : 0
            sr = sd > 0 ? field(sl, "messages") / (sd / 1e6) : 0
            fc = field(fl, "server_cpu_us"); sc = field(sl, "server_cpu_us")
            fg = field(fl, "generator_cpu_us"); sg = field(sl, "generator_cpu_us")
            ratio = fr > 0 ? sr / fr : 0
            cpu_ratio = (fr > 0 && fc > 0 && sc > 0) ? (sr / sc) / (fr / fc) : 0
            fcp = fd > 0 ? 100 * fc / fd : 0; scp = sd > 0 ? 100 * sc / sd : 0
            fgp = fd > 0 ? 100 * fg / fd : 0; sgp = sd > 0 ? 100 * sg / sd : 0
            errors = field(fl, "errors") + field(sl, "errors")
            printf "%s\t%s\t%s\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\t%.3f\t%d\n", r, w, srv, fr, sr,
                fcp, scp, fgp, sgp, ratio, cpu_ratio, errors
        }' >>"$RAW"
    log "  $(tail -n 1 "$RAW" | awk -F'\t' '{ printf "round %d %-13s floor %7s msg/s (cpu %5s%%, gen %5s%%)  %-9s %7s msg/s (cpu %5s%%, gen %5s%%)  ratio %s  per CPU %s  errors %s", $1 + 1, $2, $4, $6, $8, $3, $5, $7, $9, $10, $11, $12 }')"
}

if has_section calls; then
    log "calls: $ROUNDS round(s) of $DUR per workload and server"
    for ((round = 0; round < ROUNDS; round++)); do
        log "round $((round + 1))/$ROUNDS"
        for workload in $WORKLOADS; do
            for server in $SERVERS; do
                duel "$round" "$workload" "$server"
            done
        done
    done
fi

# ---------------------------------------------------------------- fan-out
FANOUT_RAW="$OUT/fanout.tsv"
printf 'repeat\tsubscribers\tserver\tmedian_us\tmin_us\tmax_us\tcpu_ns_per_msg\tgenerator_cpu_ns_per_msg\terrors\n' >"$FANOUT_RAW"
if has_section fanout; then
    read -r -a FANOUT_LIST <<<"$FANOUT_SERVERS"
    for size in $FANOUT_SIZES; do
        log "fan-out to $size subscribers: $FANOUT_REPEATS repeat(s) of $FANOUT_ROUNDS publishes"
        for ((repeat = 0; repeat < FANOUT_REPEATS; repeat++)); do
            for ((k = 0; k < ${#FANOUT_LIST[@]}; k++)); do
                server=${FANOUT_LIST[$(((k + repeat) % ${#FANOUT_LIST[@]}))]}
                start_server "$server"
                result_file="$OUT/fanout-$size-$server-r$repeat.txt"
                taskset -c "$LOAD_CPU" "$EXE" fanout "ws://127.0.0.1:$STARTED_PORT/" "$size" "$FANOUT_ROUNDS" "$STARTED" \
                    >"$result_file" 2>&1 || log "  fan-out generator failed on $server: $(tail -n 3 "$result_file")"
                cleanup
                line=$(grep '^FANOUT_RESULT ' "$result_file") || die "no FANOUT_RESULT ($server); see $result_file"
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$repeat" "$size" "$server" \
                    "$(field "$line" median_us)" "$(field "$line" min_us)" "$(field "$line" max_us)" \
                    "$(field "$line" cpu_ns_per_msg)" "$(field "$line" generator_cpu_ns_per_msg)" "$(field "$line" errors)" >>"$FANOUT_RAW"
                log "  repeat $((repeat + 1)) $server: $line"
            done
        done
    done
fi

# ---------------------------------------------------------------- idle memory
IDLE_RAW="$OUT/idle.tsv"
printf 'repeat\tserver\tconnections\trss_before_kb\trss_after_kb\tper_connection_bytes\n' >"$IDLE_RAW"
if has_section idle; then
    read -r -a IDLE_LIST <<<"$IDLE_SERVERS"
    log "idle memory: $IDLE_CONNS connections, $IDLE_REPEATS repeat(s)"
    for ((repeat = 0; repeat < IDLE_REPEATS; repeat++)); do
        for ((k = 0; k < ${#IDLE_LIST[@]}; k++)); do
            server=${IDLE_LIST[$(((k + repeat) % ${#IDLE_LIST[@]}))]}
            start_server "$server"
            result_file="$OUT/idle-$server-r$repeat.txt"
            taskset -c "$LOAD_CPU" "$EXE" idle "ws://127.0.0.1:$STARTED_PORT/" "$IDLE_CONNS" "$STARTED" \
                >"$result_file" 2>&1 || die "idle generator failed on $server: $(tail -n 3 "$result_file")"
            cleanup
            line=$(grep '^IDLE_RESULT ' "$result_file") || die "no IDLE_RESULT ($server); see $result_file"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$repeat" "$server" "$(field "$line" connections)" \
                "$(field "$line" rss_before_kb)" "$(field "$line" rss_after_kb)" "$(field "$line" per_connection_bytes)" >>"$IDLE_RAW"
            log "  repeat $((repeat + 1)) $server: $line"
        done
    done
fi

# ---------------------------------------------------------------- report
MEDIAN_AWK='
function median(list,    n, v, i, j, x) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function lo(list,    n, v, i, m) { n = split(list, v, " "); m = v[1]; for (i = 2; i <= n; i++) if (v[i] + 0 < m + 0) m = v[i]; return m }
function hi(list,    n, v, i, m) { n = split(list, v, " "); m = v[1]; for (i = 2; i <= n; i++) if (v[i] + 0 > m + 0) m = v[i]; return m }
'
REPORT="$OUT/report.md"
FAILED=0
{
    echo "# WebSocket head-to-head: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "\`ROUNDS=$ROUNDS DUR=$DUR SERVERS=\"$SERVERS\" WORKLOADS=\"$WORKLOADS\" SECTIONS=\"$SECTIONS\"" \
        "FANOUT_SIZES=\"$FANOUT_SIZES\" FANOUT_ROUNDS=$FANOUT_ROUNDS FANOUT_REPEATS=$FANOUT_REPEATS" \
        "IDLE_CONNS=$IDLE_CONNS IDLE_REPEATS=$IDLE_REPEATS scripts/ws_duel.sh\`"
    echo
    echo "Servers on core $SERVER_CPU (one current-thread runtime each), generators on core $LOAD_CPU; $CORES cores ($CPU_MODEL)."
    echo
    echo "- load at start: \`$START_UPTIME\`"
    echo "- load at end:   \`$(uptime)\`"
    if has_section calls; then
        echo
        echo "## Calls"
        echo
        echo "Floor and one other server at the same time on core $SERVER_CPU, each driven by its own generator on core $LOAD_CPU."
        echo "Workload \`<method>_<connections>x<calls in flight per connection>\`; msg/s counts answer frames (a batch of 10 is one)."
        echo "Ratio: the server's msg/s over the floor's in the same round (median, min–max over the rounds); per CPU: msgs per"
        echo "CPU second of the server over the floor's (server CPU from schedstat over the counted window). Above 1 is faster than"
        echo "the floor; the goal is at least 0.95. Core use: the two servers' CPU (core $SERVER_CPU) and the two generators' CPU"
        echo "(core $LOAD_CPU), medians, in % of one core. When the servers' core is below $SATURATED% and the generators' core is full,"
        echo "the generators are the limit and the rate ratio is pushed towards 1: read the per-CPU ratio."
        echo
        echo "| workload | server | floor msg/s | server msg/s | ratio (median) | ratio min–max | per CPU (median) | per CPU min–max | servers' core % | generators' core % | rounds |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' -v workloads="$WORKLOADS" -v servers="$SERVERS" "$MEDIAN_AWK"'
            NR > 1 && $12 == 0 {
                k = $2 SUBSEP $3
                fr[k] = fr[k] " " $4; sr[k] = sr[k] " " $5; ra[k] = ra[k] " " $10; cr[k] = cr[k] " " $11
                core[k] = core[k] " " ($6 + $7); gen[k] = gen[k] " " ($8 + $9); n[k]++
            }
            END {
                nw = split(workloads, w, " "); ns = split(servers, s, " ")
                for (i = 1; i <= nw; i++) for (j = 1; j <= ns; j++) {
                    k = w[i] SUBSEP s[j]
                    if (!(k in n)) { printf "| %s | %s | – | – | – | – | – | – | – | – | 0 |\n", w[i], s[j]; continue }
                    printf "| %s | %s | %.0f | %.0f | %.2f | %.2f–%.2f | %.2f | %.2f–%.2f | %.0f | %.0f | %d |\n", w[i], s[j],
                        median(fr[k]), median(sr[k]), median(ra[k]), lo(ra[k]), hi(ra[k]),
                        median(cr[k]), lo(cr[k]), hi(cr[k]), median(core[k]), median(gen[k]), n[k]
                }
            }' "$RAW"
        marked=$(awk -F'\t' -v sat="$SATURATED" 'NR > 1 && ($6 + $7 < sat || $12 != 0) {
            note = ($12 != 0) ? " (left out)" : ""
            printf "- round %d, %s, %s: servers %.0f%% of core (floor %.0f%%, %s %.0f%%), generators %.0f%%, %d errors%s\n",
                $1 + 1, $2, $3, $6 + $7, $6, $3, $7, $8 + $9, $12, note }' "$RAW")
        echo
        if [[ -n "$marked" ]]; then
            echo "Rounds whose servers used less than $SATURATED% of their core, or with errors (left out):"
            echo
            echo "$marked"
        else
            echo "Every round kept the servers' core busy (≥ $SATURATED%) without errors."
        fi
        awk -F'\t' 'NR > 1 && $12 != 0 { bad = 1 } END { exit bad }' "$RAW" || FAILED=1
    fi
    if has_section fanout; then
        echo
        echo "## Fan-out"
        echo
        echo "One server at a time on core $SERVER_CPU; one publish at a time to every subscriber ($FANOUT_ROUNDS per run, $FANOUT_REPEATS"
        echo "run(s) per server, servers in rotating order). Time to last: from just before the publish is written to when the last"
        echo "subscriber has read the message (median of the run's publishes; median, min and max over runs). CPU per message: the"
        echo "server's CPU time from before the publish to 50 ms after the last delivery, over the subscribers. Ratios to the floor"
        echo "are paired by run; the goal is at most 1.1 for both. Generator CPU: the generator's own CPU per delivery, from the"
        echo "publish to the last delivery; when it nears the time per delivery (time to last / subscribers), the generator and not"
        echo "the server sets the time to last."
        echo
        echo "| subscribers | server | time to last (median) | min–max over runs | ratio to floor | CPU per message | ratio to floor | time per delivery | generator CPU per delivery | runs |"
        echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' -v sizes="$FANOUT_SIZES" -v servers="$FANOUT_SERVERS" "$MEDIAN_AWK"'
            function ms(us) { return sprintf("%.1f ms", us / 1000) }
            NR > 1 && $9 == 0 && $4 > 0 {
                k = $2 SUBSEP $3
                t[k] = t[k] " " $4; c[k] = c[k] " " $7; g[k] = g[k] " " $8; n[k]++
                time_of[$1, $2, $3] = $4; cpu_of[$1, $2, $3] = $7; repeats[$1] = 1
            }
            END {
                nz = split(sizes, z, " "); ns = split(servers, s, " ")
                for (i = 1; i <= nz; i++) for (j = 1; j <= ns; j++) {
                    k = z[i] SUBSEP s[j]
                    if (!(k in n)) { printf "| %s | %s | – | – | – | – | – | – | – | 0 |\n", z[i], s[j]; continue }
                    tr = ""; cr = ""
                    for (r in repeats)
                        if ((r, z[i], s[j]) in time_of && (r, z[i], "floor") in time_of && time_of[r, z[i], "floor"] > 0) {
                            tr = tr " " time_of[r, z[i], s[j]] / time_of[r, z[i], "floor"]
                            if (cpu_of[r, z[i], "floor"] > 0) cr = cr " " cpu_of[r, z[i], s[j]] / cpu_of[r, z[i], "floor"]
                        }
                    tratio = (tr == "") ? "–" : sprintf("%.2f", median(tr))
                    cratio = (cr == "") ? "–" : sprintf("%.2f", median(cr))
                    printf "| %s | %s | %s | %s–%s | %s | %.1f µs | %s | %.1f µs | %.1f µs | %d |\n", z[i], s[j],
                        ms(median(t[k])), ms(lo(t[k])), ms(hi(t[k])), tratio, median(c[k]) / 1000, cratio,
                        median(t[k]) / z[i], median(g[k]) / 1000, n[k]
                }
            }' "$FANOUT_RAW"
        bad=$(awk -F'\t' 'NR > 1 && ($9 != 0 || $4 == 0) { printf "- run %d, %s subscribers, %s: %s errors (left out)\n", $1 + 1, $2, $3, $9 }' "$FANOUT_RAW")
        if [[ -n "$bad" ]]; then
            echo
            echo "$bad"
            FAILED=1
        fi
    fi
    if has_section idle; then
        echo
        echo "## Memory per idle connection"
        echo
        echo "One server at a time; $IDLE_CONNS connections that only do the handshake; (VmRSS with them open, a second after"
        echo "the last opened − VmRSS before) / connections; median over $IDLE_REPEATS run(s). The goal is at most 8 KB."
        echo
        echo "| server | bytes per connection (median) | min–max | ratio to floor | RSS before (KiB) | RSS after (KiB) |"
        echo "|---|---:|---:|---:|---:|---:|"
        awk -F'\t' -v servers="$IDLE_SERVERS" "$MEDIAN_AWK"'
            NR > 1 { b[$2] = b[$2] " " $6; before[$2] = before[$2] " " $4; after[$2] = after[$2] " " $5 }
            END {
                ns = split(servers, s, " ")
                floor_b = ("floor" in b) ? median(b["floor"]) : 0
                for (j = 1; j <= ns; j++) {
                    if (!(s[j] in b)) continue
                    m = median(b[s[j]])
                    ratio = (floor_b > 0) ? sprintf("%.2f", m / floor_b) : "–"
                    printf "| %s | %.0f (%.1f KB) | %.0f–%.0f | %s | %.0f | %.0f |\n", s[j], m, m / 1000, lo(b[s[j]]), hi(b[s[j]]),
                        ratio, median(before[s[j]]), median(after[s[j]])
                }
            }' "$IDLE_RAW"
    fi
} >"$REPORT"
cat "$REPORT"
log "raw results: $RAW $FANOUT_RAW $IDLE_RAW; generator outputs and server logs in $OUT/"
exit "$FAILED"
