-- `echo` of a 4096-character ASCII string.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

post('{"jsonrpc":"2.0","method":"echo","params":["' .. string.rep("a", 4096) .. '"],"id":1}')
