#!/usr/bin/env bash
# Many connections: USERS keep-alive users, each waiting 1 s between requests, held by one
# `swarmlet run --threads 2` (one worker, two hub threads) against nginx (one worker on CPU 1,
# `return 200`, counted by stub_status); beside it, in the same run, the same scenario at PEER
# users in swarmlet and in Locust (Debian's python3-locust, FastHttpUser, one process, the peer
# a Locust user would reach for). Once every user runs, a window of WINDOW seconds is measured:
# requests (nginx), CPU (the generator's user+sys from /proc), RSS and open descriptors.
# Prints per run: requests/s, CPU-us per request, KiB of RSS per user; then the ratios to
# Locust at PEER users.
#   bench/many_users.sh [USERS] [PEER] [WINDOW]          defaults: 15000 1000 20
# The swarmlet binary: $SWARMLET, else build/app/swarmlet. Needs an open-file limit above USERS.
set -euo pipefail
export LC_ALL=C  # $EPOCHREALTIME with a point, whatever the locale
cd "$(dirname "$0")/.."
users=${1:-15000} peer=${2:-1000} window=${3:-20}
bin=$(realpath "${SWARMLET:-build/app/swarmlet}")
[[ -x $bin ]] || { echo "many_users: no $bin (cmake --build build --target swarmlet)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "many_users: needs nginx (apt-get install nginx)" >&2; exit 2; }
(( $(ulimit -Hn) > users + 100 )) || { echo "many_users: the open-file limit $(ulimit -Hn) is too low for $users users" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
# nginx closes idle keep-alive connections once fewer than a 16th of its worker_connections are
# free (ngx_drain_connections, 32 at a time): at USERS + 1,000 that was the steady state, and a
# ninth of the requests opened a new connection (1,700 connects/s at 15,000 users), mostly spent
# in the kernel's search for a free local port. A quarter to spare keeps every user's connection.
nginx_connections=$((users + users / 4 + 1000))
source bench/nginx_target.sh
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null
  [[ -f $nginx_dir/nginx.pid ]] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null
  sleep 0.2; rm -rf "$nginx_dir" "$work"
}
trap cleanup EXIT

cat >"$work/wait1s.yaml" <<YAML
target: $target
users: [{name: keepalive, wait: {constant: 1s}, tasks: [{get: /}]}]
YAML
cat >"$work/wait1s_locustfile.py" <<'PY'
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class KeepAlive(FastHttpUser):
    wait_time = constant(1)

    @task
    def index(self):
        self.client.get("/")
PY

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
wait_for() {  # FILE PATTERN: up to 300 s
  for _ in $(seq 3000); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "many_users: no '$2' in $1:" >&2; tail -20 "$1" >&2; return 1
}

measure_window() {  # NAME USERS -> "NAME USERS requests cpu_s rss_kib fds seconds"
  local before_req before_cpu before_t after_req after_cpu after_t rss n
  sleep 3  # past the last spawns' first requests: the window is the steady state
  # The window is timed from the counts themselves: each takes a Python start-up, ~1% of 15 s
  # on a busy box, which showed as more requests a second than the users could make.
  before_t=$EPOCHREALTIME; before_req=$(served); before_cpu=$(cpu_ticks "$pid")
  sleep "$window"
  after_t=$EPOCHREALTIME; after_req=$(served); after_cpu=$(cpu_ticks "$pid")
  rss=$(rss_kib "$pid"); n=$(fds "$pid")
  echo "$1 $2 $((after_req - before_req - 1)) $($py -c "print(($after_cpu - $before_cpu) / $(getconf CLK_TCK))") $rss $n $($py -c "print($after_t - $before_t)")"
}

swarmlet_run() {  # USERS
  local n=$1 log=$work/swarmlet.log web
  "$bin" run "$work/wait1s.yaml" -u "$n" -r 5000 -t 10m --threads 2 --web-port 0 -q >"$log" 2>&1 &
  pid=$!
  wait_for "$log" "web UI"
  web=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
  for _ in $(seq 3000); do
    [[ $($py -c "import json, urllib.request; print(json.load(urllib.request.urlopen('$web/api/stats'))['users'])") == "$n" ]] && break
    sleep 0.1
  done
  measure_window swarmlet "$n"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

locust_run() {  # USERS
  local n=$1 log=$work/locust.log
  (cd "$work" && exec $py -m locust -f wait1s_locustfile.py --headless -u "$n" -r 500 -t 10m \
     --host "$target" --loglevel INFO) >"$log" 2>&1 &
  pid=$!
  wait_for "$log" "All users spawned"
  measure_window locust "$n"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

rows=("$(swarmlet_run "$users")" "$(swarmlet_run "$peer")")
if $py -c 'import locust' 2>/dev/null; then rows+=("$(locust_run "$peer")"); fi
$py - "${rows[@]}" <<'PY'
import sys
runs = []
for row in sys.argv[1:]:
    name, users, requests, cpu, rss, fds, window = row.split()
    users, requests, cpu, rss, fds = int(users), int(requests), float(cpu), int(rss), int(fds)
    window = float(window)
    runs.append((name, users, requests, cpu, rss, fds))
    print(f"{name:8} {users:6,} users: {requests / window:9,.0f} req/s (of {users:,} wanted), "
          f"{cpu / window * 100:5.1f}% CPU, {cpu * 1e6 / max(requests, 1):6.1f} CPU-us/req, "
          f"RSS {rss / 1024:6.1f} MiB = {rss / users:5.1f} KiB/user, {fds:,} fds")
peer = [r for r in runs if r[0] == "locust"]
if peer:
    _, users, requests, cpu, rss, _ = peer[0]
    for name, u, req, c, r, _ in runs[:2]:
        print(f"swarmlet at {u:,} users vs Locust at {users:,}: "
              f"CPU per request {c / max(req, 1) / (cpu / max(requests, 1)):.2f}x, "
              f"RSS per user {r / u / (rss / users):.2f}x")
else:
    print("Locust is not installed (apt-get install python3-locust): no peer figure")
PY
