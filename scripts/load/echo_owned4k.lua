-- `echo_owned` of a 4096-character ASCII string, decoded into an owned `String`.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

post('{"jsonrpc":"2.0","method":"echo_owned","params":["' .. string.rep("a", 4096) .. '"],"id":1}')
