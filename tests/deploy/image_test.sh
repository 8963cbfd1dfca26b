#!/usr/bin/env bash
# The container image, built for real from deploy/container/Containerfile (buildah, on a Debian
# base made with mmdebstrap: no registry is reachable here), checked (non-root user, entrypoint,
# ports, size), then run: containers cannot be started here, so its root filesystem is mounted
# and each of target, master and two workers runs from it, as its user, in a network namespace
# of its own. The master's report must count what the target served.
#   tests/deploy/image_test.sh BUILD_DIR
source "$(dirname "$0")/common.sh" "$1"
need_root
need_tool ip "iproute2"
need_tool unshare "util-linux"

started=$(date +%s)
image=$(ensure_image)
echo "image $image built (or reused) in $(($(date +%s) - started)) s"
config=$(buildah inspect --type image "$image" | python3 -c '
import json, sys
c = json.load(sys.stdin)["OCIv1"]["config"]
print(c.get("User", ""), json.dumps(c.get("Entrypoint")).replace(" ", ""), ",".join(sorted(c.get("ExposedPorts", {}))),
      ",".join(e for e in c.get("Env", []) if not e.startswith("PATH=")))')
echo "image config: user, entrypoint, ports, environment: $config"
read -r user entrypoint ports env <<<"$config"
[[ $user == 10001:10001 && $entrypoint == '["swarmlet"]' && $ports == 5557/tcp,5558/tcp,8089/tcp && -z $env ]]

container=$(buildah from --quiet "$image")
root=$(buildah mount "$container")
cleanup() {
  net_down
  buildah umount "$container" >/dev/null 2>&1 || true
  buildah rm "$container" >/dev/null 2>&1 || true
}
trap cleanup EXIT
bytes=$(du -sxb "$root" | cut -f1)
echo "image size: $((bytes / 1000000)) MB ($(buildah images --format '{{.Size}}' "$image") as buildah counts it)"
(( bytes < 150 * 1000 * 1000 )) || { echo "the image is over 150 MB" >&2; exit 1; }
net_up target master worker1 worker2
cp "$source_dir/examples/quickstart.yaml" "$root/tmp/scenario.yaml"
logs=$root/tmp
in_image target "$root" "$user" -- swarmlet target --host 0.0.0.0 --port 8080 >"$logs/target.log" 2>&1 &
wait_line "$logs/target.log" listening
in_image master "$root" "$user" -- swarmlet master /tmp/scenario.yaml --bind 0.0.0.0 \
  --expect-workers 2 --host "http://${net_addr[target]}:8080" -t 3s -q --no-web \
  --json /tmp/summary.json >"$logs/master.log" 2>&1 &
master=$!
wait_line "$logs/master.log" listening
for w in worker1 worker2; do
  in_image "$w" "$root" "$user" SWARMLET_MASTER="${net_addr[master]}:5557" -- \
    swarmlet worker --threads 1 >"$logs/$w.log" 2>&1 &
done
status=0
wait "$master" || status=$?
cat "$logs/master.log"
served=$(net_in target python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('http://${net_addr[target]}:8080/__swarmlet/served'))['served'])")
reported=$(reported_in "$root/tmp/summary.json")
echo "image: target served $served requests; the master's report counts $reported (master exit $status)"
[[ $status -eq 0 && $served -gt 0 && $served -eq $reported ]]
