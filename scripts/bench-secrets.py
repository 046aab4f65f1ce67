#!/usr/bin/env python3
"""Secret scanning speed: `hull scan --scanners secret` against `trivy image --scanners
secret` on the same docker-archive, in the same run, alternating, cold caches (a new cache
directory per run), medians of wall time and peak RSS, and what each reported.

usage: bench-secrets.py [--runs N] IMAGE.tar [IMAGE.tar ...]
"""
import json, os, statistics, subprocess, sys, tempfile, time

from benchtime import timed

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))

def main():
    args = sys.argv[1:]
    runs = 5
    if args[:1] == ["--runs"]:
        runs, args = int(args[1]), args[2:]
    work = tempfile.mkdtemp(prefix="hull-secret-bench-")
    print("| image | size | hull (median) | hull RSS | hull secrets | trivy (median) | trivy RSS | trivy secrets | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for image in args:
        subprocess.run(["cat", image], stdout=subprocess.DEVNULL)
        h, t = [], []
        for i in range(runs):
            h.append(timed([HULL, "scan", "-q", "--scanners", "secret", "--cache-dir", os.path.join(work, f"h{image.__hash__()}{i}"),
                            "-f", "json", "-o", os.path.join(work, "h.json"), image]))
            t.append(timed(["trivy", "image", "--input", image, "--scanners", "secret", "--cache-dir", os.path.join(work, f"t{image.__hash__()}{i}"),
                            "--skip-db-update", "--offline-scan", "--quiet", "-f", "json", "-o", os.path.join(work, "t.json")]))
        hs = len(json.load(open(os.path.join(work, "h.json"))).get("secrets", []))
        tr = json.load(open(os.path.join(work, "t.json")))
        ts = sum(len(r.get("Secrets", [])) for r in tr.get("Results", []))
        hw, tw = statistics.median(w for w, _ in h), statistics.median(w for w, _ in t)
        size = os.path.getsize(image) / (1 << 20)
        print(f"| {os.path.basename(image)} | {size:.0f} MiB | {hw:.2f} s | {statistics.median(r for _, r in h) / 1024:.0f} MiB | {hs} | "
              f"{tw:.2f} s | {statistics.median(r for _, r in t) / 1024:.0f} MiB | {ts} | {tw / hw:.1f}× |")

main()
