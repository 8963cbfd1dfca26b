#!/usr/bin/env bash
# Configures and builds swarmlet into BUILD_DIR (default build/), Release unless told otherwise.
#   scripts/build.sh [BUILD_DIR] [--target=NAME] [extra cmake arguments...]
# --target=NAME builds that target alone (e.g. unit_test_binaries) instead of everything.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
targets=()
cmake_args=()
for arg in "$@"; do
  case $arg in
    --target=*) targets+=(--target "${arg#--target=}") ;;
    *) cmake_args+=("$arg") ;;
  esac
done
set -- ${cmake_args[@]+"${cmake_args[@]}"}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif (( $# )); then
  cmake -S . -B "$build_dir" "$@"
fi
cmake --build "$build_dir" ${targets[@]+"${targets[@]}"} -j"$(nproc)"
