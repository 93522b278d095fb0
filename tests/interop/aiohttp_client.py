"""aiohttp-json-rpc's own client against the ws_methods server, unchanged.

Usage: python aiohttp_client.py PORT   (exit status 0: every check held)
"""

import asyncio
import sys

from aiohttp_json_rpc import JsonRpcClient
from aiohttp_json_rpc.exceptions import RpcError


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: expected {expected!r}, got {got!r}")
    print(f"ok  {what}")


async def main(port):
    client = JsonRpcClient()
    await client.connect("127.0.0.1", port, "/")
    try:
        methods = await client.get_methods()
        for name in ("get_methods", "subscribe", "publish", "subtract"):
            check(f"get_methods lists {name}", name in methods, True)
        check("get_topics", sorted(await client.get_topics()), ["news", "private"])

        received = asyncio.get_running_loop().create_future()

        async def on_news(message):
            if not received.done():
                received.set_result(message)

        # The client sends the topic as a bare string: the server's opt-in.
        check("subscribe news", await client.subscribe("news", on_news), ["news"])
        check("get_subscriptions", await client.get_subscriptions(), ["news"])
        check("publish", await client.call("publish", ["news", {"headline": "hi"}]), 1)
        message = await asyncio.wait_for(received, 5)
        check("topic message method", message["method"], "news")
        check("topic message params", message["params"], {"headline": "hi"})

        # Guarded topic: left out until logged in.
        check("subscribe private logged out", await client.subscribe("private", on_news), ["news"])
        check("login", await client.call("login", ["alice", "wonderland"]), True)
        check("subscribe private logged in", sorted(await client.subscribe("private", on_news)), ["news", "private"])
        check("whoami", await client.call("whoami"), "alice")
        try:
            await client.call("admin_only")
            raise SystemExit("admin_only: expected an error for alice")
        except RpcError as error:
            print(f"ok  admin_only refused: {error}")
        check("unsubscribe", await client.unsubscribe("news"), ["private"])

        # A call from the server, answered by a method of this client.
        async def double(params):
            return params[0] * 2

        client.add_methods(("", double))
        check("call_client answered by the client", await client.call("call_client", ["double", [21]]), 42)
    finally:
        await client.disconnect()


asyncio.run(main(int(sys.argv[1])))
