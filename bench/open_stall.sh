#!/usr/bin/env bash
# The open model after a stall of the generator: one hub thread (pinned to CPU 0) runs RATE
# arrivals/s against nginx (CPU 1) for SECONDS, and is stopped (SIGSTOP) for STALL seconds at
# 2 s, as a host that deschedules the VM would. Prints the generator's lag, the iterations
# dropped, and the iterations neither run nor dropped, of RATE x SECONDS due (the run's end cuts
# the schedule a few hundred short of that): a generator that catches up runs (or drops, and
# says so) every one; one that falls further behind does not.
#   bench/open_stall.sh [RATE] [STALL] [SECONDS] [RUNS]
# SWARMLET_BIN=PATH measures that binary instead of building build-release/ (several, separated
# by colons, run in turn in each round, to compare builds on one machine).
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-60000}; stall=${2:-0.3}; secs=${3:-6}; runs=${4:-2}
source bench/swarmlet_binary.sh
source bench/nginx_target.sh
scenario=$(open_scenario "$rate" "$secs")
IFS=: read -r -a bin_list <<<"$bin"
for run in $(seq "$runs"); do
  for bin in "${bin_list[@]}"; do
    json=$(mktemp)
    taskset -c 0 "$bin" run "$scenario" --threads 1 -q --json "$json" >/dev/null 2>&1 &
    pid=$!
    sleep 2
    kill -STOP "$pid"
    sleep "$stall"
    kill -CONT "$pid"
    wait "$pid" || true
    $py - "$json" "$bin" "$run" "$rate" "$secs" "$stall" <<'PY'
import json, sys
path, bin, run, rate, secs, stall = sys.argv[1:]
d = json.load(open(path))
lag, t = d["generator_lag_ms"], d["totals"]
due = int(rate) * int(secs)
ran = t["requests"]
print(f"{bin} run {run}: {rate}/s, stopped {stall} s at 2 s: lag p50 {lag['p50']} ms, "
      f"p99 {lag['p99']} ms, max {lag['max']} ms; ran {ran}, dropped {t['dropped_iterations']}, "
      f"neither about {max(0, due - ran - t['dropped_iterations'])} of {due} due")
PY
    rm -f "$json"
  done
done
