#!/usr/bin/env bash
# swarmlet over HTTP/2 vs h2load (Debian's nghttp2-client), side by side in one run, against the
# same nginx speaking h2c (Debian's; `return 200`, one worker pinned to CPU 1), each generator
# pinned to CPU 0. nginx counts the requests (stub_status), the kernel the generator's CPU
# (user+sys). Two shapes:
#   m1:  CONNECTIONS users, one request at a time each (YAML users)  vs  h2load -c N -m 1
#   m10: 5 users keeping 10 requests in flight on their one connection (scripted users, sw.pool)
#        vs  h2load -c 5 -m 10
# Prints requests/s and CPU-µs per request, the ratio to h2load's CPU per request per round, and
# the median ratio of each shape (below 1.0: cheaper per request than h2load).
#   bench/h2_vs_h2load.sh [CONNECTIONS] [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-50} secs=${2:-8} rounds=${3:-3}
bin=${SWARMLET:-build/app/swarmlet}
for t in nginx h2load taskset; do
  command -v $t >/dev/null || { echo "h2_vs_h2load: needs $t (scripts/install-deps.sh --bench)" >&2; exit 2; }
done
[[ -x $bin ]] || { echo "h2_vs_h2load: build $bin first (cmake --build build --target swarmlet)" >&2; exit 2; }
nginx_h2=1
source bench/nginx_target.sh
measure() {  # COMMAND... -> "requests cpu_seconds"
  local before; before=$(served)
  local cpu; cpu=$(cpu_of "$@")
  local after; after=$(served)
  echo "$((after - before - 1)) $cpu"
}
ratios=$(mktemp)
trap '[[ -f $nginx_dir/nginx.pid ]] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null; sleep 0.2; rm -rf "$nginx_dir" "$ratios"' EXIT
report() {  # SHAPE ROUND "h2load_q h2load_cpu" "swarmlet_q swarmlet_cpu"
  $py - "$@" "$secs" >>"$ratios" <<'PY'
import sys
shape, rnd, h, s, secs = sys.argv[1:6]
hq, hc = int(h.split()[0]), float(h.split()[1])
sq, sc = int(s.split()[0]), float(s.split()[1])
hu, su = hc / hq * 1e6, sc / sq * 1e6
print(f"{shape} {su / hu:.3f}")
print(f"round {rnd} {shape}: h2load {hq / float(secs):,.0f} req/s, {hu:.2f} CPU-us/req | "
      f"swarmlet {sq / float(secs):,.0f} req/s, {su:.2f} CPU-us/req | ratio {su / hu:.3f}",
      file=sys.stderr)
PY
}
echo "nginx (h2c) on CPU 1, each generator on CPU 0, ${secs}s per run, $rounds rounds"
for r in $(seq "$rounds"); do
  h=$(measure h2load -c "$conns" -m 1 -t 1 -D "$secs" "$target/")
  s=$(measure "$bin" run bench/scenarios/h2_nowait.yaml --host "$target" -u "$conns" -r 100000 \
        -t "${secs}s" --threads 1 -q)
  report m1 "$r" "$h" "$s"
  h=$(measure h2load -c 5 -m 10 -t 1 -D "$secs" "$target/")
  s=$(measure "$bin" run bench/scenarios/h2_parallel.yaml --host "$target" -t "${secs}s" \
        --threads 1 -q)
  report m10 "$r" "$h" "$s"
done
$py - "$ratios" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    shape, ratio = line.split()
    by.setdefault(shape, []).append(float(ratio))
for shape, rs in by.items():
    print(f"median ratio swarmlet/h2load, CPU per request, {shape}: {statistics.median(rs):.3f}")
PY
