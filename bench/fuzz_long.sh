#!/usr/bin/env bash
# A long libFuzzer run of every fuzz target (not in CI, which gives each 20 s): SECONDS each
# (default 150), to reach 10^7 executions in total on a 2-core machine. Prints each target's
# executions and the total; a crash stops it with the input in build-fuzz/findings/ (make it a
# regression test: its bytes into tests/fuzz/corpus/TARGET/ and a unit test of the cause).
#   bench/fuzz_long.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/fuzz.sh "${1:-150}"
