#!/usr/bin/env bash
# Configures and builds swarmlet into BUILD_DIR (default build/), Release unless told otherwise.
#   scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif (( $# )); then
  cmake -S . -B "$build_dir" "$@"
fi
cmake --build "$build_dir" -j"$(nproc)"
