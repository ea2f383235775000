-- wrk script for bench/api.py: GET a path with an optional bearer token. args: token, path
function init(args)
  token = args[1]
  path = args[2]
end
request = function()
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", path, headers)
end
