#!/usr/bin/env bash
# Echo server throughput, swarmlet's hub vs python3-gevent's StreamServer, in one run.
# Each server is pinned to CPU 1, the same client (examples/echo_client, one green thread per
# connection, DEPTH lines per write so that the client is not the bottleneck) to CPU 0; both
# servers see the same connections and lines. Prints, for each, lines/s and the server's CPU
# per line (user+sys from /proc), and the ratios swarmlet/gevent.
#   bench/echo_vs_gevent.sh [CONNECTIONS] [LINES_PER_CONNECTION] [DEPTH] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-200} lines=${2:-2000} depth=${3:-10} rounds=${4:-3}
bash scripts/install-deps.sh --bench
bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_against() {  # SERVER_CMD... ; prints "lines/s server-CPU-us-per-line"
  local port; port=$(free_port)
  taskset -c 1 "$@" "$port" >/dev/null 2>&1 &
  local pid=$!
  wait_port "$port" || { kill $pid; echo "server did not start: $*" >&2; return 1; }
  local before; before=$(cpu_ticks $pid)
  local out; out=$(taskset -c 0 ./build-release/examples/echo_client "$port" "$conns" "$lines" "$depth")
  local after; after=$(cpu_ticks $pid)
  kill $pid; wait $pid 2>/dev/null || true
  local rate; rate=$(sed -n 's/.* \([0-9]*\) lines\/s/\1/p' <<<"$out")
  awk -v r="$rate" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n=$((conns * lines)) \
    'BEGIN { printf "%s %.2f\n", r, t / hz / n * 1e6 }'
}

echo "echo: $conns connections x $lines lines, $depth per write; server on CPU 1, client on CPU 0"
ratios=()
for r in $(seq "$rounds"); do
  read -r ours ours_cpu < <(run_against ./build-release/examples/echo_server)
  read -r peer peer_cpu < <(run_against /usr/bin/python3 bench/gevent_echo_server.py)
  ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.2f", a / b }')
  cpu_ratio=$(awk -v a="$ours_cpu" -v b="$peer_cpu" 'BEGIN { printf "%.3f", a / b }')
  echo "round $r: swarmlet $ours lines/s, $ours_cpu server CPU-us/line | gevent $peer lines/s, $peer_cpu server CPU-us/line | throughput x$ratio, CPU/line x$cpu_ratio"
  ratios+=("$ratio $cpu_ratio")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1; c[NR]=$2} END {m=int((NR+1)/2); printf "median swarmlet/gevent: throughput %s, server CPU per line %s\n", a[m], c[m]}'
