#!/usr/bin/env bash
# The costs of runner's worker processes beside CPython's multiprocessing,
# on this machine, in one run: a task's round trip, a queued item (through a
# pipe, and through a manager process), a pool's parallel efficiency over
# range C with processes.
#
#   benches/ipc.sh
#
# Needs python3 and cargo; installs nothing. Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "ipc.sh needs python3" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/pool.toml" <<'TOML'
name = "pool"
[workload]
kind = "primes"
range = "C"
[run]
strategy = "pool"
repeats = 10
warmup = 1
[sweep]
strategy = ["serial", "pool"]
executor = ["threads", "processes"]
workers = [2]
chunksize = ["default"]
TOML
cat > "$work/queue.toml" <<'TOML'
name = "queue"
[workload]
kind = "primes"
range = "C"
[run]
strategy = "queue"
repeats = 3
warmup = 1
[sweep]
strategy = ["serial", "queue"]
executor = ["threads", "processes"]
workers = [2]
TOML

cat > "$work/managed.toml" <<'TOML'
name = "managed"
[workload]
kind = "primes"
range = "B"
[run]
strategy = "queue"
executor = "processes"
repeats = 3
warmup = 1
[sweep]
queue_host = ["manager"]
workers = [2]
TOML

cargo build --release --quiet
./target/release/runner "$work/pool.toml" "$work/queue.toml" "$work/managed.toml" \
    --out "$work/reports" >/dev/null 2>&1
python3 benches/peers/ipc.py 100000 > "$work/cpython.txt"
python3 - "$work/reports" "$work/cpython.txt" <<'PY'
import csv, sys
reports, cpython = sys.argv[1], dict(l.split() for l in open(sys.argv[2]))
def rows(name):
    return list(csv.DictReader(open(f"{reports}/{name}/summary.csv")))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip()
print(f"machine: {cpu}")
pool = rows("pool")
serial = next(r for r in pool if r["strategy"] == "serial")
print(f"range C serial, best of 10: {float(serial['best_s']):.4f} s")
for r in pool:
    if r["strategy"] == "pool":
        print(f"pool, 2 {r['executor']:9}, default chunksize: {float(r['best_s']):.4f} s, "
              f"efficiency {float(r['efficiency']):.3f}, task round trip {float(r['round_trip_us']):.1f} us")
queue = rows("queue")
items = 1_000_000
for r in queue:
    if r["strategy"] == "queue":
        print(f"queue, 2 {r['executor']:9}: {float(r['best_s']):.3f} s for {items} items: "
              f"{float(r['best_s']) / items * 1e6:.2f} us per item (wall), item_ns {r['item_ns']} (core time beyond the work)")
managed = rows("managed")[0]
print(f"queue, 2 processes, queue in a manager process: {float(managed['best_s']):.3f} s for 100000 items: "
      f"{float(managed['best_s']) / 100_000 * 1e6:.2f} us per item (wall)")
print(f"CPython {sys.version.split()[0]}: Pool task round trip {float(cpython['task_round_trip']) * 1e6:.1f} us, "
      f"Queue item {float(cpython['queue_item']) * 1e6:.2f} us, Manager().Queue() item "
      f"{float(cpython['manager_queue_item']) * 1e6:.1f} us, Manager.Value read {float(cpython['manager_value_read']) * 1e6:.1f} us")
PY
