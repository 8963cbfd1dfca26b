#!/usr/bin/env bash
# Memory of an idle user: the RSS that USERS scripted users sleeping in sw.sleep add to
# `swarmlet run` (one hub thread), per user, beside Locust's HttpUser sleeping in its task
# (Debian's python3-locust, one process) when it is installed. Each is measured as
# (RSS with USERS users - RSS with 1 user) / (USERS - 1), once every user is running. No
# request is sent: the users only sleep.
#   bench/script_idle_rss.sh [USERS]
# The swarmlet binary: $SWARMLET, else build/app/swarmlet.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-10000}
bin=$(realpath "${SWARMLET:-build/app/swarmlet}")
py=/usr/bin/python3
work=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cat >"$work/idle.lua" <<'LUA'
local sw = require "swarmlet"
return {tasks = {function(u) sw.sleep(3600) end}}
LUA
cat >"$work/idle.yaml" <<'YAML'
target: http://127.0.0.1:9
users: [{name: idle, script: idle.lua}]
YAML
cat >"$work/idle_locustfile.py" <<'PY'
import gevent
from locust import HttpUser, constant, task


class Idle(HttpUser):
    wait_time = constant(3600)

    @task
    def idle(self):
        gevent.sleep(3600)
PY

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_for() {  # FILE PATTERN: up to 120 s
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "script_idle_rss: no '$2' in $1:" >&2; cat "$1" >&2; return 1
}

swarmlet_rss() {  # USERS -> RSS in KiB once the API says every user runs (and a report later)
  local n=$1 log=$work/swarmlet.log web
  "$bin" run "$work/idle.yaml" -u "$n" -r 1000000 -t 10m --threads 1 --web-port 0 -q >"$log" 2>&1 &
  pid=$!
  wait_for "$log" "web UI"
  web=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
  for _ in $(seq 1200); do
    [[ $($py -c "import json, urllib.request; print(json.load(urllib.request.urlopen('$web/api/stats'))['users'])") == "$n" ]] && break
    sleep 0.1
  done
  sleep 2  # settle: the spawner's last batch and a stats report
  rss_kib "$pid"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

locust_rss() {  # USERS -> RSS in KiB once Locust says every user is spawned
  local n=$1 log=$work/locust.log
  (cd "$work" && exec $py -m locust -f idle_locustfile.py --headless -u "$n" -r "$n" -t 10m \
     --host http://127.0.0.1:9 --loglevel INFO) >"$log" 2>&1 &
  pid=$!
  wait_for "$log" "All users spawned"
  sleep 2
  rss_kib "$pid"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

per_user() { $py -c "print(f'{($2 - $1) / ($users - 1):.1f}')"; }
one=$(swarmlet_rss 1); many=$(swarmlet_rss "$users")
echo "idle scripted users (sw.sleep), swarmlet run --threads 1: $(per_user "$one" "$many") KiB RSS per user ($one KiB with 1 user, $many KiB with $users)"
if $py -c 'import locust' 2>/dev/null; then
  one=$(locust_rss 1); many=$(locust_rss "$users")
  echo "idle Locust HttpUser (gevent.sleep), one process: $(per_user "$one" "$many") KiB RSS per user ($one KiB with 1 user, $many KiB with $users)"
else
  echo "Locust is not installed (apt-get install python3-locust): no peer figure"
fi
