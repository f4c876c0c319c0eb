-- wrk script: POST 1,000-record batches of product events with unique ids (per thread and request).
-- Usage: WRITE_KEY=... wrk -t2 -c8 -d20s -s bench/wrk-records.lua http://127.0.0.1:PORT/api/v1/records
local counter = 0
local thread_id = 0
local batch = tonumber(os.getenv("BATCH") or "1000")
local key = os.getenv("WRITE_KEY")

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(tid or 0)
end

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    parts[i] = string.format(
      '{"type":"event","id":"w%d-%d-%d","timestamp":"2026-03-01T10:%02d:00+01:00","customerId":"c%d","name":"Feature Used","feature":"f%d","sessionId":"s%d-%d"}',
      tid or 0, counter, i, i % 60, i % 5000, i % 7, counter, i % 50)
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, "[" .. table.concat(parts, ",") .. "]")
end

function response(status, headers, body)
  if status ~= 200 then
    print("status " .. status .. ": " .. string.sub(body, 1, 200))
  end
end
