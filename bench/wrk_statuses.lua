-- Shared by the wrk scripts (they dofile it): numbers the threads (each gets a "tid"), counts
-- every status other than 200 and prints one "BENCH_STATUS 404=3,500=1" line at the end, which
-- bench/sessions.py's parse_wrk_output reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

statuses = {} -- global: done() reads it from each thread

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
