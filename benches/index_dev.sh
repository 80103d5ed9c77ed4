#!/usr/bin/env bash
# Index build time of the six dev corpora (../shared/eval, fetched by
# .ci/eval into target/eval/corpora): each corpus indexed from scratch into an
# empty data dir, RUNS times (default 3); prints the median wall time, chunks,
# chunks/s, and the BM25-only time (--no-vectors: crawl, parse, chunk, write),
# which bounds what overlapping parsing with embedding could save.
#
#   TWINMCP_MODEL=<model dir> bash benches/index_dev.sh [corpora dir] [binary]
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${1:-target/eval/corpora}"
bin="${2:-target/release/twinmcp}"
runs="${RUNS:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Seconds for one index run into a fresh data dir; the summary line goes to $work/last.
timed_index() {
    local lib=$1
    shift
    rm -rf "$work/data"
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" --data-dir "$work/data" index "$corpora/$lib" --id "/dev/$lib" "$@" >"$work/last" 2>/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}

printf '%-8s %8s %10s %10s %12s\n' library chunks "index s" chunks/s "no-vectors s"
total=0
for lib in nodejs click flask axum clap tokio; do
    full=$(for _ in $(seq "$runs"); do timed_index "$lib"; done | median)
    chunks=$(grep -o '[0-9]* chunks' "$work/last" | head -1 | cut -d' ' -f1)
    bm25=$(for _ in $(seq "$runs"); do timed_index "$lib" --no-vectors; done | median)
    printf '%-8s %8d %10.2f %10.1f %12.2f\n' "$lib" "$chunks" "$full" "$(echo "$chunks / $full" | bc -l)" "$bm25"
    total=$(echo "$total + $full" | bc)
done
printf 'all six: %.1f s (medians of %d runs)\n' "$total" "$runs"
