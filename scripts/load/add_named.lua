-- One `add` call with named params.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

post([[{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":1}]])
