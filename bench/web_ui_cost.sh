#!/usr/bin/env bash
# What the web UI costs the master: a distributed test with 100 request names (master + one
# worker + the built-in target, each pinned to its own core where there are enough), the
# master's CPU measured first with nobody watching, then with the web UI open in headless
# Chromium (polling once a second, charts drawing), same test, same length.
#   bench/web_ui_cost.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
bash scripts/install-deps.sh --test
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
bin=./build-release/app/swarmlet
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

$bin target --port 0 --threads 1 >"$work/target.out" 2>&1 & pids+=($!)
until grep -q listening "$work/target.out"; do sleep 0.1; done
target=$(grep -o 'http://[0-9.:]*' "$work/target.out")
{
  echo "target: $target"
  echo "load: {users: 100, spawn_rate: 1000}"
  echo "users:"
  echo "  - wait: {constant: 100ms}"
  echo "    tasks:"
  for i in $(seq -w 1 100); do echo "      - {get: /, name: /page/$i}"; done
} >"$work/s.yaml"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() {  # master pid, seconds -> CPU % of one core
  local a b; a=$(cpu_ticks "$1"); sleep "$2"; b=$(cpu_ticks "$1")
  echo "scale=2; ($b - $a) * 100 / ($(getconf CLK_TCK) * $2)" | bc
}

taskset -c 0 $bin master "$work/s.yaml" --web-ui --web-port 0 --port 0 -q >"$work/master.out" 2>&1 & master=$!; pids+=($master)
until grep -q '/metrics on' "$work/master.out"; do sleep 0.1; done
web=$(grep -o 'http://[0-9.:]*' "$work/master.out" | tail -1)
control=$(grep -o 'tcp://127.0.0.1:[0-9]*' "$work/master.out" | head -1); port=${control##*:}
stats=$(grep -o 'tcp://127.0.0.1:[0-9]*' "$work/master.out" | sed -n 2p); stats_port=${stats##*:}
taskset -c 1 $bin worker --master "127.0.0.1:$port" --stats-port "$stats_port" --threads 1 >"$work/worker.out" 2>&1 & pids+=($!)
until curl -s "$web/api/workers" | grep -q ready; do sleep 0.1; done
started=$(curl -s -X POST "$web/api/start" -d "{}")
grep -q run_id <<<"$started" || { echo "the test did not start: $started" >&2; cat "$work/master.out" "$work/worker.out" >&2; exit 1; }
sleep 5  # every name seen, rates settled
names=$(curl -s "$web/api/stats" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stats"]))')
rps=$(curl -s "$web/api/stats" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["total"]["current_rps"]))')
stats_bytes=$(curl -s "$web/api/stats" | wc -c)

idle=$(measure "$master" "$secs")
node bench/hold_page.mjs "$web/" "$((secs + 8))" >"$work/page.json" & page=$!
sleep 6  # Chromium started, page loaded
watched=$(measure "$master" "$secs")
wait $page
echo "web UI cost, ${secs}s each, $names names, $rps req/s through one worker:"
echo "  master CPU, nobody watching:   ${idle}% of a core"
echo "  master CPU, web UI open:       ${watched}% of a core"
echo "  difference:                    $(echo "$watched - $idle" | bc)% of a core"
echo "  /api/stats answer:             $stats_bytes bytes; page: $(cat "$work/page.json")"
