#!/usr/bin/env bash
# The Kubernetes manifests, rendered and run for real without a cluster: kustomize renders the
# base and every overlay offline; then what overlays/practice renders runs from the container
# image's root filesystem (see image_test.sh): each pod's container its own network namespace,
# the rendered args and env, the image's entrypoint, the pod's user, the ConfigMap mounted where
# the manifest mounts it, Service names resolving to those namespaces through /etc/hosts. The
# probes must answer, the master must exit with the verdict (0), its report must count what the
# target served; a bad scenario in the ConfigMap must make the master exit 2 with the reason.
#   tests/deploy/kubernetes_test.sh BUILD_DIR
source "$(dirname "$0")/common.sh" "$1"
need_root
need_tool kubectl "kubectl (Debian's kubernetes-client)"
need_tool ip "iproute2"
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml"

manifests=$source_dir/deploy/kubernetes
work=$(mktemp -d "$cache/kubernetes.XXXXXX")
for dir in base overlays/large overlays/practice; do
  kubectl kustomize "$manifests/$dir" >"$work/$(basename "$dir").yaml"
  echo "kustomize: $dir renders $(grep -c '^kind:' "$work/$(basename "$dir").yaml") objects"
done
# No tool packaged in Debian checks manifests against the API schema offline (kubeconform is
# not packaged; kubectl's validation needs a server): running them below is the check.

image=$(ensure_image)
container=$(buildah from --quiet "$image")
root=$(buildah mount "$container")
cleanup() {
  net_down
  buildah umount "$container" >/dev/null 2>&1 || true
  buildah rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
entrypoint=$(buildah inspect --type image "$image" |
  python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["OCIv1"]["config"]["Entrypoint"]))')
python3 "$(dirname "$0")/kubernetes_run.py" "$work/practice.yaml" "$root" "$entrypoint" "$work"
