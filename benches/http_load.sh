#!/usr/bin/env bash
# Load benchmark of `serve --http` on loopback with wrk: 32 connections
# calling query-docs for 60 s over one MCP session, then a key limited to
# 120/min hammered for 20 s (every answer must be a 200 or a 429, and the
# 200s exactly what the bucket allows).
#
#   TWINMCP_BENCH_DATA=<data dir with indexed libraries> \
#   TWINMCP_BENCH_QUERIES=<file: library-id TAB query, one per line> \
#   bash benches/http_load.sh [binary]          # default target/release/twinmcp
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/twinmcp}"
data="${TWINMCP_BENCH_DATA:?set TWINMCP_BENCH_DATA to a data dir}"
export QUERIES_FILE="${TWINMCP_BENCH_QUERIES:?set TWINMCP_BENCH_QUERIES}"
duration="${DURATION:-60s}"
port="${PORT:-7791}"
url="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
source benches/http/common.sh
copy_data "$data"

echo "== 32 connections, $duration, no key"
start
# Warm the model and the indexes once, as a running server would be.
MCP_SESSION=$(session) API_KEY="" wrk -t2 -c2 -d5s -s benches/http/load.lua "$url" >/dev/null
MCP_SESSION=$(session) API_KEY="" wrk -t2 -c32 -d"$duration" --latency -s benches/http/load.lua "$url" \
    | grep -E "^(latency|requests|status|200s)"
kill $server; wait $server 2>/dev/null || true

echo "== a key limited to 120/min, 8 connections, 20 s"
key=$("$bin" --data-dir "$work/data" keys create --name bench --rate 120/min 2>/dev/null)
start
MCP_SESSION=$(session "$key") API_KEY="$key" wrk -t2 -c8 -d20s -s benches/http/load.lua "$url" \
    | grep -E "^(requests|status|200s)"
echo "(expected: 120 + 20 s x 2/s - 2 = 158 answers of 200, the initialize and its notification taking two tokens; the rest 429)"
