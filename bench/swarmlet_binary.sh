# Sourced by the macro benchmarks: installs what they need and sets $bin to the swarmlet to
# measure: SWARMLET_BIN when set (to compare builds on one machine), else a Release build in
# build-release/, made here.
bash scripts/install-deps.sh --bench
bin=${SWARMLET_BIN:-}
if [[ -z $bin ]]; then
  bash scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
  bin=./build-release/app/swarmlet
fi
