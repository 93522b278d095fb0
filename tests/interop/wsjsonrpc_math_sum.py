"""wsjsonrpc's README clients, as written there, against the ported math.sum server.

Usage: python wsjsonrpc_math_sum.py PORT   (exit status 0: every check held)
"""

import sys

from twisted.internet import defer, task
from wsjsonrpc import factory


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: expected {expected!r}, got {got!r}")
    print(f"ok  {what}")


@defer.inlineCallbacks
def main(reactor, port):
    protocol = yield factory.get_client(hostname="localhost", port=int(port), path=u"wsjsonrpc")

    # "This client calls that remote math.sum method"
    result = yield protocol.request("math.sum", [1, 2])
    check("math.sum [1, 2]", result, 3)
    check("math.sum {x, y}", (yield protocol.request("math.sum", {"x": 1, "y": 2})), 3)

    # "Batch requests": the batch context.
    with protocol.batchContext() as batch:
        batch.request("math.sum", [1, 2])
        batch.request("math.sum", [2, 3])
        batch.request("math.sum", [3, 4])
        batch.request("math.sum", [4, 5])
        df = batch.deferredList(consumeErrors=1)
    result = yield df
    check("batch context", result, [(True, 3), (True, 5), (True, 7), (True, 9)])

    # "A batch can be submitted without the context manager", with two notifications.
    batch = protocol.batch()
    df0 = batch.request("math.sum", [1, 2])
    df1 = batch.request("math.sum", [2, 3])
    batch.notify("math.sum", [3, 4])
    batch.notify("math.sum", [4, 5])
    df = defer.gatherResults(batch.deferreds, consumeErrors=1)
    batch.sendBatch()
    check("batch with notifications", (yield df), [3, 5])
    protocol.sendClose()


task.react(main, sys.argv[1:])
