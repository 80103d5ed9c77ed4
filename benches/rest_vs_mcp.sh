#!/usr/bin/env bash
# Context7's REST API (GET /api/v2/context) against MCP query-docs on the same
# server, 32 clients each, cached (the queries repeat) and uncached (every
# query text new); prints throughput, p50/p99 and statuses for the four runs.
#
#   TWINMCP_BENCH_DATA=<data dir with indexed libraries> \
#   TWINMCP_BENCH_QUERIES=<file: library-id TAB query, one per line> \
#   bash benches/rest_vs_mcp.sh [binary]        # default target/release/twinmcp
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/twinmcp}"
data="${TWINMCP_BENCH_DATA:?set TWINMCP_BENCH_DATA to a data dir}"
export QUERIES_FILE="${TWINMCP_BENCH_QUERIES:?set TWINMCP_BENCH_QUERIES}"
duration="${DURATION:-15s}"
port="${PORT:-7795}"
url="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
source benches/http/common.sh
copy_data "$data"

start
RUN_TAG=warm UNCACHED=1 wrk -t2 -c2 -d5s -s benches/http/rest.lua "$url" >/dev/null

for uncached in 0 1; do
    label=$([[ $uncached == 1 ]] && echo uncached || echo cached)
    echo "== MCP query-docs, 32 clients, $duration, $label"
    MCP_SESSIONS=$(sessions 32) RUN_TAG="mcp" UNCACHED=$uncached \
        wrk -t32 -c32 -d"$duration" --latency -s benches/http/load.lua "$url" | grep -E "^(latency|requests|status)"
    echo "== REST /api/v2/context, 32 clients, $duration, $label"
    RUN_TAG="rest" UNCACHED=$uncached wrk -t32 -c32 -d"$duration" --latency -s benches/http/rest.lua "$url" \
        | grep -E "^(latency|requests|status)"
done
