#!/usr/bin/env bash
# Installs what swarmlet needs: Debian packages to build (and, with --test, to run every test;
# with --bench, the peers the benchmarks compare with, and valgrind to count instructions),
# then the web UI's npm packages from package-lock.json (`npm ci`).
# Idempotent: packages already present are left alone; apt-get update runs only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-context-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libhttp-parser-dev libnghttp2-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libfmt-dev libpcre2-dev libluajit-5.1-dev
  libc-ares-dev libwslay-dev liburing-dev zlib1g-dev libpcg-cpp-dev
  openssl python3 curl
  file  # cpack's .deb generator reads the binary's shared libraries with it (SHLIBDEPS)
)
# Node.js and npm fetch the web UI's charting library; a Node.js already here (with its own
# npm) is used as it is.
command -v npm >/dev/null || build_packages+=(nodejs npm)
# The browser tests drive Debian's Chromium; the scrape test runs Debian's Prometheus; the
# format check runs clang-format; the partition tests drop packets with nftables; nginx is a
# real peer server for the integration tests; the deploy tests bootstrap Debian roots
# (mmdebstrap), build the image (buildah) and render the Kubernetes manifests (kubectl,
# Debian's kubernetes-client unless a kubectl is here already) and read them (python3-yaml);
# the WebSocket tests talk to a server built on Python's websockets.
test_packages=(chromium prometheus clang-format nftables nginx mmdebstrap buildah python3-yaml
  python3-websockets)
command -v kubectl >/dev/null || test_packages+=(kubernetes-client)
bench_packages=(wrk nginx python3-gevent python3-locust hey nghttp2-client valgrind)

want=("${build_packages[@]}")
for arg in "$@"; do
  case $arg in
    --test) want+=("${test_packages[@]}") ;;
    --bench) want+=("${bench_packages[@]}") ;;
    *) echo "usage: $0 [--test] [--bench]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# The npm packages, exactly as package-lock.json pins them; again only when they changed.
stamp=node_modules/.swarmlet-lock
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
