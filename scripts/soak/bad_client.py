#!/usr/bin/env python3
"""The bad client of scripts/soak.sh: for SECONDS, sends a mix of bad input
to the server at 127.0.0.1:PORT, one fresh connection each, and checks that
each kind gets the answer it should. Writes a JSON summary to OUT:

  {"sent": {kind: n}, "expected": {kind: n}, "unexpected": {kind: {answer: n}}}

Kinds and their expected answers:
  invalid_json      200, JSON-RPC -32700
  invalid_request   200, -32600
  unknown_method    200, -32601
  panicking_method  200, -32603
  deeply_nested     200, -32700 (nested deeper than the limit)
  oversized_claim   413 with -32600 (Content-Length over the 10 MiB limit, refused unread)
  oversized_body    413 with -32600 (a chunked body that passes 10 MiB; every 50th round)
  wrong_content_type 415 with -32600
  disconnect_mid_body  (half a body, then the client closes: no answer to read)
"""

import json
import socket
import sys
import time

HOST = "127.0.0.1"


def request(body, content_type="application/json", extra=b""):
    head = (
        f"POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body + extra


def answer_of(data):
    """`status` or `status code` from a raw response."""
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 "):
        return "no answer" if not data else "not HTTP"
    status = head[9:12].decode()
    try:
        code = json.loads(body)["error"]["code"]
        return f"{status} {code}"
    except (ValueError, KeyError, TypeError):
        return status


def exchange(port, payload, close_early=False):
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(payload)
        if close_early:
            return "closed"
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return answer_of(b"".join(chunks))


def oversized_body(port):
    """A chunked body that goes past the 10 MiB limit: 413, then close."""
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
        )
        piece = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        try:
            for _ in range(200):  # 12.5 MiB
                sock.sendall(piece)
        except OSError:
            pass  # refused and closed before the end: expected
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError:
            pass
        return answer_of(b"".join(chunks))


KINDS = [
    ("invalid_json", "200 -32700", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":'))),
    ("invalid_request", "200 -32600", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":1,"id":1}'))),
    ("unknown_method", "200 -32601", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":"nope","id":1}'))),
    ("panicking_method", "200 -32603", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":"boom","id":1}'))),
    ("deeply_nested", "200 -32700", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":"add","params":' + b"[" * 100_000 + b',"id":1}'))),
    ("oversized_claim", "413 -32600", lambda port: exchange(port, (
        f"POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {11 << 20}\r\nConnection: close\r\n\r\n{{"
    ).encode())),
    ("wrong_content_type", "415 -32600", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}', "text/plain"))),
    ("disconnect_mid_body", "closed", lambda port: exchange(port, request(b'{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}')[:-20], close_early=True)),
]


def main():
    port, seconds, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    sent, expected, unexpected = {}, {}, {}
    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline:
        kinds = list(KINDS)
        if rounds % 50 == 0:
            kinds.append(("oversized_body", "413 -32600", oversized_body))
        for kind, wanted, send in kinds:
            sent[kind] = sent.get(kind, 0) + 1
            try:
                got = send(port)
            except OSError as err:
                got = f"socket error: {err.__class__.__name__}"
            if got == wanted:
                expected[kind] = expected.get(kind, 0) + 1
            else:
                unexpected.setdefault(kind, {})
                unexpected[kind][got] = unexpected[kind].get(got, 0) + 1
        rounds += 1
        time.sleep(0.01)
    with open(out, "w") as summary:
        json.dump({"sent": sent, "expected": expected, "unexpected": unexpected}, summary, indent=1)


if __name__ == "__main__":
    main()
