"""The `websockets` library against the ws_methods server, frames by hand.

Usage: python websockets_client.py PORT   (exit status 0: every check held)
"""

import asyncio
import json
import sys

import websockets


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: expected {expected!r}, got {got!r}")
    print(f"ok  {what}")


async def main(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/") as ws:
        await ws.send(json.dumps([
            {"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1},
            {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
            {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        ]))
        answer = json.loads(await ws.recv())
        check("batch answer count", len(answer), 2)
        check("batch first", answer[0], {"jsonrpc": "2.0", "result": 19, "id": 1})
        check("batch unknown method", answer[1]["error"]["code"], -32601)

        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "update", "params": [1]}).encode())
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "get_data", "id": 2}).encode())
        check("binary frame answered after a notification", json.loads(await ws.recv()),
              {"jsonrpc": "2.0", "result": ["hello", 5], "id": 2})

        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "subscribe_ticks", "params": [3, 10], "id": 3}))
        first = json.loads(await ws.recv())
        check("the subscription id comes first", first["id"], 3)
        subscription = first["result"]
        for n in range(3):
            tick = json.loads(await ws.recv())
            check(f"tick {n}", tick, {"jsonrpc": "2.0", "method": "ticks",
                                     "params": {"subscription": subscription, "result": n}})
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "unsubscribe_ticks", "params": [subscription], "id": 4}))
        check("unsubscribe after the end", json.loads(await ws.recv())["result"], False)


asyncio.run(main(int(sys.argv[1])))
