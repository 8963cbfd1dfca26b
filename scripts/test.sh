#!/usr/bin/env bash
# The README's test command: installs what it needs, builds, and runs every test.
# The unit suites run a second time under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
bash scripts/check-format.sh
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j"$(nproc)")
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSWARMLET_SANITIZE=ON -DSWARMLET_BUILD_BENCH=OFF
(cd build-asan && ctest --output-on-failure -j"$(nproc)" -L unit)
# The protocol decoder under libFuzzer for a bounded time, when clang and its fuzzer runtime are
# here; the gcc build above already ran the same target over the seed corpus and its mutations.
if command -v clang++ >/dev/null && echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
  CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWARMLET_FUZZ=ON \
    -DSWARMLET_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz --target decoder_fuzz make_decoder_corpus -j"$(nproc)"
  rm -rf build-fuzz/corpus && mkdir build-fuzz/corpus && build-fuzz/tests/fuzz/make_decoder_corpus build-fuzz/corpus
  (cd build-fuzz && tests/fuzz/decoder_fuzz -max_total_time="${SWARMLET_FUZZ_SECONDS:-60}" -rss_limit_mb=2048 corpus 2>&1 | tail -3)
  echo "fuzz: the protocol decoder survived ${SWARMLET_FUZZ_SECONDS:-60}s of libFuzzer"
else
  echo "fuzz: clang with libFuzzer not found; the decoder ran over its seed corpus only (see above)"
fi
