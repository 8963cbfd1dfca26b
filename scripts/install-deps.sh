#!/usr/bin/env bash
# Installs every Debian package swarmlet needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt-get update runs only when needed.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-context-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libhttp-parser-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  openssl python3 curl
)
bench_packages=(wrk nginx python3-gevent python3-locust hey)

want=("${build_packages[@]}")
[[ ${1:-} == --bench ]] && want+=("${bench_packages[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
(( ${#missing[@]} == 0 )) && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
