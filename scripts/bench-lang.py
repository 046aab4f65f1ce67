#!/usr/bin/env python3
"""Language inventory speed: `hull sbom` against `trivy image --format cyclonedx` on the
same docker-archive (see scripts/build-lang-bench-image.py), alternating, cold caches,
medians of wall time and peak RSS, and the packages each reported by purl type.

usage: bench-lang.py [--runs N] IMAGE.tar
"""
import json, os, statistics, subprocess, sys, tempfile, time

from benchtime import timed
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trivy_env import java_db

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HULL = os.environ.get("HULL", os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release", "hull"))

def kinds(f):
    return dict(sorted(Counter(c.get("purl", "").split("/")[0][4:] for c in json.load(open(f)).get("components", []) if c.get("purl")).items()))

args = sys.argv[1:]
runs = 5
if args[:1] == ["--runs"]:
    runs, args = int(args[1]), args[2:]
img = args[0]
subprocess.run(["cat", img], stdout=subprocess.DEVNULL)
work = tempfile.mkdtemp(prefix="hull-lang-bench-")
h, t = [], []
for i in range(runs):
    h.append(timed([HULL, "sbom", "-q", "--cache-dir", f"{work}/h{i}", "-f", "cyclonedx", "-o", f"{work}/h.json", img]))
    java_db(f"{work}/t{i}")
    t.append(timed(["trivy", "image", "--cache-dir", f"{work}/t{i}", "--input", img, "--format", "cyclonedx", "--skip-db-update",
                    "--skip-java-db-update", "--offline-scan", "--quiet", "-o", f"{work}/t.json"]))
hw, tw = statistics.median(w for w, _ in h), statistics.median(w for w, _ in t)
print("| image | hull (median of %d) | hull RSS | hull packages | trivy | trivy RSS | trivy packages | ratio |" % runs)
print("|---|---|---|---|---|---|---|---|")
print(f"| {os.path.basename(img)} ({os.path.getsize(img) >> 20} MiB) | {hw:.2f} s | {statistics.median(r for _, r in h) >> 10} MiB | {kinds(work + '/h.json')} | "
      f"{tw:.2f} s | {statistics.median(r for _, r in t) >> 10} MiB | {kinds(work + '/t.json')} | {tw / hw:.1f}× |")
