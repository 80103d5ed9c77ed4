-- wrk script for benches/http_load.sh and benches/http_clients.sh: query-docs
-- calls over MCP sessions, cycling through the questions in QUERIES_FILE (one
-- "library<TAB>query" per line); counts responses by status and checks each
-- 200 carries a result. MCP_SESSIONS (comma-separated) gives each wrk thread
-- its own session, else all share MCP_SESSION; UNCACHED=1 makes every query
-- text new (a counter appended), so no answer or query vector is reused.
local queries = {}
local file = os.getenv("QUERIES_FILE")
for line in io.lines(file) do
  local lib, q = line:match("^([^\t]+)\t(.+)$")
  if lib then table.insert(queries, { lib, q }) end
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  bad_bodies = 0
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  local sessions = {}
  for s in (os.getenv("MCP_SESSIONS") or ""):gmatch("[^,]+") do table.insert(sessions, s) end
  wrk.headers["Mcp-Session-Id"] = sessions[id + 1] or os.getenv("MCP_SESSION")
  uncached = os.getenv("UNCACHED") == "1"
  -- Each wrk run gets its own tag: a later run must not repeat, and so
  -- find cached, the texts of an earlier one (the counter restarts).
  run_tag = os.getenv("RUN_TAG") or tostring(os.time())
  wrk.headers["Mcp-Protocol-Version"] = "2025-06-18"
  local key = os.getenv("API_KEY")
  if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end
  counter = id * 7919
end

local function escape(s)
  return (s:gsub('\\', '\\\\'):gsub('"', '\\"'))
end

function request()
  counter = counter + 1
  local item = queries[(counter % #queries) + 1]
  local query = item[2]
  if uncached then query = query .. " " .. run_tag .. "-" .. counter end
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"query-docs","arguments":{"libraryId":"%s","query":"%s","tokens":3000}}}',
    counter, item[1], escape(query))
  return wrk.format("POST", "/mcp", nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 and not body:find('"result"', 1, true) then
    bad_bodies = bad_bodies + 1
  end
end

function done(summary, latency, requests)
  local total = {}
  local bad = 0
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
    bad = bad + t:get("bad_bodies")
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
  io.write(string.format("200s without a JSON-RPC result: %d\n", bad))
end
