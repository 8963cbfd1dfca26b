#!/usr/bin/env bash
# Succeeds when clang and its libFuzzer runtime are here (scripts/fuzz.sh and scripts/test.sh
# build the fuzz targets only then).
command -v clang++ >/dev/null &&
  echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
  clang++ -x c++ -fsanitize=fuzzer -o /dev/null - 2>/dev/null
