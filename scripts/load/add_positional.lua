-- One `add` call with positional params.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

post([[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}]])
