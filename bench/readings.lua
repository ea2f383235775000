-- wrk script for bench/api.py: POST /v1/readings with `batch` readings per request, every
-- reading with a time no other request used (so nothing is a duplicate).
-- args: token, base POSIX time, batch size, path
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  token = args[1]
  base = tonumber(args[2])
  batch = tonumber(args[3])
  path = args[4]
end
request = function()
  counter = counter + 1
  local parts = {}
  for j = 0, batch - 1 do
    local t = base + (tid * 1000000 + counter) * batch + j
    parts[#parts + 1] = string.format('{"sensor_id":"28-%012x","time":"%s","value":20.5}', j % 8,
                                      os.date("!%Y-%m-%dT%H:%M:%SZ", t))
  end
  local body = '{"node_id":"bench-node","readings":[' .. table.concat(parts, ",") .. ']}'
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", path, headers, body)
end
