# Sourced by the macro benchmarks: starts Debian's nginx as the common target (`return 200`,
# one worker pinned to CPU 1, stub_status for counting), sets $target and $py, and stops it on
# exit. Also defines served (requests nginx handled so far), cpu_of (user+sys CPU seconds of
# a command run pinned to CPU 0) and open_scenario (the open model's scenario against it).
# With nginx_h2=1 set before sourcing, the target speaks h2c (HTTP/2 by prior knowledge only),
# and stub_status answers on a port of its own ($nginx_status_port). nginx_connections (default
# 8192) sets how many connections its one worker holds.
py=/usr/bin/python3
nginx_dir=$(mktemp -d)
trap '[[ -f $nginx_dir/nginx.pid ]] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null; sleep 0.2; rm -rf "$nginx_dir"' EXIT
nginx_port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nginx_status_port=$nginx_port
if [[ ${nginx_h2:-0} == 1 ]]; then
  nginx_status_port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
mkdir -p "$nginx_dir/logs"
cat >"$nginx_dir/nginx.conf" <<CONF
worker_processes 1; pid $nginx_dir/nginx.pid; error_log $nginx_dir/logs/error.log;
worker_rlimit_nofile $(( ${nginx_connections:-8192} + 64 ));
events { worker_connections ${nginx_connections:-8192}; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 120;
  server { listen 127.0.0.1:$nginx_port $([[ ${nginx_h2:-0} == 1 ]] && echo http2) backlog=4096;
    location = /nginx_status { stub_status; }
    location / { return 200 "ok\n"; } }
  $([[ ${nginx_h2:-0} == 1 ]] && echo "server { listen 127.0.0.1:$nginx_status_port; location = /nginx_status { stub_status; } }") }
CONF
taskset -c 1 nginx -c "$nginx_dir/nginx.conf" -p "$nginx_dir"
target=http://127.0.0.1:$nginx_port
served() { $py -c "import urllib.request; print(int(urllib.request.urlopen('http://127.0.0.1:$nginx_status_port/nginx_status').read().decode().split()[9]) - 1)"; }
cpu_of() {
  $py - "$@" <<'PY'
import os, subprocess, sys
p = subprocess.Popen(["taskset", "-c", "0"] + sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
print(f"{ru.ru_utime + ru.ru_stime:.4f}")
PY
}
# open_scenario RATE SECONDS: writes the scenario of the open-model benchmarks (GET / on the
# target at RATE arrivals/s for SECONDS, up to 2,000 users) to $nginx_dir/open.yaml, which
# the trap removes, and prints its path.
open_scenario() {
  cat >"$nginx_dir/open.yaml" <<YAML
target: $target
load: {arrival_rate: {rate: $1/s, max_users: 2000}, run_time: ${2}s}
users: [{tasks: [{get: /}]}]
YAML
  echo "$nginx_dir/open.yaml"
}
