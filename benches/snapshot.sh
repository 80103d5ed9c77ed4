#!/usr/bin/env bash
# Snapshot export and import: time (median of 5) and file size, for one
# library of an indexed data dir; then query latency and serve start-up
# from the snapshot vs from the data dir (benches/query.rs both ways).
#
#   TWINMCP_MODEL=<model> TWINMCP_BENCH_DATA=<data dir> TWINMCP_BENCH_LIBRARY=/org/lib bash benches/snapshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TWINMCP_BENCH_DATA:?data dir}" "${TWINMCP_BENCH_LIBRARY:?library id}" "${TWINMCP_MODEL:?model dir}"
cargo build --release --quiet
bin=target/release/twinmcp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }

for i in 1 2 3 4 5; do
    seconds "$bin" --data-dir "$TWINMCP_BENCH_DATA" snapshot export "$TWINMCP_BENCH_LIBRARY" -o "$work/s.twinmcp"
done | median | xargs printf 'export: median %.3f s\n'
chunks=$("$bin" snapshot inspect --json "$work/s.twinmcp" | python3 -c 'import json,sys; print(sum(b["chunks"] for b in json.load(sys.stdin)["builds"]))')
size=$(stat -c %s "$work/s.twinmcp")
unpacked=$("$bin" snapshot inspect --json "$work/s.twinmcp" | python3 -c 'import json,sys; print(sum(p["size"] for p in json.load(sys.stdin)["parts"]))')
echo "chunks: $chunks; file: $size bytes ($((size * 10000 / chunks)) per 10k chunks); unpacked: $unpacked bytes"
for i in 1 2 3 4 5; do
    rm -rf "$work/import"
    seconds "$bin" --data-dir "$work/import" snapshot import "$work/s.twinmcp"
done | median | xargs printf 'import (incl. model check): median %.3f s\n'
for i in 1 2 3 4 5; do
    seconds "$bin" snapshot inspect --verify "$work/s.twinmcp"
done | median | xargs printf 'inspect --verify: median %.3f s\n'

echo "== query latency, from the data dir"
cargo bench --quiet --bench query 2>/dev/null
echo "== query latency, from the snapshot (serve --snapshot)"
TWINMCP_BENCH_SNAPSHOT="$work/s.twinmcp" cargo bench --quiet --bench query 2>/dev/null
