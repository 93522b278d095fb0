#!/usr/bin/env bash
# Fan-out through Redis against fan-out in memory, on this machine.
#
# Through Redis: a redis-server of its own (loopback, no persistence), three
# `ws_bench server ours <port> <redis_url>` processes (rpc_http::Server,
# production defaults, topics with an rpc_redis::RedisBroker), SUBSCRIBERS
# WebSocket subscribers spread evenly over the three, one publisher on the
# first. In memory: one `ws_bench server ours <port>` with all SUBSCRIBERS.
# Each publish is timed from just before it is written to the moment the
# last subscriber has it (tests/benches/ws_bench/fanout.rs); ROUNDS
# publishes, one at a time. Nothing is pinned: the servers, Redis and the
# generator share the machine's cores.
#
# Environment (defaults): SUBSCRIBERS=9000 ROUNDS=15 PORT=39650
#   WS_BENCH=path (use this ws_bench binary instead of building one)
#   OUT=target/redis-fanout (the build log and the binary's private copy)
#
# Prints two FANOUT_RESULT lines (Redis, then memory); deliveries per second
# are SUBSCRIBERS / median time to last.
set -euo pipefail
cd "$(dirname "$0")/.."

SUBSCRIBERS=${SUBSCRIBERS:-9000}
ROUNDS=${ROUNDS:-15}
PORT=${PORT:-39650}
command -v redis-server >/dev/null || { echo "redis_fanout: no redis-server (run scripts/setup.sh)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

OUT=${OUT:-target/redis-fanout}
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
need jq jq
mkdir -p "$OUT"
bench_binary ws_bench WS_BENCH
WS_BENCH=$BENCH_EXE

dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

# Waits until something listens on port $1.
listening() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "redis_fanout: nothing listens on port $1" >&2
    exit 1
}

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)
listening "$PORT"
urls=""
for k in 1 2 3; do
    "$WS_BENCH" server ours $((PORT + k)) "redis://127.0.0.1:$PORT" &
    pids+=($!)
    listening $((PORT + k))
    urls="${urls:+$urls,}ws://127.0.0.1:$((PORT + k))/"
done
echo "through Redis: 3 processes, $SUBSCRIBERS subscribers in all"
"$WS_BENCH" fanout "$urls" "$SUBSCRIBERS" "$ROUNDS"

"$WS_BENCH" server ours $((PORT + 4)) &
pids+=($!)
listening $((PORT + 4))
echo "in memory: 1 process, $SUBSCRIBERS subscribers"
"$WS_BENCH" fanout "ws://127.0.0.1:$((PORT + 4))/" "$SUBSCRIBERS" "$ROUNDS"
