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
# debug information (-g1): enough for ASan's reports, and the build is what CI waits on.
bash scripts/build.sh build-asan --target=unit_test_binaries -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1 -DSWARMLET_SANITIZE=ON -DSWARMLET_BUILD_BENCH=OFF
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L unit)
deploy_status=0
wait "$deploy_pid" || deploy_status=$?
trap - EXIT
cat "$deploy_log"
(( deploy_status == 0 )) || exit "$deploy_status"
# Every fuzz target under libFuzzer for a bounded time, when clang and its fuzzer runtime are
# here; the gcc builds above already ran each over its seed corpus and its mutations.
status=0
bash scripts/fuzz.sh "${SWARMLET_FUZZ_SECONDS:-20}" || status=$?
if (( status == 3 )); then
  echo "fuzz: the targets ran over their seed corpora only (see above)"
elif (( status != 0 )); then
  exit "$status"
fi
