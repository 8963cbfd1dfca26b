"""Runs rendered Kubernetes manifests without a cluster (see kubernetes_test.sh): every pod of
every Job and Deployment from the image's root filesystem, in a network namespace of its own.
    kubernetes_run.py RENDERED.yaml IMAGE_ROOT ENTRYPOINT WORK_DIR
"""
import json
import os
import secrets
import shlex
import subprocess
import sys
import time

import yaml

rendered, root, entrypoint, work = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
config_maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
services = [d for d in docs if d["kind"] == "Service"]
workloads = {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Job", "Deployment")}
prefix = f"swk{os.getpid()}-"
# As `kubectl create secret generic` would: values the test makes up, said in its log.
secret_values = {("swarmlet-web", "token"): secrets.token_hex(16)}


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


class Pod:
    """One pod of a workload: its namespace, address, and the process of its one container."""

    count = 0

    def __init__(self, workload, index):
        self.workload = workload
        self.name = f"{workload['metadata']['name']}-{index}"
        self.spec = workload["spec"]["template"]["spec"]
        self.labels = workload["spec"]["template"]["metadata"].get("labels", {})
        assert len(self.spec["containers"]) == 1, f"{self.name}: one container expected"
        self.container = self.spec["containers"][0]
        self.ns = prefix + str(Pod.count)
        self.address = f"198.18.0.{10 + Pod.count}"
        self.veth = f"v{os.getpid()}k{Pod.count}"
        Pod.count += 1
        self.process = None
        self.log = os.path.join(work, self.name + ".log")

    def port(self, port):
        """A container port by number or by name."""
        if isinstance(port, int):
            return port
        for p in self.container.get("ports", []):
            if p.get("name") == port:
                return p["containerPort"]
        raise KeyError(f"{self.name}: no port named {port}")

    def user(self):
        sc = {**self.spec.get("securityContext", {}), **self.container.get("securityContext", {})}
        assert sc.get("runAsNonRoot") and sc.get("runAsUser", 0) != 0, f"{self.name} runs as root"
        return f"{sc['runAsUser']}:{sc.get('runAsGroup', sc['runAsUser'])}"

    def env(self):
        out = ["HOME=/var/lib/swarmlet", "PATH=/usr/local/bin:/usr/bin:/bin"]
        for e in self.container.get("env", []):
            if "value" in e:
                out.append(f"{e['name']}={e['value']}")
            elif "secretKeyRef" in e["valueFrom"]:
                ref = e["valueFrom"]["secretKeyRef"]
                out.append(f"{e['name']}={secret_values[(ref['name'], ref['key'])]}")
            else:
                ref = e["valueFrom"]["configMapKeyRef"]
                out.append(f"{e['name']}={config_map(ref['name'])['data'][ref['key']]}")
        return out

    def mounts(self):
        """(source directory, mount path, read-only) for each volume mount."""
        volumes = {v["name"]: v for v in self.spec.get("volumes", [])}
        out = []
        for m in self.container.get("volumeMounts", []):
            v = volumes[m["name"]]
            src = os.path.join(work, self.name + "-" + m["name"])
            os.makedirs(src, exist_ok=True)
            if "configMap" in v:
                data = config_map(v["configMap"]["name"])["data"]
                items = v["configMap"].get("items") or [{"key": k, "path": k} for k in data]
                for item in items:
                    with open(os.path.join(src, item["path"]), "w") as f:
                        f.write(data[item["key"]])
            elif "emptyDir" in v:
                uid, gid = self.user().split(":")
                os.chown(src, int(uid), int(self.spec.get("securityContext", {}).get("fsGroup", gid)))
            else:
                raise AssertionError(f"{self.name}: volume {m['name']} of a kind this test lacks")
            out.append((src, m["mountPath"], m.get("readOnly", False)))
        return out

    def start(self, hosts_file):
        run("ip", "netns", "add", self.ns)
        run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
        run("ip", "link", "set", self.veth, "netns", prefix + "br")
        run("ip", "-n", prefix + "br", "link", "set", self.veth, "master", "br0", "up")
        run("ip", "-n", self.ns, "addr", "add", self.address + "/24", "dev", "eth0")
        run("ip", "-n", self.ns, "link", "set", "eth0", "up")
        run("ip", "-n", self.ns, "link", "set", "lo", "up")
        ro = self.container.get("securityContext", {}).get("readOnlyRootFilesystem", False)
        script = ["set -e", 'root="$1"', "shift"]
        mounts = [(hosts_file, "/etc/hosts", True)] + self.mounts()
        for _, path, _ in mounts[1:]:  # mount points, made before the root may turn read-only
            os.makedirs(root + path, exist_ok=True)
        if ro:
            script += ['mount --bind "$root" "$root"', 'mount -o remount,bind,ro "$root"']
        script += ['mount -t proc proc "$root/proc"', 'mount --rbind /dev "$root/dev"']
        for src, path, read_only in mounts:
            script.append(f'mount --bind {shlex.quote(src)} "$root"{shlex.quote(path)}')
            if read_only:
                script.append(f'mount -o remount,bind,ro "$root"{shlex.quote(path)}')
        workdir = "/var/lib/swarmlet"
        argv = (self.container.get("command") or entrypoint) + self.container.get("args", [])
        script.append(f'exec chroot --userspec={self.user()} "$root" /usr/bin/env -i -C {workdir} '
                      + " ".join(shlex.quote(a) for a in self.env() + argv))
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--mount", "--propagation", "private",
             "--", "bash", "-c", "\n".join(script), "pod", root],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        print(f"started {self.name} at {self.address}: {' '.join(argv)}", flush=True)

    def probe(self, kind):
        """The HTTP status of the container's probe of this kind (0: no answer), as the kubelet
        asks it: GET the pod's address."""
        get = self.container[kind]["httpGet"]
        url = f"http://{self.address}:{self.port(get['port'])}{get['path']}"
        r = subprocess.run(["ip", "netns", "exec", self.ns, "curl", "-s", "-m", "5", "-o",
                            "/dev/null", "-w", "%{http_code}", url], capture_output=True, text=True)
        return int(r.stdout or 0)

    def text(self):
        with open(self.log) as f:
            return f.read()


