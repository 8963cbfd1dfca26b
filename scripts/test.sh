#!/usr/bin/env bash
# The README's test command: installs what it needs, builds, and runs every test.
# The unit suites run a second time under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
bash scripts/check-format.sh
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j"$(nproc)" -LE deploy)
# The deploy tests (the .deb in a bootstrapped Debian root, the image built with buildah, the
# Kubernetes manifests run from it) wait mostly on Debian's mirror and the disk: they run beside
# the sanitizer build rather than after it.
deploy_log=build/deploy-tests.log
(cd build && SWARMLET_DEPLOY_TESTS=1 ctest --output-on-failure -L deploy) >"$deploy_log" 2>&1 &
deploy_pid=$!
trap 'kill "$deploy_pid" 2>/dev/null || true' EXIT
# Only the unit suites are built under the sanitizers, with line tables but no variables in the
# debug information (-g1): enough for ASan's reports, and the build is what CI waits on. With
# clang's libFuzzer here, the same tree (clang, with fuzzer coverage) makes the fuzz targets too:
# one sanitizer build instead of two. -O1 (as ASan advises) costs a fifth more to build than -O0
# but runs the unit suites a third faster and the fuzz targets three times as fast.
sanitizer_tree=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1"
  "-DCMAKE_C_FLAGS_DEBUG=-g1 -O1" -DSWARMLET_SANITIZE=ON -DSWARMLET_BUILD_BENCH=OFF)
fuzz_here=no
sanitizer_dir=build-asan
if bash scripts/have-libfuzzer.sh; then
  fuzz_here=yes
  sanitizer_dir=build-asan-clang  # a tree's compiler is fixed when it is first configured
  sanitizer_tree+=(-DSWARMLET_FUZZ=ON)
  export CC=clang CXX=clang++
fi
bash scripts/build.sh "$sanitizer_dir" --target=unit_test_binaries "${sanitizer_tree[@]}"
unset CC CXX
(cd "$sanitizer_dir" && ctest --output-on-failure -j"$(nproc)" -L unit)
deploy_status=0
wait "$deploy_pid" || deploy_status=$?
trap - EXIT
cat "$deploy_log"
(( deploy_status == 0 )) || exit "$deploy_status"
# Every fuzz target under libFuzzer for a bounded time; the gcc builds above already ran each
# over its seed corpus and its mutations.
if [[ $fuzz_here == yes ]]; then
  bash scripts/fuzz.sh --build-dir="$sanitizer_dir" "${SWARMLET_FUZZ_SECONDS:-20}"
else
  echo "fuzz: clang with libFuzzer not found; the targets ran over their seed corpora only"
fi
