# Shared by the deploy tests (sourced): the Debian package from this build, a Debian root made
# with mmdebstrap and kept under the build directory, and running programs chrooted into a root.
# Each test exits 77 (ctest: skipped) with its reason when this machine cannot run it.
#   source common.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
source_dir=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../..")
cache=$build/deploy-cache
mirror=${SWARMLET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
mkdir -p "$cache"

skip() { echo "skipped: $*" >&2; exit 77; }
[[ ${SWARMLET_DEPLOY_TESTS:-0} == 1 ]] ||
  skip "deploy tests run only with SWARMLET_DEPLOY_TESTS=1 (they need root and the Debian mirror, and take minutes)"
need_root() { [[ $(id -u) -eq 0 ]] || skip "needs root (chroot, mounts, network namespaces)"; }
need_tool() { command -v "$1" >/dev/null || skip "needs $1 ($2)"; }
# Waits until FILE holds a line matching PATTERN (grep -E), for up to 30 s.
wait_line() {
  local file=$1 pattern=$2
  for _ in $(seq 600); do
    grep -qE "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "no line matching '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

# The .deb of this build (cpack), under $cache/package; prints its path.
ensure_package() {
  (
    flock 9
    rm -f "$cache"/package/swarmlet_*.deb
    cpack -G DEB --config "$build/CPackConfig.cmake" -B "$cache/package" >"$cache/package.log" 2>&1 ||
      { cat "$cache/package.log" >&2; exit 1; }
  ) 9>"$cache/.package.lock"
  ls "$cache"/package/swarmlet_*.deb
}

# The package's Depends as a comma-separated list of package names (the first of alternatives).
package_depends() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/ //g' | grep -v '^$' |
    paste -sd, -
}

# A tarball of a minimal Debian root (minbase, without docs, man pages and locales, as Debian's
# -slim images) that already holds the runtime libraries DEPENDS names, so `dpkg -i` of the
# package checks its Depends offline. Made once per list of dependencies (about 2 minutes from
# the mirror), then reused. Prints its path.
ensure_base_root() {
  local depends=$1
  local tar
  tar=$cache/$suite-$(echo "$depends" | sha1sum | cut -c1-12).tar
  (
    flock 9
    if [[ ! -s $tar ]]; then
      need_tool mmdebstrap "the Debian package mmdebstrap"
      curl -fsI --max-time 15 "$mirror/dists/$suite/Release" >/dev/null ||
        skip "needs the Debian mirror $mirror (for the base root), and none is cached in $cache"
      rm -f "$cache/$suite"-*.tar
      mmdebstrap --variant=minbase --include="$depends" \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/swarmlet/*' \
        "$suite" "$cache/partial.tar" "$mirror" >"$cache/mmdebstrap.log" 2>&1 ||
        { cat "$cache/mmdebstrap.log" >&2; exit 1; }
      mv "$cache/partial.tar" "$tar"
    fi
  ) 9>"$cache/.root.lock"
  echo "$tar"
}

# Runs ARGS chrooted into ROOT with /proc and /dev mounted, in a mount namespace of its own (the
# mounts go with it).
in_root() {
  local root=$1
  shift
  unshare --mount --propagation private -- bash -c \
    'root=$1; shift; mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && exec chroot "$root" "$@"' \
    in_root "$root" "$@"
}

# requests served by the swarmlet target at URL (asked from this host's side).
served_by() {
  python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('$1/__swarmlet/served'))['served'])"
}
reported_in() {
  python3 -c "import json; print(json.load(open('$1'))['totals']['requests'])"
}
