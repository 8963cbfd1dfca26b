#!/usr/bin/env bash
# The open model against wrk, run by run: each round measures wrk's closed-model rate on CPU 0
# (nginx on CPU 1), then runs `swarmlet run` (one hub thread, CPU 0) at FRACTION of that rate
# and checks that it held it: generator lag p99 under 1 ms and nothing dropped. The next
# round's wrk run closes the round, and the ratio is taken against the mean of the wrk runs on
# either side. wrk's rate on this host moves by up to 26% from one 6 s run to the next (80,541
# then 59,737 req/s, bench/README.md session 17), so a rate set from one wrk run at the start
# (open_rate.sh) says more about the drift than about the generator.
#   bench/open_paired.sh [ROUNDS] [SECONDS] [FRACTION]
# Each open-model run also says how long DAMON's kernel threads (kdamond) ran during it: on a
# VM that reclaims memory with DAMON they run 4-8 ms at a time on either CPU, every ~0.5 s,
# and each such stall leaves a backlog longer than the 1 ms lag goal (bench/README.md,
# session 25).
# HUBS=epoll,io_uring runs one open-model run per hub backend in each round, in that order
# (default: the environment's, SWARMLET_HUB or epoll). SWARMLET_BIN as in swarmlet_binary.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-6}
secs=${2:-6}
fraction=${3:-0.8}
((rounds >= 1)) || { echo "open_paired.sh: ROUNDS must be at least 1" >&2; exit 2; }
IFS=, read -r -a hubs <<<"${HUBS:-${SWARMLET_HUB:-epoll}}"
source bench/swarmlet_binary.sh
source bench/nginx_target.sh

wrk_rate() {
  local before after
  before=$(served)
  cpu_of wrk -t1 -c50 -d"${secs}s" "$target/" >/dev/null
  after=$(served)
  echo $(((after - before) / secs))
}

# CPU time (ns) DAMON's kernel threads have had so far; 0 where there are none.
kdamond_ns() {
  local total=0 pid ns
  for pid in $(pgrep '^kdamond' || true); do
    read -r ns _ <"/proc/$pid/schedstat" 2>/dev/null && total=$((total + ns))
  done
  echo "$total"
}

# In nginx_target.sh's directory, which its EXIT trap removes.
json=$nginx_dir/run.json
results=$nginx_dir/results.txt
wrk_before=$(wrk_rate)
for round in $(seq "$rounds"); do
  rate=$($py -c "print(int($wrk_before * $fraction))")
  scenario=$(open_scenario "$rate" "$secs")
  lines=()
  for hub in "${hubs[@]}"; do
    # A run that fails (a hub this kernel refuses) leaves no report, and the script stops,
    # rather than show the previous run's figures under this one's name.
    rm -f "$json"
    damon_before=$(kdamond_ns)
    cpu=$(SWARMLET_HUB=$hub cpu_of "$bin" run "$scenario" --threads 1 -q --json "$json")
    damon_ms=$((($(kdamond_ns) - damon_before) / 1000000))
    lines+=("$hub $($py -c "
import json; d = json.load(open('$json')); t = d['totals']
print(d['generator_lag_ms']['p50'], d['generator_lag_ms']['p99'], t['dropped_iterations'],
      t['requests'], $cpu)") $damon_ms")
  done
  wrk_after=$(wrk_rate)
  for line in "${lines[@]}"; do
    read -r hub p50 p99 dropped requests cpu damon_ms <<<"$line"
    $py - "$round" "$hub" "$rate" "$wrk_before" "$wrk_after" "$p50" "$p99" "$dropped" \
      "$requests" "$cpu" "$damon_ms" <<'PY' | tee -a "$results"
import sys
rnd, hub, rate, w0, w1, p50, p99, dropped, requests, cpu, damon_ms = sys.argv[1:]
rate, w0, w1, requests = int(rate), int(w0), int(w1), int(requests)
held = float(p99) < 1.0 and int(dropped) == 0
print(f"round {rnd} {hub}: {rate}/s = {rate / ((w0 + w1) / 2):.2f}x wrk ({w0}, {w1} req/s),"
      f" lag p50 {p50} p99 {p99} ms, {dropped} dropped,"
      f" {float(cpu) * 1e6 / max(requests, 1):.2f} CPU-us/request"
      f"{f', kdamond ran {damon_ms} ms' if damon_ms != '0' else ''} -> {'held' if held else 'not held'}")
PY
  done
  wrk_before=$wrk_after
done
for hub in "${hubs[@]}"; do
  $py - "$hub" "$results" <<'PY'
import re, sys
hub, path = sys.argv[1], sys.argv[2]
rows = [l for l in open(path) if re.match(rf"round \d+ {re.escape(hub)}:", l)]
held = sum(l.rstrip().endswith("-> held") for l in rows)
ratios = sorted(float(re.search(r"= ([\d.]+)x", l).group(1)) for l in rows)
print(f"{hub}: held {held} of {len(rows)} rounds at {ratios[0]:.2f}-{ratios[-1]:.2f}x wrk")
PY
done
