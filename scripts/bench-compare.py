#!/usr/bin/env python3
"""Times two hull builds against each other on the inventory benchmark: `hull sbom` cold (an
empty cache directory per run) on the docker-archive and the gzip OCI layout of an image,
alternating the two binaries, and prints medians of wall time and peak RSS. For checking a
refactoring for regressions; `bench.py` compares hull with Trivy.

usage: bench-compare.py [--runs N] OLD_HULL NEW_HULL IMAGE_DIR
"""
import glob, os, statistics, subprocess, sys, tempfile, time

from benchtime import timed

def main():
    args = sys.argv[1:]
    runs = 7
    if args[:1] == ["--runs"]:
        runs, args = int(args[1]), args[2:]
    old, new, d = args
    name = os.path.basename(glob.glob(os.path.join(d, "*.docker.tar"))[0])[: -len(".docker.tar")]
    work = tempfile.mkdtemp(prefix="hull-bench-compare-")
    print("| input | old | new | new / old | old peak RSS | new peak RSS |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, image in [("docker-archive", os.path.join(d, name + ".docker.tar")),
                         ("OCI layout (gzip)", os.path.join(d, name + ".oci"))]:
        res = {"old": [], "new": []}
        for i in range(runs):
            for k, binary in (("old", old), ("new", new)) if i % 2 == 0 else (("new", new), ("old", old)):
                cache = os.path.join(work, f"{k}{label[:3]}{i}")
                res[k].append(timed([binary, "sbom", "-q", "-f", "cyclonedx", "--cache-dir", cache,
                                     "-o", "/dev/null", image]))
        med = {k: statistics.median(w for w, _ in v) for k, v in res.items()}
        rss = {k: statistics.median(r for _, r in v) / 1024 for k, v in res.items()}
        print(f"| {label} | {med['old']:.2f} s | {med['new']:.2f} s | {med['new'] / med['old']:.2f} "
              f"| {rss['old']:.0f} MiB | {rss['new']:.0f} MiB |")

if __name__ == "__main__":
    main()
