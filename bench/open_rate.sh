#!/usr/bin/env bash
# The open model's capacity on one core: the highest constant arrival rate that `swarmlet run`
# (one hub thread, pinned to CPU 0) sustains against nginx (pinned to CPU 1) with its own lag
# under 1 ms at p99 and no dropped iteration, next to wrk's closed-model throughput on the same
# core (no wrk2 in Debian), as a ratio.
#   bench/open_rate.sh [SECONDS] [RATES...]
# RUNS=N (default 1) runs wrk and each rate N times: wrk's rate is the median run's, and a rate
# is sustained when more than half of its runs hold it. This host stalls a vCPU now and then
# for tens of ms (a spinning hub sees it too), which alone decides a run's p99.
# SWARMLET_BIN=PATH measures that binary instead of building build-release/ (e.g. to compare two
# builds on the same machine).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}; shift || true
rates=("$@"); (( ${#rates[@]} )) || rates=(20000 40000 60000 80000 100000 120000 140000)
source bench/swarmlet_binary.sh
source bench/nginx_target.sh
runs=${RUNS:-1}
wrk_rates=()
for _ in $(seq "$runs"); do
  before=$(served); cpu_of wrk -t1 -c50 -d"${secs}s" "$target/" >/dev/null; after=$(served)
  wrk_rates+=($(( (after - before) / secs )))
done
wrk_rate=$(printf '%s\n' "${wrk_rates[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "wrk (closed model, 50 connections, CPU 0): $wrk_rate req/s (runs: ${wrk_rates[*]})"
best=0
for rate in "${rates[@]}"; do
  scenario=$(open_scenario "$rate" "$secs")
  held=0
  for run in $(seq "$runs"); do
    json=$(mktemp)
    cpu_of "$bin" run "$scenario" --threads 1 -q --json "$json" >/dev/null
    read -r p99 dropped requests < <($py -c "
import json; d = json.load(open('$json'))
print(d['generator_lag_ms']['p99'], d['totals']['dropped_iterations'], d['totals']['requests'])")
    ok=$($py -c "print('yes' if $p99 < 1.0 and $dropped == 0 else 'no')")
    echo "rate $rate/s, run $run: $requests requests, $dropped dropped, generator lag p99 $p99 ms -> held: $ok"
    [[ $ok == yes ]] && held=$((held + 1))
    rm -f "$json"
  done
  if (( 2 * held > runs )); then
    best=$rate
    echo "rate $rate/s: sustained ($held of $runs runs)"
  else
    echo "rate $rate/s: not sustained ($held of $runs runs)"
  fi
done
$py -c "print(f'highest rate with lag p99 < 1 ms on one core: $best/s = {$best / $wrk_rate:.2f}x wrk closed-model throughput')"
