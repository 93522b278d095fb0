#!/usr/bin/env bash
# Fails when serving a request calls memcmp, bcmp or memset with the
# dangling pointer of an empty allocation (an empty Box<str>, String or Vec,
# passed with length 0).
#
# Such a call is correct and looks free, and is not: glibc's AVX-512
# versions load (or store) through the pointer under an all-zero mask, and
# on an unmapped page the CPU takes a fault-suppression assist, about 40 ns
# for memcmp and 80 ns for memset on AMD EPYC against 2 ns on a mapped page.
# Callgrind does not see it (it counts the same instructions either way, and
# glibc picks its AVX2 versions under valgrind). One such memcmp per request,
# comparing the root mount's empty path, cost the HTTP server 3% of its rate.
#
# The HTTP load server (`ours`, production defaults) and the WebSocket bench
# server run with scripts/probe/zero_length.c preloaded; the count starts
# once they are up, then every kind of request is sent: each load workload,
# a CORS preflight, both layers, a gzip-encoded body, OPTIONS, GET, errors,
# the start of an HTTP/2 connection; over WebSocket calls, batches and a
# fan-out. Any call on the first page is reported with its source line
# (addr2line) and fails the run. The binaries are the bench builds (`cargo
# bench --no-run`), as CI has them; the script needs gcc and Python.
# LOAD_SERVER=path and WS_BENCH=path probe other builds of the two servers.
#
# Usage: scripts/zero_length_probe.sh        (OUT=target/zero_length_probe)
set -euo pipefail

cd "$(dirname "$0")/.."

OUT=${OUT:-target/zero_length_probe}
PORT=${PORT:-39600}

# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

command -v gcc >/dev/null || die "gcc is needed to build the probe"
command -v python3 >/dev/null || die "python3 is needed to send the requests"
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
PROBE="$OUT/zero_length.so"
gcc -O2 -Wall -Wextra -shared -fPIC scripts/probe/zero_length.c -o "$PROBE" -ldl
# The executable of bench target $1, built if it is not (cargo's JSON
# messages read with Python: no jq on a clean machine).
bench_executable() {
    cargo bench -p tests --bench "$1" --no-run --message-format=json 2>"$OUT/build-$1.log" |
        python3 -c '
import json, sys
found = ""
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == sys.argv[1] and message.get("executable"):
        found = message["executable"]
print(found)' "$1"
}
LOAD_SERVER_EXE=${LOAD_SERVER:-$(bench_executable load_server)}
WS_BENCH_EXE=${WS_BENCH:-$(bench_executable ws_bench)}
[[ -x "$LOAD_SERVER_EXE" ]] || die "no load_server executable; see $OUT/build-load_server.log"
[[ -x "$WS_BENCH_EXE" ]] || die "no ws_bench executable; see $OUT/build-ws_bench.log"

