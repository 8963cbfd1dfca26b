#!/usr/bin/env bash
# The Debian package, installed for real: builds the .deb of this build (cpack), installs it
# with dpkg -i into a minimal Debian root (mmdebstrap; its runtime dependencies present, nothing
# else of ours), and runs swarmlet from there: --version, then a short test against its own
# target, the report's count checked against the target's. Also checks what the package holds
# (units naming /usr/bin/swarmlet, examples and docs under /usr/share/doc/swarmlet).
#   tests/deploy/deb_test.sh BUILD_DIR
source "$(dirname "$0")/common.sh" "$1"
need_root
need_tool dpkg-deb "dpkg"
need_tool unshare "util-linux"

deb=$(ensure_package)
depends=$(package_depends "$deb")
echo "package: $(basename "$deb"), Depends: $depends"
[[ $depends != *-dev* ]] || { echo "the package depends on -dev packages: $depends" >&2; exit 1; }
base=$(ensure_base_root "$depends")

root=$(mktemp -d "$cache/root.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
cp "$deb" "$root/tmp/"
in_root "$root" dpkg -i "/tmp/$(basename "$deb")"

version=$(in_root "$root" swarmlet --version)
echo "in the root: $version"
[[ $version == "swarmlet $(dpkg-deb -f "$deb" Version)" ]]
grep -q '^ExecStart=/usr/bin/swarmlet worker' "$root/usr/lib/systemd/system/swarmlet-worker.service"
grep -q '^ExecStart=/usr/bin/swarmlet master' "$root/usr/lib/systemd/system/swarmlet-master.service"
test -f "$root/usr/share/doc/swarmlet/README.md"
test -f "$root/usr/share/doc/swarmlet/docs/scenario.md"  # where README.md's links point
test -f "$root/usr/share/doc/swarmlet/examples/quickstart.yaml"

# The target and the test both from the root, on this host's loopback (a free port).
"${in_root_command[@]}" "$root" swarmlet target --host 127.0.0.1 --port 0 >"$root/tmp/target.log" 2>&1 &
pids+=($!)
wait_line "$root/tmp/target.log" listening
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$root/tmp/target.log")
in_root "$root" swarmlet run /usr/share/doc/swarmlet/examples/quickstart.yaml --host "$url" \
  -u 5 -r 5 -t 2s -q --no-web --json /tmp/summary.json
served=$(served_by "$url")
reported=$(reported_in "$root/tmp/summary.json")
echo "deb: target served $served requests; the report from the installed swarmlet counts $reported"
[[ $served -gt 0 && $served -eq $reported ]]
