#!/usr/bin/env bash
# Workers on "other hosts" on one machine: network namespaces joined to a
# Redis server by veth pairs, with latency added by tc netem (issue 13).
#
#   sudo benches/netns.sh [EXPERIMENT] [DELAYS_MS...]
#
#   EXPERIMENT  default experiments/network_chunksize.toml
#   DELAYS_MS   one-way delays to add on each worker's link, default 0 1 5
#               (a job's round trip to the server gains twice the delay)
#   WORKERS=3   worker namespaces, one `runner worker` (one slot) in each
#   RUNNER=...  the runner binary (default: target/release/runner, built here)
#   OUT=...     where the reports go (default reports/network): one report per
#               delay, OUT/<delay>ms/<experiment name>/
#   Any other runner option can go in RUNNER_ARGS, e.g. RUNNER_ARGS=--quick.
#   NETEM=optional  without netem in the kernel, run the 0 ms point only
#               instead of skipping (checks the namespaces and workers).
#
# Layout: a hub namespace holds a bridge (10.213.0.1/24), redis-server and the
# coordinator (`runner`); namespace i holds worker i at 10.213.0.(10+i),
# joined to the bridge by a veth pair whose two ends both delay by DELAY ms.
# Everything is removed on exit, however the script ends.
#
# Needs root, ip (iproute2), tc with the netem qdisc, and redis-server; without
# them it says so and exits 0 (a skip), so it is safe in scripts and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

experiment=${1:-experiments/network_chunksize.toml}
shift || true
delays=("$@")
[ ${#delays[@]} -gt 0 ] || delays=(0 1 5)
workers=${WORKERS:-3}
out=${OUT:-reports/network}
prefix=rn13
hub=${prefix}-hub
port=6390
url="redis://10.213.0.1:$port"

skip() { echo "netns.sh: skipped: $*" >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and tc); run it with sudo"
for tool in ip tc redis-server redis-cli; do
  command -v "$tool" >/dev/null || skip "needs $tool (apt-get install -y iproute2 redis-server)"
done
[ -f "$experiment" ] || { echo "netns.sh: no experiment file $experiment" >&2; exit 2; }

if [ -z "${RUNNER:-}" ]; then
  cargo build --release --quiet
  RUNNER=target/release/runner
fi
RUNNER=$(realpath "$RUNNER")

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for i in $(seq 1 "$workers"); do ip netns del "${prefix}-w$i" 2>/dev/null || true; done
  ip netns del "$hub" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# A namespace left by an earlier run that was killed is removed first.
for i in $(seq 1 "$workers"); do ip netns del "${prefix}-w$i" 2>/dev/null || true; done
ip netns del "$hub" 2>/dev/null || true

netem=yes
ip netns add "$hub"
ip -n "$hub" link set lo up
ip -n "$hub" link add br0 type bridge
ip -n "$hub" addr add 10.213.0.1/24 dev br0
ip -n "$hub" link set br0 up
for i in $(seq 1 "$workers"); do
  ns="${prefix}-w$i"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "${prefix}v$i" type veth peer name "${prefix}p$i"
  ip link set "${prefix}v$i" netns "$ns"
  ip link set "${prefix}p$i" netns "$hub"
  ip -n "$hub" link set "${prefix}p$i" master br0 up
  ip -n "$ns" addr add "10.213.0.$((10 + i))/24" dev "${prefix}v$i"
  ip -n "$ns" link set "${prefix}v$i" up
  # netem on both ends: each direction is delayed once.
  if [ "$netem" = yes ] && ! tc -n "$ns" qdisc add dev "${prefix}v$i" root netem delay 0ms 2>/dev/null; then
    [ "${NETEM:-}" = optional ] || skip "tc netem is not available in this kernel (the sch_netem module)"
    echo "netns.sh: no netem in this kernel: the 0 ms point only (NETEM=optional)" >&2
    netem=no
    delays=(0)
  fi
  [ "$netem" = no ] || tc -n "$hub" qdisc add dev "${prefix}p$i" root netem delay 0ms
done

ip netns exec "$hub" redis-server --bind 10.213.0.1 --port "$port" --save '' \
  --appendonly no --protected-mode no >/dev/null &
pids+=($!)
for _ in $(seq 1 100); do
  ip netns exec "$hub" redis-cli -h 10.213.0.1 -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done

for i in $(seq 1 "$workers"); do
  REDIS_URL=$url ip netns exec "${prefix}-w$i" "$RUNNER" worker --name "ns$i" &
  pids+=($!)
done

for delay in "${delays[@]}"; do
  for i in $(seq 1 "$workers"); do
    [ "$netem" = yes ] || break
    tc -n "${prefix}-w$i" qdisc change dev "${prefix}v$i" root netem delay "${delay}ms"
    tc -n "$hub" qdisc change dev "${prefix}p$i" root netem delay "${delay}ms"
  done
  rtt=$(ip netns exec "${prefix}-w1" ping -c 3 -q 10.213.0.1 2>/dev/null | tail -1 || true)
  echo "netns.sh: ${delay} ms each way on every worker's link (${rtt:-no ping})" >&2
  # shellcheck disable=SC2086
  REDIS_URL=$url ip netns exec "$hub" "$RUNNER" "$experiment" --spawn-local 0 \
    --out "$out/${delay}ms" ${RUNNER_ARGS:-}
done
echo "netns.sh: reports under $out/<delay>ms/" >&2