SERVER=
cleanup() {
    if [[ -n "$SERVER" ]]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# A server with the probe preloaded; its pid in SERVER once it accepts.
start_probed() { # report port command...
    local report=$1 port=$2
    shift 2
    rm -f "$report"
    ZERO_LENGTH_REPORT=$report LD_PRELOAD=$PROBE "$@" >>"$OUT/server.log" 2>&1 &
    SERVER=$!
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$SERVER" 2>/dev/null || die "the server exited at start; see $OUT/server.log"
        python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' \
            "$port" 2>/dev/null && break
        sleep 0.05
    done
    ((i < 200)) || die "the server on port $port did not start; see $OUT/server.log"
    grep -q zero_length.so "/proc/$SERVER/maps" || die "the probe is not loaded in the server; see $OUT/server.log"
    # Start-up is not what is checked: the count starts now.
    kill -USR1 "$SERVER"
}

# Stops the server, and fails with the call sites if it made any such call.
check_report() { # report what
    local report=$1 what=$2
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
    [[ -f "$report" ]] || die "no report from the $what server ($report); see $OUT/server.log"
    local calls dangling
    read -r _ calls _ dangling <"$report" || die "an empty report from the $what server ($report)"
    ((calls > 0)) || die "the probe saw no call at all in the $what server; is it preloaded?"
    if ((dangling > 0)); then
        log "$what: $dangling of $calls calls to memcmp/bcmp/memset were given a dangling pointer:"
        local count object offset
        while read -r count object offset; do
            log "  $count calls from $(addr2line -f -C -i -e "$object" "$offset" 2>/dev/null | paste -sd ' ' || echo "$object $offset")"
        done < <(tail -n +2 "$report")
        die "compare or fill empty data without the call (check the length first)"
    fi
    log "$what: $calls calls to memcmp/bcmp/memset, none with a dangling pointer"
}

# HTTP: every load workload, then the other ways a request can go.
BODIES="$OUT/bodies"
mkdir -p "$BODIES"
for workload in add_positional add_named batch10 echo4k echo_owned4k sum1000 notification; do
    "$LOAD_SERVER_EXE" body "$workload" >"$BODIES/$workload.json"
done
start_probed "$OUT/http.report" "$PORT" "$LOAD_SERVER_EXE" ours "$PORT"
python3 - "$PORT" "$BODIES" <<'PY' || die "a request to the HTTP server failed"
import gzip, http.client, os, socket, sys

port, bodies = int(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

def request(method, path="/", body=None, headers=None, expect=(200,)):
    headers = dict(headers or {})
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status not in expect:
        sys.exit(f"{method} {path} {headers}: status {response.status}, expected {expect}")

add = b'{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}'
for name in sorted(os.listdir(bodies)):
    body = open(os.path.join(bodies, name), "rb").read()
    for _ in range(100):
        request("POST", body=body, expect=(200, 204))
for _ in range(20):
    request("POST", body=add, headers={"Origin": "http://app.example"})
    request("OPTIONS", headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}, expect=(200, 204))
    request("OPTIONS", expect=(200, 204))
    request("POST", body=add, headers={"Accept-Encoding": "gzip"})
    request("POST", body=gzip.compress(add), headers={"Content-Encoding": "gzip"})
    # The GET fallback is off by default: refused, through its own path.
    request("GET", "/?method=add&params=%5B1%2C2%5D&id=1", expect=(200, 405))
    request("POST", body=b'{"jsonrpc":"2.0","method":"nope","id":1}')
    request("POST", body=b'{"jsonrpc":"2.0","method":"add","params":{"a":1},"id":1}')
    request("POST", body=b'{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1', expect=(200, 400))
    request("POST", body=b"[]", expect=(200, 400))
    request("POST", body=add, headers={"Content-Type": "text/plain"}, expect=(415,))
    request("POST", "/elsewhere", body=add, expect=(404, 405))
    request("PUT", body=add, expect=(405,))

# HTTP/2 with prior knowledge: the preface and an empty SETTINGS frame, then
# read until the server's SETTINGS arrive (hyper's HTTP/2 connection is up).
h2 = socket.create_connection(("127.0.0.1", port), timeout=10)
h2.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
if not h2.recv(9):
    sys.exit("no answer to an HTTP/2 preface")
h2.close()
PY
check_report "$OUT/http.report" HTTP

# WebSocket: calls, batches and a fan-out, from the bench's own generator.
WS_PORT=$((PORT + 1))
start_probed "$OUT/ws.report" "$WS_PORT" "$WS_BENCH_EXE" server ours "$WS_PORT"
for workload in add echo4k batch10; do
    "$WS_BENCH_EXE" load "ws://127.0.0.1:$WS_PORT/" "$workload" 4 4 1 >>"$OUT/generator.log" 2>&1 ||
        die "the WebSocket $workload load failed; see $OUT/generator.log"
done
"$WS_BENCH_EXE" fanout "ws://127.0.0.1:$WS_PORT/" 10 10 >>"$OUT/generator.log" 2>&1 ||
    die "the WebSocket fan-out failed; see $OUT/generator.log"
check_report "$OUT/ws.report" WebSocket
