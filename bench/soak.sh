#!/usr/bin/env bash
# A soak: a distributed test at moderate load for DURATION (default 1h) on loopback (a target,
# a master, two workers), sampling every 10 s the RSS and open file descriptors of the master
# and each worker into a CSV. At the end: growth from the warm-up (the samples from 2 to 5 min)
# to the last 5 min, per process; the goal is flat, at most 5% growth. Not in CI.
#   bench/soak.sh [DURATION] [USERS] [SWARMLET_BINARY]     e.g. bench/soak.sh 1h 200
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-1h}
users=${2:-200}
bin=$(realpath "${3:-build/app/swarmlet}")
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_line() { for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; cat "$1" >&2; return 1; }

"$bin" target --port 0 --threads 1 >"$work/target" 2>&1 &
pids+=($!)
wait_line "$work/target" "listening on"
url=$(grep -o 'http://[0-9.:]*' "$work/target" | head -1)
cat >"$work/soak.yaml" <<YAML
target: $url
load: {users: $users, spawn_rate: 50, run_time: $duration}
users:
  - wait: {between: [50ms, 150ms]}
    tasks:
      - {weight: 3, get: "/items?page=\${random(1,50)}", name: /items}
      - {weight: 1, get: "/bytes/\${random(1,4000)}", name: /bytes}
YAML
"$bin" master "$work/soak.yaml" --port 0 --expect-workers 2 -q --headless \
  --json "$work/summary.json" --csv "$work/soak" >"$work/master" 2>&1 &
master=$!
pids+=($master)
wait_line "$work/master" "listening on"
control=$(grep -o 'tcp://127.0.0.1:[0-9]*' "$work/master" | head -1)
stats=$(grep -o 'stats tcp://127.0.0.1:[0-9]*' "$work/master" | grep -o '[0-9]*$')
for i in 1 2; do
  "$bin" worker --master "${control#tcp://}" --stats-port "$stats" --threads 1 --id "soak$i" \
    >"$work/worker$i" 2>&1 &
  pids+=($!)
done
workers=("${pids[@]:2}")

csv=results/soak-$(date +%Y%m%d-%H%M).csv
mkdir -p results
echo "elapsed_s,process,rss_kib,fds" >"$csv"
start=$(date +%s)
sample() {
  local name=$1 pid=$2
  [[ -d /proc/$pid ]] || return 0
  local rss fds
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  echo "$(( $(date +%s) - start )),$name,$rss,$fds" >>"$csv"
}
while kill -0 "$master" 2>/dev/null; do
  sample master "$master"
  sample worker1 "${workers[0]}"
  sample worker2 "${workers[1]}"
  sleep 10  # the sampling period
done
wait "$master" || true
served=$(curl -s "$url/__swarmlet/served" | python3 -c 'import json,sys; print(json.load(sys.stdin)["served"])')
python3 - "$csv" "$work/summary.json" "$served" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
summary = json.load(open(sys.argv[2]))
end = max(int(r["elapsed_s"]) for r in rows)
print(f"soak: {end} s, {summary['totals']['requests']} requests counted, {sys.argv[3]} served, "
      f"{summary['lost']['requests']} lost, {summary['totals']['failures']} failures")
for proc in ("master", "worker1", "worker2"):
    mine = [r for r in rows if r["process"] == proc]
    warm = [r for r in mine if 120 <= int(r["elapsed_s"]) <= 300]
    last = [r for r in mine if int(r["elapsed_s"]) >= end - 300]
    if not warm or not last:
        print(f"soak: {proc}: too short to compare (run at least 10 minutes)")
        continue
    for key in ("rss_kib", "fds"):
        a = sum(int(r[key]) for r in warm) / len(warm)
        b = sum(int(r[key]) for r in last) / len(last)
        print(f"soak: {proc} {key}: {a:.0f} after warm-up, {b:.0f} at the end ({100 * (b - a) / a:+.1f}%)")
PY
echo "soak: samples in $csv"
