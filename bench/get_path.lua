-- wrk script: the same GET again and again with fixed headers (an API key, a session token and
-- its id headers, or the Hosted Vault's cookie). Configured from the environment by
-- bench/hot_paths.py:
--   BENCH_HEADERS  "Name: value" lines, newline-separated
-- Counts every status other than 200 and prints one "BENCH_STATUS" line at the end.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

statuses = {} -- global: done() reads it from each thread
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

function response(status, _headers, _body)
  if status ~= 200 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(_summary, _latency, _requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(totals) do
    table.insert(parts, status .. "=" .. count)
  end
  io.write("BENCH_STATUS " .. table.concat(parts, ",") .. "\n")
end
