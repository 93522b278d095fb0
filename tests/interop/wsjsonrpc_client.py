"""wsjsonrpc's own client (Twisted/autobahn) against the ws_methods server.

Usage: python wsjsonrpc_client.py PORT   (exit status 0: every check held)
"""

import sys

from twisted.internet import defer, task
from wsjsonrpc import factory as wsfactory


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: expected {expected!r}, got {got!r}")
    print(f"ok  {what}")


@defer.inlineCallbacks
def main(reactor, port):
    protocol = yield wsfactory.get_client(hostname="127.0.0.1", port=int(port), path="/")
    protocol.factory.registerMethod("math.sum", lambda proto, x, y: x + y)
    check("sum", (yield protocol.request("sum", [1, 2, 3])), 6)
    before = yield protocol.request("get_update_count")
    with protocol.batchContext() as batch:
        batch.request("subtract", [5, 3])
        batch.request("subtract", {"minuend": 10, "subtrahend": 1})
        batch.notify("update", [1])
        answers = batch.deferredList(consumeErrors=1)
    check("batch", (yield answers), [(True, 2), (True, 9)])
    after = yield protocol.request("get_update_count")
    check("the batch's notification ran", after, before + 1)
    check("call_client answered by a wsjsonrpc method",
          (yield protocol.request("call_client", ["math.sum", [20, 22]])), 42)
    protocol.sendClose()


task.react(main, sys.argv[1:])
