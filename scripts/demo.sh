#!/usr/bin/env bash
# The README's main job. Until the load test lands (issue: one-process load test), it runs the
# green-thread demo: the echo server and a client of 500 concurrent connections on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
out=$(mktemp)
./build/examples/echo_server 0 127.0.0.1 >"$out" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out")
cat "$out"
./build/examples/echo_client "$port" 500 200
