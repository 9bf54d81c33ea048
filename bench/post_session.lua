-- wrk script: POST /vault/sessions with the seed body, as an SDK sends it.
-- Configured from the environment by bench/sessions.py:
--   BENCH_BODY_FILE  the JSON body (the same for every target)
--   BENCH_API_KEY, BENCH_APP_ID  the application's credentials
--   BENCH_CONSUMERS  how many distinct consumer ids to cycle through
-- Statuses other than 200 are counted by wrk_statuses.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_statuses.lua")

local body_file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = body_file:read("*a")
body_file:close()
local api_key = os.getenv("BENCH_API_KEY") or "none"
local app_id = os.getenv("BENCH_APP_ID") or "none"
local consumers = tonumber(os.getenv("BENCH_CONSUMERS") or "1000")

local counter = 0
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
