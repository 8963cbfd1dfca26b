#!/usr/bin/env bash
# The README's test command: installs what it needs, builds, and runs every test.
# The unit suites run a second time under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j"$(nproc)")
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSWARMLET_SANITIZE=ON -DSWARMLET_BUILD_BENCH=OFF
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L unit)
