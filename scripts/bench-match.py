#!/usr/bin/env python3
"""Times vulnerability matching: an image whose dpkg database lists 10,000 packages (built
from the Debian 12 source packages the advisory data covers, at versions spread below and
above their fixes), scanned with and without the `vuln` scanner, against a database built
from the full `osv/Debian/all.zip`.

usage: bench-match.py OSV_DEBIAN_ZIP [RUNS]
"""
import hashlib, io, json, os, statistics, subprocess, sys, tarfile, tempfile, time, zipfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))

def main():
    osv, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
    fixes = {}
    with zipfile.ZipFile(osv) as z:
        for n in z.namelist():
            d = json.loads(z.read(n))
            for a in d.get("affected", []):
                for r in a.get("ranges", []):
                    for e in r["events"]:
                        if "fixed" in e:
                            fixes.setdefault(a["package"]["name"], []).append(e["fixed"])
    sources = sorted(fixes)
    def inventory(pick):
        paras = []
        for i in range(10_000):
            src = sources[i % len(sources)]
            ver = pick(sorted(fixes[src]), i)
            paras.append(f"Package: {src}-bin{i}\nStatus: install ok installed\nArchitecture: amd64\n"
                         f"Source: {src} ({ver})\nVersion: {ver}\n")
        return ("\n".join(paras) + "\n").encode()
    # "stress": versions cycle through the fixes, so most packages carry many findings (the
    # linux source alone has thousands of records). "current": every package at the newest
    # bookworm version (changelog-sources.tsv), as in a maintained image: all the lookups,
    # few findings.
    newest = {}
    tsv = os.path.join(os.path.dirname(osv), "changelog-sources.tsv")
    for line in open(tsv).read().splitlines()[1:]:
        f = line.split("\t")
        newest[f[0]] = f[1]
    cases = [("stress", inventory(lambda fx, i: fx[(i // len(sources)) % len(fx)])),
             ("current", inventory(lambda fx, i: newest.get(sources[i % len(sources)], fx[-1])))]
    for label, status in cases:
        bench(label, status, osv, runs)

def bench(label, status, osv, runs):
    osr = b'ID=debian\nVERSION_ID="12"\n'
    def tar_of(files):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w") as t:
            for name, data in files:
                ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
        return b.getvalue()
    layer = tar_of([("etc/os-release", osr), ("var/lib/dpkg/status", status)])
    diff = "sha256:" + hashlib.sha256(layer).hexdigest()
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
    cname = hashlib.sha256(cfg).hexdigest() + ".json"
    man = json.dumps([{"Config": cname, "RepoTags": ["bench:10k"], "Layers": ["l/layer.tar"]}]).encode()
    work = tempfile.mkdtemp()
    img = os.path.join(work, "10k.tar")
    open(img, "wb").write(tar_of([("l/layer.tar", layer), (cname, cfg), ("manifest.json", man)]))
    db = os.path.join(work, "adv.db")
    t = time.perf_counter()
    subprocess.run([HULL, "db", "import", "--db", db, osv], check=True, capture_output=True)
    imp = time.perf_counter() - t
    def once(scanners):
        t = time.perf_counter()
        out = subprocess.run([HULL, "scan", "-q", "--no-cache", "--db", db, "--scanners", scanners, "-f", "json", img],
                             check=True, capture_output=True).stdout
        return time.perf_counter() - t, out
    with_v, without = [], []
    for _ in range(runs):
        w, out = once("vuln"); with_v.append(w)
        n, _ = once("none"); without.append(n)
    found = len(json.loads(out).get("vulnerabilities", []))
    mw, mn = statistics.median(with_v), statistics.median(without)
    print(f"import {osv}: {imp:.2f} s, database {os.path.getsize(db) / 2**20:.1f} MiB")
    print(f"{label}: 10,000 packages, {found} findings, {runs} runs, medians:")
    print(f"  scan with vuln {mw * 1000:.0f} ms, without {mn * 1000:.0f} ms, matching {(mw - mn) * 1000:.0f} ms")

main()
