#!/usr/bin/env bash
# Incremental re-indexing benchmark: a generated git repository of FILES
# Markdown files (default 1000) is indexed from scratch, then one file is
# changed and committed and the repository indexed again. Prints both times
# and their ratio; the model must be installed (TWINMCP_MODEL).
#
#   TWINMCP_MODEL=<model dir> bash benches/reindex.sh [binary]   # default target/release/twinmcp
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/twinmcp}"
files="${FILES:-1000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo"
python3 - "$repo" "$files" <<'PY'
import random, sys, pathlib
root, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
words = ("queue worker retry backoff schedule cron lease timeout payload batch priority "
         "shutdown signal drain metric latency throughput shard replica index cursor page "
         "token budget cache eviction snapshot restore migrate schema column table row").split()
for i in range(n):
    body = []
    for s in range(2):
        para = " ".join(rng.choice(words) for _ in range(60))
        body.append(f"## Topic {i}.{s}\n\n{para.capitalize()}.\n\n```sh\nlanternfish run --job {i} --step {s}\n```\n")
    path = root / "docs" / f"area{i % 20}" / f"page{i}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Page {i}\n\n" + "\n".join(body))
(root / "README.md").write_text("# Generated\n\nA generated repository for the re-index benchmark.\n")
PY
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qm initial

data="$work/data"
"$bin" --data-dir "$data" model install "$TWINMCP_MODEL" >/dev/null
t0=$(date +%s.%N)
"$bin" --data-dir "$data" index "$repo" --id /bench/generated
t1=$(date +%s.%N)
printf '\n## Changed\n\nThis paragraph was added after the first index.\n' >> "$repo/docs/area3/page503.md"
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qam "one change"
"$bin" --data-dir "$data" index "$repo" --id /bench/generated
t2=$(date +%s.%N)
python3 -c "
full, inc = $t1 - $t0, $t2 - $t1
print(f'full index {full:.1f} s, re-index after one change {inc:.2f} s: {100 * inc / full:.1f} % of full')"
