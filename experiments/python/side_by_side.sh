#!/usr/bin/env bash
# The chapter's lessons in Python beside runner's own: runs each pair of
# experiments (unless --no-run) and writes one comparison page per lesson
# under reports/python/side_by_side/<lesson>/index.html, each Python case
# beside runner's threads and processes on the same parameters, with the
# ratio of their median times (Python over runner) and its 95% interval.
#
#   experiments/python/side_by_side.sh [--quick] [--no-run]
#
# Needs python3 (pypy3, redis-py and a Redis server are used when present;
# their cases are skipped otherwise). Runs `runner` from target/release
# (or $RUNNER) and writes under reports/ (or $OUT).
set -euo pipefail
cd "$(dirname "$0")/../.."
runner=${RUNNER:-target/release/runner}
out_root=${OUT:-reports}
quick=() run=1 suffix=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) suffix=".quick" ;;
    --no-run) run=0 ;;
    *) echo "usage: $0 [--quick] [--no-run]" >&2; exit 2 ;;
  esac
done
# lesson | runner's experiment | Python's | the columns that make a point
lessons=(
  "chunksize|experiments/chunksize.toml|experiments/python/chunksize.toml|workers,chunksize,range_start,range_end"
  "queue|experiments/python/queue_runner.toml|experiments/python/queue.toml|workers,enqueue,range_start,range_end"
  "verify|experiments/python/verify_runner.toml|experiments/python/verify.toml|number_name,precheck,flag,loop,check_every"
)
for lesson in "${lessons[@]}"; do
  IFS='|' read -r name ours theirs on <<<"$lesson"
  if ((run)); then
    # Exit status 5 is a lesson that failed: the run itself is whole.
    "$runner" "${quick[@]}" --out "$out_root" "$ours" || test $? -eq 5
    "$runner" "${quick[@]}" --out "$out_root" "$theirs" || test $? -eq 5
  fi
  before="$out_root/$(sed -n 's/^name = "\(.*\)"/\1/p' "$ours" | head -1)$suffix"
  after="$out_root/$(sed -n 's/^name = "\(.*\)"/\1/p' "$theirs" | head -1)$suffix"
  out="$out_root/python/side_by_side/$name$suffix"
  "$runner" compare --on "$on" --out "$out" "$before" "$after" >/dev/null
  echo "$name: $out/index.html"
done
