#!/usr/bin/env bash
# User-space instructions per request, swarmlet run against wrk, counted by valgrind's
# cachegrind: a count, not a time, so it holds on a busy host where CPU time swings by a third
# from one run to the next (this VM has no hardware counters for `perf stat`). Each generator
# runs twice against the same nginx (bench/nginx_target.sh), for SHORT and LONG seconds; the
# difference of the two counts over the difference of the requests served is the cost of one
# more request, start-up (dynamic linking, reading the scenario) left out. Prints each one's
# instructions per request, the part spent in http-parser (both parse responses with it:
# Debian's shared library for swarmlet, wrk's own copy), and the ratio to wrk's.
#   bench/instructions_vs_wrk.sh [SHORT] [LONG]
# swarmlet's hub runs on poll(2) here: valgrind 3.19 lacks epoll_pwait2 and io_uring_enter. The
# request path above the poller is the same on every backend.
set -euo pipefail
cd "$(dirname "$0")/.."
short=${1:-2} long=${2:-4}
((long > short)) || { echo "instructions_vs_wrk.sh: LONG must be more than SHORT" >&2; exit 2; }
source bench/swarmlet_binary.sh
source bench/nginx_target.sh

# count NAME SECONDS COMMAND... -> "requests total_instructions parser_instructions"
count() {
  local name=$1 secs=$2; shift 2
  local out=$nginx_dir/$name.$secs.cg before after
  before=$(served)
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" "$@" >/dev/null 2>&1
  after=$(served)
  $py - "$out" $((after - before)) <<'PY'
import sys
total = parser = 0
for line in open(sys.argv[1]):
    if line.startswith("fn="):
        fn = line[3:].strip()
    elif line[:1].isdigit():
        n = int(line.split()[1])
        total += n
        if fn == "http_parser_execute":
            parser += n
print(sys.argv[2], total, parser)
PY
}

declare -A per_request parser_share
for name in wrk swarmlet; do
  runs=()
  for secs in "$short" "$long"; do
    if [[ $name == wrk ]]; then
      runs+=("$(count wrk "$secs" wrk -t1 -c50 -d"${secs}s" "$target/")")
    else
      runs+=("$(SWARMLET_HUB=poll count swarmlet "$secs" "$bin" run bench/scenarios/nowait.yaml \
                --host "$target" -t "${secs}s" --threads 1 -q)")
    fi
  done
  read -r n1 i1 p1 <<<"${runs[0]}"
  read -r n2 i2 p2 <<<"${runs[1]}"
  ((n2 > n1)) || { echo "$name: the longer run served no more requests ($n1, $n2)" >&2; exit 1; }
  per_request[$name]=$(((i2 - i1) / (n2 - n1)))
  parser_share[$name]=$(((p2 - p1) / (n2 - n1)))
  echo "$name: ${n1} and ${n2} requests; $((per_request[$name])) instructions per request," \
    "$((parser_share[$name])) of them in http_parser_execute"
done
$py -c "print(f'swarmlet/wrk, user-space instructions per request: \
{${per_request[swarmlet]} / ${per_request[wrk]}:.2f}x (outside the parser: \
{(${per_request[swarmlet]} - ${parser_share[swarmlet]}) / (${per_request[wrk]} - ${parser_share[wrk]}):.2f}x)')"
