#!/usr/bin/env python3
"""Times `hull k8s` against `checkov --framework kubernetes` on N generated manifests (one
Deployment per file, a quarter hardened, the rest with assorted problems, plus one
NetworkPolicy and one RBAC Role per namespace) and prints a Markdown row: medians of wall
time and peak RSS, and the findings each reported.

usage: bench-k8s.py [--manifests N] [--runs R] [--checkov-runs C]
"""
import os, random, shutil, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))

def arg(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default

def deployment(i, rnd):
    ns = f"team{i % 50}"
    hardened = i % 4 == 0
    sc = ("      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n" if hardened else "")
    csc = ("        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n" if hardened
           else rnd.choice(["        securityContext: {privileged: true}\n",
                            "        securityContext: {capabilities: {add: [NET_ADMIN]}}\n",
                            "", "        securityContext: {runAsUser: 0}\n"]))
    image = rnd.choice(["nginx", "nginx:1.27", "ghcr.io/acme/app:2.1@sha256:" + "a" * 64, "redis:latest"])
    host = "      hostNetwork: true\n" if i % 13 == 0 else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{i}
  namespace: {ns}
  labels: {{app: app{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app{i}}}
  template:
    metadata:
      labels: {{app: app{i}, tier: {rnd.choice(['front', 'back'])}}}
    spec:
{host}{sc}      containers:
      - name: main
        image: {image}
        ports: [{{containerPort: 8080}}]
{csc}        resources:
          limits: {{cpu: 500m, memory: 256Mi}}
        livenessProbe: {{httpGet: {{path: /healthz, port: 8080}}}}
      volumes:
      - name: data
        {rnd.choice(['emptyDir: {}', 'hostPath: {path: /var/data}', 'configMap: {name: cfg}'])}
"""

def extras(ns):
    return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: front, namespace: {ns}}}
spec:
  podSelector:
    matchExpressions: [{{key: tier, operator: In, values: [front]}}]
  ingress: [{{from: [{{namespaceSelector: {{matchLabels: {{name: ingress}}}}}}]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: deployer, namespace: {ns}}}
rules:
- {{apiGroups: [apps], resources: [deployments], verbs: ["*"]}}
"""

def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, int(out.stderr.strip().splitlines()[-1]), out

def main():
    n, runs, ck_runs = arg("--manifests", 10000), arg("--runs", 5), arg("--checkov-runs", 1)
    rnd = random.Random(42)
    d = tempfile.mkdtemp(prefix="hull-k8s-bench-")
    try:
        for i in range(n):
            with open(os.path.join(d, f"deploy-{i:05}.yaml"), "w") as f:
                f.write(deployment(i, rnd))
        for t in range(50):
            with open(os.path.join(d, f"ns-team{t}.yaml"), "w") as f:
                f.write(extras(f"team{t}"))
        subprocess.run(["cat"] + [os.path.join(d, x) for x in os.listdir(d)], stdout=subprocess.DEVNULL)
        hull_t, hull_rss = [], []
        findings = 0
        for _ in range(runs):
            w, rss, out = timed([HULL, "k8s", "-f", "json", "-o", "/tmp/hull-k8s-bench.json", d])
            hull_t.append(w); hull_rss.append(rss)
        import json
        findings = len(json.load(open("/tmp/hull-k8s-bench.json")).get("misconfigurations", []))
        ck_t, ck_rss, ck_findings = [], [], 0
        for _ in range(ck_runs):
            w, rss, out = timed(["checkov", "-d", d, "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"])
            ck_t.append(w); ck_rss.append(rss)
            try:
                doc = json.loads(out.stdout)
                doc = doc if isinstance(doc, list) else [doc]
                ck_findings = sum(r["summary"]["failed"] for r in doc)
            except Exception:
                pass
        h, c = statistics.median(hull_t), statistics.median(ck_t)
        print("| files | hull wall (median of %d) | hull RSS | hull findings | checkov wall (median of %d) | checkov RSS | checkov failed checks | ratio |" % (runs, ck_runs))
        print("|---|---|---|---|---|---|---|---|")
        print(f"| {n + 50} | {h:.2f} s | {statistics.median(hull_rss) / 1024:.0f} MiB | {findings} | {c:.1f} s | {statistics.median(ck_rss) / 1024:.0f} MiB | {ck_findings} | {c / h:.0f}× |")
    finally:
        shutil.rmtree(d)

main()
