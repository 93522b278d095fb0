"""jsonrpclib-pelix's own ServerProxy against the calculator server, unchanged.

It calls the XML-RPC introspection methods as pelix's clients do
(`server.system.listMethods()`, positional params over HTTP POST) and checks
the answers have the shapes Python's XML-RPC server, which pelix's server
builds on, gives them.

Usage: python pelix_client.py PORT   (exit status 0: every check held)
"""

import sys

from jsonrpclib import ProtocolError, ServerProxy


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: expected {expected!r}, got {got!r}")
    print(f"ok  {what}")


def main(port):
    server = ServerProxy(f"http://127.0.0.1:{port}/")
    methods = server.system.listMethods()
    check("system.listMethods is sorted", methods, sorted(methods))
    for name in ("math.add", "math.total", "system.listMethods", "rpc.discover"):
        check(f"system.listMethods lists {name}", name in methods, True)
    check(
        "system.methodHelp of a method",
        server.system.methodHelp("math.add"),
        "Adds two integers; fails on overflow.",
    )
    check("system.methodHelp of an unknown name", server.system.methodHelp("nope"), "")
    check(
        "system.methodSignature of a method",
        server.system.methodSignature("math.add"),
        [["int", "int", "int"]],
    )
    check(
        "system.methodSignature of an alias",
        server.system.methodSignature("math.total"),
        [["double", "array"]],
    )
    check(
        "system.methodSignature of an unknown name",
        server.system.methodSignature("nope"),
        "signatures not supported",
    )
    check("a call", server.math.add(40, 2), 42)
    try:
        server.math.div(1, 0)
        raise SystemExit("math.div(1, 0) did not fail")
    except ProtocolError as error:
        code, message, data = error.args[0]
        check("an error's code and message", (code, message), (2, "division by zero"))


if __name__ == "__main__":
    main(int(sys.argv[1]))
