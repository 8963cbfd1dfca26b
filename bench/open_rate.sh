#!/usr/bin/env bash
# The open model's capacity on one core: the highest constant arrival rate that `swarmlet run`
# (one hub thread, pinned to CPU 0) sustains against nginx (pinned to CPU 1) with its own lag
# under 1 ms at p99 and no dropped iteration, next to wrk's closed-model throughput on the same
# core (no wrk2 in Debian), as a ratio.
#   bench/open_rate.sh [SECONDS] [RATES...]
# SWARMLET_BIN=PATH measures that binary instead of building build-release/ (e.g. to compare two
# builds on the same machine).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}; shift || true
rates=("$@"); (( ${#rates[@]} )) || rates=(20000 40000 60000 80000 100000 120000 140000)
bash scripts/install-deps.sh --bench
bin=${SWARMLET_BIN:-}
if [[ -z $bin ]]; then
  bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
  bin=./build-release/app/swarmlet
fi
source bench/nginx_target.sh
before=$(served); cpu_of wrk -t1 -c50 -d"${secs}s" "$target/" >/dev/null; after=$(served)
wrk_rate=$(( (after - before) / secs ))
echo "wrk (closed model, 50 connections, CPU 0): $wrk_rate req/s"
best=0
scenario=$(mktemp)
for rate in "${rates[@]}"; do
  cat >"$scenario" <<YAML
target: $target
load: {arrival_rate: {rate: $rate/s, max_users: 2000}, run_time: ${secs}s}
users: [{tasks: [{get: /}]}]
YAML
  json=$(mktemp)
  cpu_of "$bin" run "$scenario" --threads 1 -q --json "$json" >/dev/null
  read -r p99 dropped requests < <($py -c "
import json; d = json.load(open('$json'))
print(d['generator_lag_ms']['p99'], d['totals']['dropped_iterations'], d['totals']['requests'])")
  ok=$($py -c "print('yes' if $p99 < 1.0 and $dropped == 0 else 'no')")
  echo "rate $rate/s: $requests requests, $dropped dropped, generator lag p99 $p99 ms -> sustained: $ok"
  [[ $ok == yes ]] && best=$rate
  rm -f "$json"
done
$py -c "print(f'highest rate with lag p99 < 1 ms on one core: $best/s = {$best / $wrk_rate:.2f}x wrk closed-model throughput')"
