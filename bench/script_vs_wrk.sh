#!/usr/bin/env bash
# What a scripted (Lua) user costs, side by side in one run against the same nginx (Debian's;
# `return 200`, one worker pinned to CPU 1; see nginx_target.sh), each generator pinned to CPU 0
# with the same number of connections/users:
#   wrk          plain wrk -t1
#   wrk+lua      wrk -t1 -s with a Lua request() function (wrk's scripting)
#   script       swarmlet run, --threads 1: a scripted user whose task is u.http:get("/")
#   yaml         swarmlet run, --threads 1: the YAML user doing the same (scenarios/nowait.yaml)
# nginx counts the requests (stub_status), the kernel each generator's CPU (user+sys). Prints
# every round, then the median over the rounds of each one's CPU per request as a ratio to plain
# wrk's in the same round (below 1.0: cheaper per request than wrk). Then, unless --no-rss, the
# idle-user memory of bench/script_idle_rss.sh.
#   bench/script_vs_wrk.sh [--no-rss] [CONNECTIONS] [SECONDS] [ROUNDS]
# The swarmlet binary: $SWARMLET, else build/app/swarmlet (build it first).
set -euo pipefail
cd "$(dirname "$0")/.."
rss=1
if [[ ${1:-} == --no-rss ]]; then rss=0; shift; fi
conns=${1:-50} secs=${2:-8} rounds=${3:-3}
bin=$(realpath "${SWARMLET:-build/app/swarmlet}")
[[ -x $bin ]] || { echo "script_vs_wrk: no $bin (cmake --build build --target swarmlet)" >&2; exit 2; }
for t in nginx wrk taskset; do
  command -v $t >/dev/null || { echo "script_vs_wrk: needs $t (apt-get install nginx wrk)" >&2; exit 2; }
done
source bench/nginx_target.sh
work=$(mktemp -d)
trap '[[ -f $nginx_dir/nginx.pid ]] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null; sleep 0.2; rm -rf "$nginx_dir" "$work"' EXIT

cat >"$work/loop.lua" <<'LUA'
-- One request per task; the user's task loop (no wait) is the loop.
return {tasks = {function(u) u.http:get("/") end}}
LUA
cat >"$work/script.yaml" <<YAML
target: $target
load: {users: $conns, spawn_rate: 100000}
users: [{name: loop, script: loop.lua}]
YAML
cat >"$work/request.lua" <<'LUA'
-- wrk's scripting: a request built by Lua for every request sent.
request = function()
  return wrk.format("GET", "/")
end
LUA

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
  round+=("$(measure wrk+lua wrk -t1 -c"$conns" -d"${secs}s" -s "$work/request.lua" "$target/")")
  round+=("$(measure script "$bin" run "$work/script.yaml" -t "${secs}s" --threads 1 -q --headless)")
  round+=("$(measure yaml "$bin" run bench/scenarios/nowait.yaml --host "$target" -u "$conns" \
               -r 100000 -t "${secs}s" --threads 1 -q --headless)")
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
print('median CPU per request, as a ratio to plain wrk: ' +
      ', '.join(f'{n} {statistics.median(v):.2f}x' for n, v in ratios.items()))
"
if (( rss )); then bash bench/script_idle_rss.sh; fi
