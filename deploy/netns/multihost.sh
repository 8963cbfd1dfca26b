#!/usr/bin/env bash
# Several hosts on one machine: network namespaces joined by veth pairs to a bridge that lives
# in a namespace of its own, addressed in 198.18.0.0/24 (RFC 2544's benchmarking range). Runs
# the target in one host, the master in another and two workers in two more, a short test
# across them, and checks that the master's total equals what the target served. Removes
# everything it made on exit. Needs root and iproute2.
#   deploy/netns/multihost.sh [SWARMLET_BINARY] [SCENARIO]
set -euo pipefail
bin=$(realpath "${1:-build/app/swarmlet}")
scenario=$(realpath "${2:-$(dirname "$0")/../../examples/quickstart.yaml}")
[[ $(id -u) -eq 0 ]] || { echo "multihost: needs root (ip netns)" >&2; exit 77; }
command -v ip >/dev/null || { echo "multihost: needs iproute2 (ip)" >&2; exit 77; }
tag=swl$$
bridge_ns=$tag-br
hosts=(target master worker1 worker2)
declare -A addr=([target]=198.18.0.10 [master]=198.18.0.11 [worker1]=198.18.0.12 [worker2]=198.18.0.13)
work=$(mktemp -d)
cleanup() {
  for h in "${hosts[@]}"; do ip netns pids "$tag-$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; done
  for h in "${hosts[@]}"; do ip netns del "$tag-$h" 2>/dev/null || true; done
  ip netns del "$bridge_ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$bridge_ns"
ip -n "$bridge_ns" link add br0 type bridge
ip -n "$bridge_ns" link set br0 up
i=0
for h in "${hosts[@]}"; do
  ns=$tag-$h
  ip netns add "$ns"
  ip link add "v$tag$i" type veth peer name eth0 netns "$ns"
  ip link set "v$tag$i" netns "$bridge_ns"
  ip -n "$bridge_ns" link set "v$tag$i" master br0 up
  ip -n "$ns" addr add "${addr[$h]}/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  i=$((i + 1))
done
in_host() { local h=$1; shift; ip netns exec "$tag-$h" "$@"; }
wait_line() { for _ in $(seq 200); do grep -q "$2" "$1" && return 0; sleep 0.05; done; cat "$1" >&2; return 1; }

in_host target "$bin" target --host "${addr[target]}" --port 8080 >"$work/target" 2>&1 &
wait_line "$work/target" listening
in_host master "$bin" master "$scenario" --bind "${addr[master]}" --expect-workers 2 \
  --host "http://${addr[target]}:8080" -t 4s -q --json "$work/summary.json" --csv "$work/run" >"$work/master" 2>&1 &
master=$!
wait_line "$work/master" listening
in_host worker1 "$bin" worker --master "${addr[master]}:5557" --threads 1 >"$work/worker1" 2>&1 &
in_host worker2 "$bin" worker --master "${addr[master]}:5557" --threads 1 >"$work/worker2" 2>&1 &
status=0
wait "$master" || status=$?
cat "$work/master"
served=$(in_host target python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('http://${addr[target]}:8080/__swarmlet/served'))['served'])")
reported=$(python3 -c "import json; print(json.load(open('$work/summary.json'))['totals']['requests'])")
echo "multihost: master at ${addr[master]}, workers at ${addr[worker1]} and ${addr[worker2]}, target at ${addr[target]}"
echo "multihost: target served $served requests; the master's report counts $reported"
[[ $status -eq 0 && $served -eq $reported && $served -gt 0 ]]
