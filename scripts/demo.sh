#!/usr/bin/env bash
# The README's main job: a real load test on loopback. Starts swarmlet's built-in target, runs
# examples/quickstart.yaml against it, prints the report, and checks the report's request
# count against the target's own count.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
bin=./build/app/swarmlet
log=$(mktemp)
"$bin" target --port 0 >"$log" 2>&1 &
target=$!
trap 'kill $target 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 200); do grep -q listening "$log" && break; sleep 0.05; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$log")
[[ -n $url ]] || { cat "$log"; echo "demo: the target did not start" >&2; exit 1; }
status=0
"$bin" run examples/quickstart.yaml --host "$url" "$@" || status=$?
served=$(python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('$url/__swarmlet/served'))['served'])")
reported=$(python3 -c "import json; print(json.load(open('results/quickstart.json'))['totals']['requests'])")
echo "target served $served requests; the report counts $reported"
exit $status
