-- A batch of ten positional `add` calls, ids 1 to 10.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local entries = {}
for id = 1, 10 do
   entries[id] = string.format('{"jsonrpc":"2.0","method":"add","params":[1,2],"id":%d}', id)
end
post("[" .. table.concat(entries, ",") .. "]")
