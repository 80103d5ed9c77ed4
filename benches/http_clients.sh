#!/usr/bin/env bash
# Concurrency benchmark of `serve --http` on loopback: uncached query-docs
# calls (every query text new) from 1, 8 and 32 clients, each client with its
# own MCP session, DURATION each; prints throughput, p50/p99 and errors per
# level, and the 32-client throughput as a multiple of the one-client figure.
#
#   TWINMCP_BENCH_DATA=<data dir with indexed libraries> \
#   TWINMCP_BENCH_QUERIES=<file: library-id TAB query, one per line> \
#   bash benches/http_clients.sh [binary]        # default target/release/twinmcp
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/twinmcp}"
data="${TWINMCP_BENCH_DATA:?set TWINMCP_BENCH_DATA to a data dir}"
export QUERIES_FILE="${TWINMCP_BENCH_QUERIES:?set TWINMCP_BENCH_QUERIES}"
duration="${DURATION:-20s}"
port="${PORT:-7792}"
url="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
source benches/http/common.sh
copy_data "$data"

start
# Warm the model and the indexes once, as a running server would be.
MCP_SESSIONS=$(sessions 2) RUN_TAG=warm UNCACHED=1 wrk -t2 -c2 -d5s -s benches/http/load.lua "$url" >/dev/null

declare -A rate
for clients in 1 8 32; do
    echo "== $clients clients, $duration, uncached"
    out=$(MCP_SESSIONS=$(sessions "$clients") RUN_TAG="c$clients" UNCACHED=1 \
        wrk -t"$clients" -c"$clients" -d"$duration" --latency -s benches/http/load.lua "$url")
    printf '%s\n' "$out" | grep -E "^(latency|requests|status|200s)"
    rate[$clients]=$(printf '%s\n' "$out" | sed -n 's/^requests .*: \([0-9.]*\)\/s.*/\1/p')
done
awk -v one="${rate[1]}" -v many="${rate[32]}" \
    'BEGIN { printf "32 clients / 1 client: %.2fx\n", many / one }'
