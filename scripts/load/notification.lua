-- An `add` notification (no id): the answer is an empty 200.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

post([[{"jsonrpc":"2.0","method":"add","params":[1,2]}]])