def config_map(name):
    # configMapGenerator appends a hash to the name and kustomize rewrites the references.
    return config_maps[name]


def wait_for(what, ready, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def served_by(target):
    r = subprocess.run(["ip", "netns", "exec", target.ns, "curl", "-s", "-m", "5",
                        f"http://{target.address}:8080/__swarmlet/served"],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["served"]


def hosts_for(pods):
    """/etc/hosts naming each Service after the address of the pod it selects."""
    lines = ["127.0.0.1 localhost"]
    for s in services:
        backends = [p for p in pods
                    if all(p.labels.get(k) == v for k, v in s["spec"]["selector"].items())]
        assert len(backends) == 1, f"service {s['metadata']['name']}: {len(backends)} pods"
        for port in s["spec"]["ports"]:
            assert backends[0].port(port.get("targetPort", port["port"])) == port["port"], \
                f"service {s['metadata']['name']}: port {port['port']} is not the pod's"
        lines.append(f"{backends[0].address} {s['metadata']['name']}")
    path = os.path.join(work, "hosts")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main():
    run("ip", "netns", "add", prefix + "br")
    run("ip", "-n", prefix + "br", "link", "add", "br0", "type", "bridge")
    run("ip", "-n", prefix + "br", "link", "set", "br0", "up")
    pods = []
    try:
        master = Pod(workloads["swarmlet-master"], 0)
        target = Pod(workloads["swarmlet-target"], 0)
        worker_set = workloads["swarmlet-worker"]
        workers = [Pod(worker_set, i) for i in range(worker_set["spec"]["replicas"])]
        pods = [target, master] + workers
        hosts = hosts_for(pods)
        print("secret swarmlet-web made up with a token; /etc/hosts:\n" + open(hosts).read(), flush=True)
        expect = next(e["value"] for e in master.container["env"]
                      if e["name"] == "SWARMLET_EXPECT_WORKERS")
        assert int(expect) == len(workers), "the master waits for as many workers as run"

        target.start(hosts)
        wait_for("the target ready", lambda: target.probe("readinessProbe") == 200)
        master.start(hosts)
        wait_for("the master ready", lambda: master.probe("readinessProbe") == 200)
        for w in workers:
            w.start(hosts)
        for w in workers:
            wait_for(f"{w.name} ready (/readyz)", lambda: w.probe("readinessProbe") == 200)
            assert w.probe("livenessProbe") == 200, f"{w.name} not alive"
        assert master.probe("livenessProbe") == 200, "the master not alive"
        print(f"probes: target, master and {len(workers)} workers ready and alive", flush=True)
        code = master.process.wait(timeout=180)
        print(master.text())
        reports = next(src for src, path, _ in master.mounts() if path == "/reports")
        summary = json.load(open(os.path.join(reports, "summary.json")))
        verdict = 0 if summary["passed"] else 1
        served, counted = served_by(target), summary["totals"]["requests"]
        print(f"kubernetes: the master exited {code} (its report says "
              f"{'passed' if summary['passed'] else 'failed'}); target served {served}, "
              f"the report counts {counted}")
        assert code == verdict, "the master's exit code is its verdict"
        assert served > 0 and served == counted, "the report counts what the target served"

        # A bad scenario in the ConfigMap: the master exits 2 with the reason, never a crash.
        for key in list(config_maps):
            config_maps[key]["data"]["scenario.yaml"] = "target: http://x:1\nload: {users: [oops}\n"
        bad = Pod(workloads["swarmlet-master"], 1)
        pods.append(bad)
        bad.start(hosts)
        code = bad.process.wait(timeout=60)
        print(f"bad scenario: the master exited {code}: {bad.text().strip()}")
        assert code == 2, "a bad scenario is exit code 2"
        assert "/etc/swarmlet/scenario.yaml:2:" in bad.text(), "the message names file:line:col"
    finally:
        for p in pods:
            pids = subprocess.run(["ip", "netns", "pids", p.ns], capture_output=True, text=True)
            for pid in pids.stdout.split():
                subprocess.run(["kill", "-9", pid])
            if p.process:
                p.process.wait()
            subprocess.run(["ip", "netns", "del", p.ns], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", prefix + "br"], stderr=subprocess.DEVNULL)
        for p in pods:
            if p.process and p.process.returncode not in (0, 1, 2):
                print(f"--- {p.name} (exit {p.process.returncode}):\n{p.text()}")


main()
