# shellcheck shell=bash
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

skip() { echo "skipped: $*" >&2; exit 77; }
[[ ${SWARMLET_DEPLOY_TESTS:-0} == 1 ]] ||
  skip "deploy tests run only with SWARMLET_DEPLOY_TESTS=1 (they need root and the Debian mirror, and take minutes)"
need_root() { [[ $(id -u) -eq 0 ]] || skip "needs root (chroot, mounts, network namespaces)"; }
need_tool() { command -v "$1" >/dev/null || skip "needs $1 ($2)"; }
mkdir -p "$cache"
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

# The command that runs ARGS chrooted into ROOT with /proc and /dev mounted, in a mount namespace
# of its own (the mounts go with it): "${in_root_command[@]}" ROOT ARGS. Each step execs the
# next, so started in the background its $! is the pid of ARGS itself (a function started so is
# a subshell, and killing that left ARGS running).
in_root_command=(unshare --mount --propagation private -- bash -c
  'root=$1; shift; mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && exec chroot "$root" "$@"'
  in_root)
in_root() {
  "${in_root_command[@]}" "$@"
}

# requests served by the swarmlet target at URL (asked from this host's side).
served_by() {
  python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('$1/__swarmlet/served'))['served'])"
}
reported_in() {
  python3 -c "import json; print(json.load(open('$1'))['totals']['requests'])"
}

# The container image of deploy/container/Containerfile built with buildah (chroot isolation:
# containers cannot be started here, but images can be built) on a base imported from the
# Debian root above, with this build's .deb (PACKAGE=the .deb: building from source inside
# the image takes a whole build, too long for CI). Rebuilt only when the package or the
# Containerfile changed. Prints the image's name.
ensure_image() {
  need_tool buildah "the Debian package buildah"
  local deb depends base_tar base_image stamp image=localhost/swarmlet:deploy-test
  deb=$(ensure_package)
  depends=$(package_depends "$deb")
  base_tar=$(ensure_base_root "$depends")
  base_image=localhost/swarmlet-deploy-base:$(basename "$base_tar" .tar)
  # The package's contents, not the .deb's bytes (cpack stamps fresh file times each time).
  stamp=$( (dpkg-deb --fsys-tarfile "$deb" | tar -xO; dpkg-deb -f "$deb"; cat "$source_dir/deploy/container/Containerfile") |
    sha1sum | cut -c1-12)-$(basename "$base_tar")
  (
    flock 9
    if ! buildah inspect --type image "$base_image" >/dev/null 2>&1; then
      local c
      c=$(buildah from scratch)
      buildah add --quiet "$c" "$base_tar" / >/dev/null
      buildah commit --quiet --rm "$c" "$base_image" >/dev/null
    fi
    if [[ $(cat "$cache/image.stamp" 2>/dev/null) != "$stamp" ]] ||
      ! buildah inspect --type image "$image" >/dev/null 2>&1; then
      local context old
      old=$(buildah images -q "$image" 2>/dev/null || true)
      context=$(mktemp -d "$cache/context.XXXXXX")
      cp "$deb" "$context/"
      buildah bud --isolation chroot --layers=false --build-arg BASE="$base_image" \
        --build-arg PACKAGE="$(basename "$deb")" -f "$source_dir/deploy/container/Containerfile" \
        -t "$image" "$context" >"$cache/image.log" 2>&1 || { cat "$cache/image.log" >&2; exit 1; }
      rm -rf "$context"
      # The image it replaces, untagged now: removed, so reruns do not pile images up.
      [[ -z $old ]] || buildah rmi "$old" >/dev/null 2>&1 || true
      echo "$stamp" >"$cache/image.stamp"
    fi
  ) 9>"$cache/.image.lock"
  echo "$image"
}

# Several hosts on one machine, as tests/support/virtual_network does it: a network namespace
# per host, joined by veth pairs to a bridge in a namespace of its own, the i-th host at
# 198.18.0.(10 + i). net_up HOST...; net_in HOST COMMAND...; net_down (kills what runs in them).
net_prefix=swd$$-
net_hosts=()
declare -A net_addr=()
net_up() {
  ip netns add "${net_prefix}br"
  ip -n "${net_prefix}br" link add br0 type bridge
  ip -n "${net_prefix}br" link set br0 up
  local i=${#net_hosts[@]} h
  for h in "$@"; do
    ip netns add "$net_prefix$h"
    ip link add "v$$x$i" type veth peer name eth0 netns "$net_prefix$h"
    ip link set "v$$x$i" netns "${net_prefix}br"
    ip -n "${net_prefix}br" link set "v$$x$i" master br0 up
    net_addr[$h]=198.18.0.$((10 + i))
    ip -n "$net_prefix$h" addr add "${net_addr[$h]}/24" dev eth0
    ip -n "$net_prefix$h" link set eth0 up
    ip -n "$net_prefix$h" link set lo up
    net_hosts+=("$h")
    i=$((i + 1))
  done
}
net_in() {
  local h=$1
  shift
  ip netns exec "$net_prefix$h" "$@"
}
net_down() {
  local h
  for h in "${net_hosts[@]}"; do ip netns pids "$net_prefix$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; done
  for h in "${net_hosts[@]}"; do ip netns del "$net_prefix$h" 2>/dev/null || true; done
  ip netns del "${net_prefix}br" 2>/dev/null || true
}

# Runs a program of the image in HOST's namespace, chrooted into the image's root ROOT as the
# image's user, in its working directory, with only the environment given:
#   in_image HOST ROOT USER [NAME=VALUE...] -- ARGV...
in_image() {
  local host=$1 root=$2 user=$3
  shift 3
  local env=(HOME=/var/lib/swarmlet PATH=/usr/local/bin:/usr/bin:/bin)
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  net_in "$host" unshare --mount --propagation private -- bash -c \
    'root=$1; user=$2; shift 2; mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
     exec chroot --userspec="$user" "$root" /usr/bin/env -i -C /var/lib/swarmlet "$@"' \
    in_image "$root" "$user" "${env[@]}" "$@"
}
