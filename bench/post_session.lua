-- wrk script: POST /vault/sessions with the seed body, as an SDK sends it.
-- Configured from the environment by bench/sessions.py:
--   BENCH_BODY_FILE  the JSON body (the same for every target)
--   BENCH_API_KEY, BENCH_APP_ID  the application's credentials
--   BENCH_CONSUMERS  how many distinct consumer ids to cycle through
-- Counts every status other than 200 and prints one "BENCH_STATUS" line at the end.

local body_file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = body_file:read("*a")
body_file:close()
local api_key = os.getenv("BENCH_API_KEY") or "none"
local app_id = os.getenv("BENCH_APP_ID") or "none"
local consumers = tonumber(os.getenv("BENCH_CONSUMERS") or "1000")

local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

local counter = 0
statuses = {} -- global: done() reads it from each thread
local headers = {
  ["Authorization"] = "Bearer " .. api_key,
  ["x-apideck-app-id"] = app_id,
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json",
}

function init(_args)
  counter = tid * 7919
end

function request()
  counter = counter + 1
  headers["x-apideck-consumer-id"] = "bench-consumer-" .. (counter % consumers)
  return wrk.format("POST", "/vault/sessions", headers, body)
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
