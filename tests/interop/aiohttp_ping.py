"""aiohttp-json-rpc's README client, as written there, against the ported ping server.

Usage: python aiohttp_ping.py PORT   (exit status 0: every check held)
"""

import asyncio
import sys

from aiohttp_json_rpc import JsonRpcClient


async def ping_json_rpc(port):
    """Connect to ws://localhost:PORT/rpc, call ping() and disconnect."""
    rpc_client = JsonRpcClient()
    try:
        await rpc_client.connect('localhost', port, '/rpc')
        call_result = await rpc_client.call('ping')
        print(call_result)  # prints 'pong' (if that's return val of ping)
        if call_result != 'pong':
            raise SystemExit(f"ping: expected 'pong', got {call_result!r}")
        methods = await rpc_client.get_methods()
        if sorted(methods) != ['get_methods', 'ping']:
            raise SystemExit(f"get_methods: got {methods!r}")
        print("ok  ping and get_methods")
    finally:
        await rpc_client.disconnect()


asyncio.run(ping_json_rpc(int(sys.argv[1])))
