#!/usr/bin/python3
"""Measures `hull serve`: re-matching 1,000 stored SBOMs of 300 packages each after an
advisory import, and read throughput and p99 latency of `GET /api/v1/images/{digest}` and
`GET /api/v1/images` with 10,000 stored images (wrk).

The advisory data is the real `osv/Debian/all.zip`, split in two: the server starts with the
first part, the SBOMs are stored (each matched on arrival), then the second part is imported
through the API and the server matches every stored SBOM again. The SBOMs list Debian 12
packages named after the source packages the data covers, at versions below and above their
fixes, so the re-match finds and resolves real findings.

usage: bench-server.py OSV_DEBIAN_ZIP [--sboms 1000] [--packages 300] [--images 10000]
Needs a release build (`cargo build --release -p hull`), wrk, and Debian's python3-apt (run
it with /usr/bin/python3).
"""
import argparse, functools, io, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request, zipfile

# Debian's own version order (python3-apt), to tell the newest fix from an older one.
import apt_pkg
apt_pkg.init()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))
ADMIN = "hull_bench_admin"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(base, method, path, body=None):
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"Authorization": "Bearer " + ADMIN})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"null")


def metric(base, name):
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def split_zip(path):
    """The records of an OSV zip in two zips: nine tenths, and the rest."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".json"))
        parts = ([], [])
        for i, n in enumerate(names):
            parts[1 if i % 10 == 9 else 0].append((n, z.read(n)))
    out = []
    for part in parts:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as w:
            for n, b in part:
                w.writestr(n, b)
        out.append(buf.getvalue())
    return out, names


def fixes_of(path):
    fixes = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if not n.endswith(".json"):
                continue
            d = json.loads(z.read(n))
            for a in d.get("affected", []):
                for r in a.get("ranges", []):
                    for e in r.get("events", []):
                        if "fixed" in e:
                            fixes.setdefault(a["package"]["name"], set()).add(e["fixed"])
    order = functools.cmp_to_key(apt_pkg.version_compare)
    return {k: sorted(v, key=order) for k, v in sorted(fixes.items())}


def sbom(i, sources, fixes, n):
    comps = []
    for k in range(n):
        src = sources[(i * 7 + k) % len(sources)]
        fixed = fixes[src]
        # One package in ten a fix behind (at the version an earlier advisory fixed, so
        # vulnerable to the later ones), the rest at the newest fix: an image a little
        # behind on updates, tens of findings.
        behind = fixed[-2] if len(fixed) > 1 else "0.0.1-1"
        ver = behind if (i + k) % 10 == 0 else fixed[-1]
        comps.append({
            "type": "library", "name": src, "version": ver,
            "purl": f"pkg:deb/debian/{src}@{ver}?arch=amd64&distro=debian-12",
        })
    # A component unique to this SBOM keeps every inventory distinct.
    comps.append({"type": "library", "name": f"bench-app-{i}", "version": "1.0.0",
                  "purl": f"pkg:npm/bench-app-{i}@1.0.0"})
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                       "components": comps}).encode()


def wrk(url, seconds=10, conns=32, script=None):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency",
           "-H", f"Authorization: Bearer {ADMIN}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def admission(base, work):
    """POST /api/v1/admission with a real AdmissionReview (a Deployment of three containers
    pinned by digest, checked at the baseline level) whose digests have stored verdicts."""
    import sqlite3
    digests = [f"sha256:{c * 64}" for c in "abc"]
    db = sqlite3.connect(os.path.join(work, "server.db"), timeout=30)
    for d in digests:
        db.execute("INSERT INTO images (digest, repository, source, report, passed, verdict, counts,"
                   " scanned_at, matched_at, judged_at, advisory_db, failures)"
                   " VALUES (?, 'registry.example/team/app', 'registry', '{}', 1, 'passed', '{}', 1, 1, 1, '1', '[]')", (d,))
    db.commit()
    db.close()
    containers = [{"name": f"c{i}", "image": f"registry.example/team/app@{d}",
                   "securityContext": {"allowPrivilegeEscalation": False}} for i, d in enumerate(digests)]
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "bench", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "namespace": "shop", "operation": "CREATE", "dryRun": True,
        "object": {"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": containers}}}}}}
    body = json.dumps(review)
    req = urllib.request.Request(base + "/api/v1/admission", data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        answer = json.loads(r.read())["response"]
    assert answer["allowed"] is True, answer
    script = os.path.join(work, "admission.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {json.dumps(body)}\n")
    for conns in (8, 32):
        rps, p99, bad = wrk(base + "/api/v1/admission", conns=conns, script=script)
        server_p99 = metric_quantile(base, "hull_admission_duration_seconds", 0.99)
        print(f"POST /api/v1/admission (3 containers, stored verdicts, baseline PSS), {conns} connections: "
              f"{rps:.0f} req/s, p99 {p99:.1f} ms at the client, server time p99 <= {server_p99 * 1000:.2f} ms, non-2xx {bad}")


def metric_quantile(base, name, q):
    """The upper bound of the histogram bucket holding quantile q (cumulative counts)."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        text = r.read().decode()
    buckets = []
    for line in text.splitlines():
        m = re.match(name + r'_bucket\{le="([^"]+)"\} (\d+)', line)
        if m:
            buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), int(m.group(2))))
    total = buckets[-1][1] if buckets else 0
    for le, n in buckets:
        if total and n >= q * total:
            return le
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("osv")
    ap.add_argument("--sboms", type=int, default=1000)
    ap.add_argument("--packages", type=int, default=300)
    ap.add_argument("--images", type=int, default=10000)
    a = ap.parse_args()
    (first, second), names = split_zip(a.osv)
    fixes = fixes_of(a.osv)
    sources = list(fixes)
    work = tempfile.mkdtemp(prefix="hull-bench-server-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, HULL_ADMIN_TOKEN=ADMIN)
    log = open(os.path.join(work, "serve.log"), "w")
    srv = subprocess.Popen([HULL, "serve", "--listen", f"127.0.0.1:{port}",
                            "--store", f"sqlite://{work}/server.db", "--db", f"{work}/advisories.db",
                            "--no-cache"], env=env, stdout=log, stderr=log, cwd=work)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        call(base, "POST", "/api/v1/db/import?name=Debian-part1", first)
        print(f"advisories: {len(names)} records of {a.osv}, split {len(names) - len(names) // 10} + {len(names) // 10}")

        t = time.monotonic()
        for i in range(a.sboms):
            call(base, "POST", f"/api/v1/sboms?name=bench/app:{i}", sbom(i, sources, fixes, a.packages))
        ingest = time.monotonic() - t
        print(f"stored {a.sboms} SBOMs of {a.packages + 1} packages: {ingest:.1f} s "
              f"({a.sboms / ingest:.0f} SBOMs/s, each matched on arrival)")

        before = metric(base, "hull_rematched_images_total")
        t = time.monotonic()
        call(base, "POST", "/api/v1/db/import?name=Debian-part2", second)
        imported = time.monotonic() - t
        while metric(base, "hull_rematched_images_total") < before + a.sboms:
            time.sleep(0.05)
        rematch = time.monotonic() - t
        appeared = metric(base, 'hull_rematch_findings_total{change="appeared"}')
        resolved = metric(base, 'hull_rematch_findings_total{change="resolved"}')
        print(f"re-match of {a.sboms} stored SBOMs after an import of {len(names) // 10} advisories: "
              f"{rematch:.1f} s (import {imported:.2f} s); {appeared:.0f} findings appeared, {resolved:.0f} resolved")

        t = time.monotonic()
        for i in range(a.sboms, a.images):
            call(base, "POST", f"/api/v1/sboms?name=bench/small:{i}", sbom(i, sources, fixes, 10))
        print(f"stored {a.images - a.sboms} more SBOMs of 11 packages: {time.monotonic() - t:.1f} s")
        page = call(base, "GET", "/api/v1/images?limit=1")
        digest = page["images"][0]["digest"]
        for name, path in [("GET /api/v1/images/{digest}", f"/api/v1/images/{digest}"),
                           ("GET /api/v1/images (page of 100)", "/api/v1/images?limit=100")]:
            rps, p99, bad = wrk(base + path)
            print(f"{name} with {a.images} images stored: {rps:.0f} req/s, p99 {p99:.1f} ms, non-2xx {bad}")
        admission(base, work)
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
