#!/usr/bin/env bash
# The master's ingest capacity: fake workers (one report a second each, 100 request names) against
# a real master, at growing worker counts; prints the master's CPU per report, the workers one core
# of it would take at that cost, and the fake workers' own CPU (it must stay well below a core:
# the fake side must not be what limits the rate).
#   bench/master_ingest.sh [SECONDS] [WORKER COUNTS...]
# With BEFORE=<git revision> (e.g. BEFORE=main), that revision's master and this fake worker built
# against its proto/ run first at each count, in the same run: before and after side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; shift || true
counts=("$@"); (( ${#counts[@]} )) || counts=(1000 2000 4000 8000)
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target swarmlet master_ingest >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
before_dir=
if [[ -n ${BEFORE:-} ]]; then
  before_dir=$(mktemp -d /tmp/swarmlet-ingest-before-XXXXXX)
  trap 'rm -rf "$before_dir"' EXIT
  git archive "$BEFORE" | tar -x -C "$before_dir"
  cp bench/master_ingest.cpp "$before_dir/bench/"
  ln -s "$PWD/node_modules" "$before_dir/node_modules"  # the web UI's uPlot, to configure
  cmake -S "$before_dir" -B "$before_dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$before_dir/build" --target swarmlet master_ingest >/dev/null
fi
for n in "${counts[@]}"; do
  if [[ -n $before_dir ]]; then
    printf 'before (%s): ' "$BEFORE"
    "$before_dir/build/bench/master_ingest" "$before_dir/build/app/swarmlet" "$n" 100 "$secs"
  fi
  printf 'after: '
  ./build-release/bench/master_ingest ./build-release/app/swarmlet "$n" 100 "$secs"
done
