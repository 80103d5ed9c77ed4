-- wrk script for benches/rest_vs_mcp.sh: GET /api/v2/context calls (Context7's
-- REST API), cycling through QUERIES_FILE ("library<TAB>query" per line);
-- UNCACHED=1 makes every query text new. Counts responses by status.
local queries = {}
for line in io.lines(os.getenv("QUERIES_FILE")) do
  local lib, q = line:match("^([^\t]+)\t(.+)$")
  if lib then table.insert(queries, { lib, q }) end
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  statuses = {}
  uncached = os.getenv("UNCACHED") == "1"
  -- Each wrk run gets its own tag: a later run must not repeat, and so
  -- find cached, the texts of an earlier one (the counter restarts).
  run_tag = os.getenv("RUN_TAG") or tostring(os.time())
  local key = os.getenv("API_KEY")
  if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end
  counter = id * 7919
end

function request()
  counter = counter + 1
  local item = queries[(counter % #queries) + 1]
  local query = item[2]
  if uncached then query = query .. " " .. run_tag .. "-" .. counter end
  return wrk.format("GET", "/api/v2/context?tokens=3000&libraryId=" .. encode(item[1]) .. "&query=" .. encode(query))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  io.write(string.format("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("requests %d in %.1f s: %.1f/s; socket errors: connect %d, read %d, write %d, timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  for status, n in pairs(total) do
    io.write(string.format("status %d: %d\n", status, n))
  end
end
