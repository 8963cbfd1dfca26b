#!/usr/bin/env bash
# swarmlet run vs wrk vs Locust (FastHttpUser), side by side in one run, against the same nginx
# (Debian's; `return 200`, one worker pinned to CPU 1), each generator pinned to CPU 0 with the
# same number of connections/users. nginx counts the requests (stub_status), the kernel the
# generator's CPU (user+sys). Prints requests/s and CPU-µs per request, and ratios to wrk.
#   bench/run_vs_wrk.sh [CONNECTIONS] [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-50} secs=${2:-10} rounds=${3:-3}
bash scripts/install-deps.sh --bench
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
source bench/nginx_target.sh
measure() {  # NAME COMMAND... -> "NAME requests cpu_seconds"
  local name=$1; shift
  local before; before=$(served)
  local cpu; cpu=$(cpu_of "$@")
  local after; after=$(served)
  echo "$name $((after - before - 1)) $cpu"
}
echo "nginx on CPU 1, each generator on CPU 0, $conns connections/users, ${secs}s per run"
for r in $(seq "$rounds"); do
  results=()
  results+=("$(measure wrk wrk -t1 -c"$conns" -d"${secs}s" "$target/")")
  results+=("$(measure swarmlet ./build-release/app/swarmlet run bench/scenarios/nowait.yaml --host "$target" \
               -u "$conns" -r 100000 -t "${secs}s" --threads 1 -q)")
  results+=("$(measure locust $py -m locust -f bench/locustfile.py --headless -u "$conns" -r "$conns" \
               -t "${secs}s" --host "$target" --only-summary)")
  printf '%s\n' "${results[@]}" | $py -c "
import sys
rows = [l.split() for l in sys.stdin.read().strip().splitlines()]
w = {n: (int(q), float(c)) for n, q, c in rows}
wq, wc = w['wrk']
secs = $secs
parts = []
for n, (q, c) in w.items():
    parts.append(f'{n} {q/secs:,.0f} req/s ({q/wq:.2f}x wrk), {c/q*1e6 if q else float(\"inf\"):.2f} CPU-us/req ({(c/q)/(wc/wq) if q else float(\"inf\"):.2f}x wrk)')
print('round $r: ' + ' | '.join(parts))
"
done
