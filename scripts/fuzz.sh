#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs each for
# SECONDS (default 20) over its seed corpus, in a scratch copy (the checked-in corpus stays as
# it is). Prints each target's executions; a crash stops with the failing input saved in
# build-fuzz/findings/. Exits 3 when clang's libFuzzer is not here.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: decoder scenario http_response json_path csv web_api
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("$@")
(( ${#targets[@]} )) || targets=(decoder scenario http_response json_path csv web_api)

if ! command -v clang++ >/dev/null || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "fuzz: clang with libFuzzer not found"
  exit 3
fi
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWARMLET_FUZZ=ON -DSWARMLET_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target make_decoder_corpus "${targets[@]/%/_fuzz}" -j"$(nproc)"

mkdir -p build-fuzz/findings
total=0
for t in "${targets[@]}"; do
  work=build-fuzz/corpus-$t
  rm -rf "$work" && mkdir -p "$work"
  if [[ $t == decoder ]]; then
    build-fuzz/tests/fuzz/make_decoder_corpus "$work"
  else
    cp tests/fuzz/corpus/"$t"/* "$work"/
  fi
  log=build-fuzz/fuzz-$t.log
  if ! build-fuzz/tests/fuzz/"$t"_fuzz -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix=build-fuzz/findings/"$t"- "$work" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t FAILED; the input is in build-fuzz/findings/"
    exit 1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}')
  total=$((total + ${runs:-0}))
  echo "fuzz: $t survived ${runs:-?} runs in ${seconds}s"
done
echo "fuzz: $total runs in total, no crash"
