-- `sum` of 1000 floats in one array, decoded into a `Vec<f64>` (about 7.8 KB).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local values = {}
for i = 0, 999 do
   values[#values + 1] = tostring((i % 97) * 0.125 + 0.125)
end
post('{"jsonrpc":"2.0","method":"sum","params":[[' .. table.concat(values, ", ") .. ']],"id":1}')
