#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into "$build"/ and runs each for
# SECONDS (default 20) over its seed corpus, in a scratch copy (the checked-in corpus stays as
# it is). Prints each target's executions; a crash stops with the failing input saved in
# FUZZ_DIR/findings/. Exits 3 when clang's libFuzzer is not here.
#   scripts/fuzz.sh [--build-dir=DIR] [SECONDS] [TARGET...]
#     targets: decoder scenario http_response json_path csv web_api
# --build-dir=DIR uses a tree already configured with -DSWARMLET_FUZZ=ON (scripts/test.sh's
# sanitizer tree, which holds the unit suites too) instead of configuring "$build"/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
configured=no
if [[ ${1:-} == --build-dir=* ]]; then
  build=${1#--build-dir=}
  configured=yes
  shift
fi
seconds=${1:-20}
shift || true
targets=("$@")
(( ${#targets[@]} )) || targets=(decoder scenario http_response json_path csv web_api)

if [[ $configured == no ]]; then
  if ! bash scripts/have-libfuzzer.sh; then
    echo "fuzz: clang with libFuzzer not found"
    exit 3
  fi
  generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
  launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CC=clang CXX=clang++ cmake -S . -B "$build" "${generator[@]}" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWARMLET_FUZZ=ON -DSWARMLET_BUILD_TESTS=OFF \
    -DSWARMLET_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target make_decoder_corpus "${targets[@]/%/_fuzz}" -j"$(nproc)"

mkdir -p "$build"/findings
total=0
for t in "${targets[@]}"; do
  work="$build"/corpus-$t
  rm -rf "$work" && mkdir -p "$work"
  if [[ $t == decoder ]]; then
    "$build"/tests/fuzz/make_decoder_corpus "$work"
  else
    cp tests/fuzz/corpus/"$t"/* "$work"/
  fi
  log="$build"/fuzz-$t.log
  if ! "$build"/tests/fuzz/"$t"_fuzz -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$build"/findings/"$t"- "$work" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t FAILED; the input is in $build/findings/"
    exit 1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}')
  total=$((total + ${runs:-0}))
  echo "fuzz: $t survived ${runs:-?} runs in ${seconds}s"
done
echo "fuzz: $total runs in total, no crash"
