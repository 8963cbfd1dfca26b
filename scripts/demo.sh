#!/usr/bin/env bash
# The README's main job: a real distributed load test on loopback. Starts swarmlet's built-in
# target, a master with examples/quickstart.yaml and two workers (separate processes talking
# ZeroMQ), prints the master's aggregated report, and checks its request count against the
# target's own count and the workers' own counts.
#   scripts/demo.sh [extra `swarmlet master` flags, e.g. -t 30s -u 200]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
bin=./build/app/swarmlet
logs=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$logs"' EXIT
wait_line() { for _ in $(seq 400); do grep -q "$2" "$1" && return 0; sleep 0.05; done; cat "$1" >&2; return 1; }

"$bin" target --port 0 --threads 2 >"$logs/target" 2>&1 &
pids+=($!)
wait_line "$logs/target" listening
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$logs/target")

"$bin" master examples/quickstart.yaml --host "$url" --expect-workers 2 --port 0 "$@" >"$logs/master" 2>"$logs/master.err" &
master=$!
pids+=($master)
wait_line "$logs/master" "listening on"
read -r control stats < <(sed -n 's/.*tcp:\/\/127.0.0.1:\([0-9]*\) (stats tcp:\/\/127.0.0.1:\([0-9]*\)).*/\1 \2/p' "$logs/master")
for i in 1 2; do
  "$bin" worker --master "127.0.0.1:$control" --stats-port "$stats" --threads 1 2>"$logs/worker$i" &
  pids+=($!)
done
tail -f "$logs/master" --pid "$master" &
status=0
wait "$master" || status=$?
sleep 0.3
cat "$logs/master.err"
served=$(python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('$url/__swarmlet/served'))['served'])")
reported=$(python3 -c "import json; print(json.load(open('results/quickstart.json'))['totals']['requests'])")
workers=$(cat "$logs"/worker* | sed -n 's/.*sent stats of \([0-9]*\) requests.*/\1/p' | awk '{s += $1} END {print s + 0}')
echo "target served $served requests; the master's report counts $reported; the workers sent $workers"
exit $status
