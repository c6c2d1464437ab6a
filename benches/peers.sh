#!/usr/bin/env bash
# Runs the book's algorithm in CPython and PyPy and runner's serial kernels
# (plain, fast and simd, the simd path as detected; RUNNER_SIMD caps it)
# over the same range, and prints the times and the ratios.
#
#   benches/peers.sh [RANGE]      RANGE: A, B, C (default), D or E
#
# Needs python3, pypy3 (Debian: apt-get install -y pypy3) and cargo; it
# installs nothing. Range C takes about half a minute in CPython.
set -euo pipefail
cd "$(dirname "$0")/.."

range=${1:-C}
case "$range" in
  A) start=100000000 end=100010000 ;;
  B) start=100000000 end=100100000 ;;
  C) start=100000000 end=101000000 ;;
  D) start=1000000000 end=1000100000 ;;
  E) start=100000000000 end=100000100000 ;;
  *) echo "unknown range '$range': use A, B, C, D or E" >&2; exit 2 ;;
esac
for tool in python3 pypy3 cargo; do
  command -v "$tool" >/dev/null || { echo "peers.sh needs $tool (pypy3: apt-get install -y pypy3)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/peers.toml" <<TOML
name = "peers"
title = "Serial range $range, as the Python peers run it"
[workload]
kind = "primes"
range = [$start, $end]
[run]
strategy = "serial"
repeats = 5
warmup = 1
[sweep]
kernel = ["plain", "fast", "simd"]
TOML

echo "range $range = [$start, $end), serial, best of N" >&2
cargo build --release --quiet
./target/release/runner "$work/peers.toml" --out "$work/reports" 2>/dev/null
read -r plain fast simd count simd_path <<<"$(python3 - "$work/reports/peers/summary.csv" <<'PY'
import csv, sys
rows = {r["kernel"]: r for r in csv.DictReader(open(sys.argv[1]))}
print(rows["plain"]["best_s"], rows["fast"]["best_s"], rows["simd"]["best_s"],
      rows["simd"]["answer"], rows["simd"]["kernel_path"].split()[0])
PY
)"
read -r pypy_count pypy <<<"$(pypy3 benches/peers/primes.py "$start" "$end" 3)"
read -r cpython_count cpython <<<"$(python3 benches/peers/primes.py "$start" "$end" 1)"
if [ "$pypy_count" != "$count" ] || [ "$cpython_count" != "$count" ]; then
  echo "the counts differ: runner $count, PyPy $pypy_count, CPython $cpython_count" >&2
  exit 1
fi

printf '%-32s %10s\n' "who (range $range, $count primes)" "seconds"
printf '%-32s %10.4f\n' "CPython $(python3 -c 'import platform; print(platform.python_version())') (best of 1)" "$cpython"
printf '%-32s %10.4f\n' "PyPy $(pypy3 -c 'import sys; print(".".join(map(str, sys.pypy_version_info[:3])))') (best of 3)" "$pypy"
printf '%-32s %10.4f\n' "runner, plain kernel (best of 5)" "$plain"
printf '%-32s %10.4f\n' "runner, fast kernel (best of 5)" "$fast"
printf '%-32s %10.4f\n' "runner, simd kernel, $simd_path (best of 5)" "$simd"
python3 - "$cpython" "$pypy" "$plain" "$fast" "$simd" <<'PY'
import sys
cpython, pypy, plain, fast, simd = map(float, sys.argv[1:])
print(f"runner simd vs PyPy:    {pypy / simd:6.1f}x faster")
print(f"runner simd vs CPython: {cpython / simd:6.1f}x faster")
print(f"runner fast vs PyPy:    {pypy / fast:6.1f}x faster")
print(f"runner plain vs PyPy:   {pypy / plain:6.1f}x faster")
PY
