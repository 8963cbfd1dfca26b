#!/usr/bin/env bash
# The hub's pollers side by side with wrk, in one run against the same nginx (Debian's; `return
# 200`, one worker pinned to CPU 1; see nginx_target.sh), each generator pinned to CPU 0 with the
# same number of connections/users:
#   wrk        plain wrk -t1
#   epoll      swarmlet run --threads 1, the YAML user of scenarios/nowait.yaml (full stats)
#   io_uring   the same with SWARMLET_HUB=io_uring (sends queued into one submission per loop
#              turn, receives by multishot recv into the ring's buffers)
# nginx counts the requests (stub_status), the kernel each generator's CPU (user+sys). Prints
# every round, then the median over the rounds of each one's CPU per request as a ratio to wrk's
# in the same round (below 1.0: cheaper per request than wrk).
#   bench/hub_backends_vs_wrk.sh [CONNECTIONS] [SECONDS] [ROUNDS]
# The swarmlet binary: $SWARMLET, else build/app/swarmlet (build it first).
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-50} secs=${2:-8} rounds=${3:-5}
bin=$(realpath "${SWARMLET:-build/app/swarmlet}")
[[ -x $bin ]] || { echo "hub_backends_vs_wrk: no $bin (cmake --build build --target swarmlet)" >&2; exit 2; }
for t in nginx wrk taskset; do
  command -v $t >/dev/null || { echo "hub_backends_vs_wrk: needs $t (apt-get install nginx wrk)" >&2; exit 2; }
done
source bench/nginx_target.sh

measure() {  # NAME COMMAND... -> "NAME requests cpu_seconds"
  local name=$1; shift
  local before after cpu
  before=$(served)
  cpu=$(cpu_of "$@")
  after=$(served)
  echo "$name $((after - before - 1)) $cpu"
}

echo "nginx on CPU 1, each generator on CPU 0, $conns connections/users, ${secs}s per run, $rounds rounds"
all=()
for r in $(seq "$rounds"); do
  round=()
  round+=("$(measure wrk wrk -t1 -c"$conns" -d"${secs}s" "$target/")")
  for hub in epoll io_uring; do
    round+=("$(measure $hub env SWARMLET_HUB=$hub "$bin" run bench/scenarios/nowait.yaml \
                 --host "$target" -u "$conns" -r 100000 -t "${secs}s" --threads 1 -q --headless)")
  done
  for line in "${round[@]}"; do all+=("$r $line"); done
done
printf '%s\n' "${all[@]}" | $py -c "
import statistics, sys
secs = $secs
rounds = {}
for line in sys.stdin.read().strip().splitlines():
    r, name, requests, cpu = line.split()
    rounds.setdefault(int(r), {})[name] = (int(requests), float(cpu))
ratios = {}
for r, got in sorted(rounds.items()):
    wq, wc = got['wrk']
    parts = []
    for name, (q, c) in got.items():
        us = c / q * 1e6 if q else float('inf')
        ratio = us / (wc / wq * 1e6)
        ratios.setdefault(name, []).append(ratio)
        parts.append(f'{name} {q / secs:,.0f} req/s {us:.2f} CPU-us/req ({ratio:.2f}x)')
    print(f'round {r}: ' + ' | '.join(parts))
print('median CPU per request, as a ratio to wrk: ' +
      ', '.join(f'{n} {statistics.median(v):.2f}x' for n, v in ratios.items()))
# wrk's own CPU per request swings from round to round on a busy box; the two backends ran
# back to back, so their ratio to each other is the steadier figure.
print(f\"median CPU per request, io_uring/epoll: \"
      f\"{statistics.median(u / e for u, e in zip(ratios['io_uring'], ratios['epoll'])):.2f}x\")
"
