-- wrk script: the same GET again and again with fixed headers (an API key, a session token and
-- its id headers, or the Hosted Vault's cookie). Configured from the environment by
-- bench/hot_paths.py:
--   BENCH_HEADERS  "Name: value" lines, newline-separated
-- Statuses other than 200 are counted by wrk_statuses.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_statuses.lua")

local headers = {}
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    headers[name] = value
  end
end

local prepared = nil

function request()
  if prepared == nil then
    prepared = wrk.format("GET", nil, headers)
  end
  return prepared
end
