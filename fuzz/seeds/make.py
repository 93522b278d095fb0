#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/.

The seeds: the examples of section 7 of the JSON-RPC 2.0 specification, the
conformance cases the tests hold (ids, params, batches, bad JSON, limits),
and for the server targets the same bodies in HTTP/1 and HTTP/2 requests and
WebSocket frames. Run it again after changing it: `python3 fuzz/seeds/make.py`.
"""

import hashlib
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")

# Section 7 of the specification, as sent there.
SPEC = [
    '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}',
    '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}',
    '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
    '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
    '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}',
    '{"jsonrpc": "2.0", "method": "foobar"}',
    '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}',
    '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
    '{"jsonrpc": "2.0", "method": 1, "params": "bar"}',
    '[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]',
    "[]",
    "[1]",
    "[1,2,3]",
    '[\n {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n'
    ' {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},\n'
    ' {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},\n'
    ' {"foo": "boo"},\n'
    ' {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},\n'
    ' {"jsonrpc": "2.0", "method": "get_data", "id": "9"}\n]',
    '[\n {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},\n'
    ' {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}\n]',
]

# The fuzz router's methods (fuzz_targets/common.rs), and edge cases of the parser.
CONFORMANCE = [
    '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}',
    '{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":"x"}',
    '{"jsonrpc":"2.0","method":"add","params":[9223372036854775807,1],"id":1}',
    '{"jsonrpc":"2.0","method":"add","params":[1]}',
    '{"jsonrpc":"2.0","method":"echo","params":{"s":"\\u00e9\\n","n":[1.5e3,-0,true,null]},"id":null}',
    '{"jsonrpc":"2.0","method":"greet","params":["w\\u00f6rld"],"id":7}',
    '{"jsonrpc":"2.0","method":"greet","params":{"name":"x"},"id":1e3}',
    '{"jsonrpc":"2.0","method":"boom","id":2}',
    '{"id":"a","params":[],"method":"add","jsonrpc":"2.0","extra":{"deep":[1]}}',
    '{"jsonrpc":"2.0","method":"a\\u0064d","params":[1,2],"id":1}',
    '{"jsonrpc":"2.0","method":"add","id":1,"id":2}',
    '{"jsonrpc":"1.0","method":"add","id":1}',
    '{"jsonrpc":"2.0","method":"add","params":1,"id":1}',
    '{"jsonrpc":"2.0","method":"add","id":true}',
    '{"jsonrpc":"2.0","method":"add","params":[1,],"id":1}',
    '{"jsonrpc":"2.0","method":"add","params":[[[[[[1]]]]]],"id":1}',
    '[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},{"jsonrpc":"2.0","method":"greet","params":["a"],"id":2},{"jsonrpc":"2.0","method":"add"}]',
    '{"jsonrpc":"2.0","method":"m","id":1,"\\ud800":1e400}',
    '1e400',
    '"\\udc00"',
    " \n\t{\"jsonrpc\" : \"2.0\" , \"method\" : \"add\" , \"params\" : [ 1 , 2 ] , \"id\" : -1.5E+3 } \r\n",
]

PARAMS = [
    "", "[]", "{}", "[1,2]", '{"a":1,"b":2}', '{"b":2,"a":1}', "[1]", '{"a":1}',
    '["x",null]', '["a\\nb","c"]', '["s",[1,2,3],true]', '{"c":false,"b":[],"a":""}',
    "[1.5,null,255]", "[1.5,2.5,256]", "[null,null,null]", '{"a":"x","c":true}',
    '[{"k":[1,{"x":null}]}]', '[{"x":1,"y":2},[{"x":3,"y":4}]]', '{"a":{"x":1,"y":2}}',
    '[18446744073709551615,-128,"\\u00e9",[1,"x"]]', '[1,2,3]', '{"a":1,"a":2}',
    '{"a":1,"z":2}', "[9223372036854775808]", "[-9223372036854775809]", '["\\ud800"]',
]

RESPONSES = [
    '{"jsonrpc":"2.0","result":19,"id":1}',
    '{"jsonrpc":"2.0","result":{"a":[1,2]},"id":1}',
    '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}',
    '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":"x"},"id":null}',
    '{"jsonrpc":"2.0","result":19,"id":2}',
    '{"jsonrpc":"2.0","result":19,"id":"1"}',
    '{"id":1,"result":null,"jsonrpc":"2.0"}',
    '[{"jsonrpc":"2.0","result":[1],"id":2},{"jsonrpc":"2.0","result":5,"id":3}]',
    '[{"jsonrpc":"2.0","result":5,"id":3},{"jsonrpc":"2.0","error":{"code":1,"message":"x"},"id":2}]',
    '[{"jsonrpc":"2.0","result":5,"id":3}]',
    '[{"jsonrpc":"2.0","result":5,"id":3},{"jsonrpc":"2.0","result":5,"id":3}]',
    '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}',
    '{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":""},"id":1}',
    '{"jsonrpc":"2.0","result":5,"id":2,"id":1}', "[]", "", "null",
]


def http1(body, path="/", method="POST", headers=(("Content-Type", "application/json"),)):
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    data = body.encode()
    if method == "POST":
        head += f"Content-Length: {len(data)}\r\n"
    return head.encode() + b"\r\n" + data


def chunked(body):
    data = body.encode()
    half = len(data) // 2
    parts = [data[:half], data[half:]]
    out = b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    for part in parts:
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def h2_frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(name, value):
    # Literal header field without indexing, new name (RFC 7541, 6.2.2).
    out = b"\x00"
    for text in (name, value):
        raw = text.encode()
        out += bytes([len(raw)]) + raw
    return out


def http2(body):
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = h2_frame(4, 0, 0, b"")
    headers = (
        hpack_literal(":method", "POST") + hpack_literal(":scheme", "http")
        + hpack_literal(":path", "/") + hpack_literal(":authority", "localhost")
        + hpack_literal("content-type", "application/json")
    )
    data = body.encode()
    return (preface + settings + h2_frame(1, 0x4, 1, headers) + h2_frame(0, 0x1, 1, data)
            + h2_frame(3, 0, 1, b"\x00\x00\x00\x08"))


def ws_description(messages):
    """The websocket target's compact form: mode 1, then per frame a
    FIN/opcode byte, a length byte and the payload."""
    out = b"\x01"
    for opcode, payload in messages:
        out += bytes([opcode, min(len(payload), 255)]) + payload[:255]
    return out


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(folder, f"seed-{name}-{digest}"), "wb") as out:
        out.write(data)


def main():
    messages = SPEC + CONFORMANCE
    for i, message in enumerate(messages):
        write("message", f"m{i:02}", message.encode())
    for i, params in enumerate(PARAMS):
        for shape in range(10):
            write("params", f"p{i:02}-s{shape}", bytes([shape, i % 2]) + params.encode())
    for i, response in enumerate(RESPONSES):
        write("client", f"r{i:02}", response.encode())
    for i, message in enumerate(messages):
        write("http", f"h1-{i:02}", http1(message))
    write("http", "h1-api", http1(CONFORMANCE[0], path="/api"))
    write("http", "h1-get", http1("", path="/add?a=1&b=2", method="GET"))
    write("http", "h1-options", http1("", method="OPTIONS"))
    write("http", "h1-gzip", http1(CONFORMANCE[0], headers=(("Content-Encoding", "gzip"),)))
    write("http", "h1-cors", http1(CONFORMANCE[0], headers=(("Origin", "https://a.example"), ("Accept-Encoding", "gzip"))))
    write("http", "h1-text", http1(CONFORMANCE[0], headers=(("Content-Type", "text/plain"),)))
    write("http", "h1-chunked", chunked(CONFORMANCE[0]))
    write("http", "h1-te-gzip", chunked(CONFORMANCE[0]).replace(b"chunked", b"gzip, chunked"))
    write("http", "h1-no-host", http1(CONFORMANCE[0]).replace(b"Host: localhost\r\n", b""))
    write("http", "h1-pipelined", http1(CONFORMANCE[0]) + http1(CONFORMANCE[4]) + http1(SPEC[4]))
    for i, message in enumerate(messages[:8]):
        write("http", f"h2-{i:02}", http2(message))
    for i, message in enumerate(messages):
        write("websocket", f"text-{i:02}", ws_description([(0x81, message.encode())]))
    write("websocket", "fragments", ws_description([(0x01, CONFORMANCE[0][:10].encode()), (0x80, CONFORMANCE[0][10:].encode())]))
    write("websocket", "binary", ws_description([(0x82, CONFORMANCE[1].encode())]))
    write("websocket", "ping-close", ws_description([(0x89, b"hi"), (0x81, CONFORMANCE[5].encode()), (0x88, b"\x03\xe8bye")]))
    write("websocket", "bad-utf8", ws_description([(0x81, b"\xff\xfe")]))
    write("websocket", "raw-empty", b"\x00")


if __name__ == "__main__":
    main()
