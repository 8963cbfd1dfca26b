#!/usr/bin/env bash
# The master's ingest capacity: fake workers (one report a second each, 100 request names) against
# a real master, at growing worker counts; prints the master's CPU per report and share of a core.
#   bench/master_ingest.sh [SECONDS] [WORKER COUNTS...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; shift || true
counts=("$@"); (( ${#counts[@]} )) || counts=(100 250 500 1000)
bash scripts/install-deps.sh
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
ulimit -n 65536 2>/dev/null || true
for n in "${counts[@]}"; do
  ./build-release/bench/master_ingest ./build-release/app/swarmlet "$n" 100 "$secs"
done
