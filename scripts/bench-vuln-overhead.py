#!/usr/bin/env python3
"""What the `vuln` scanner adds to a whole `hull scan` of an image: cold scans (no layer
cache) with `--scanners vuln` and with `--scanners none`, alternated, medians of RUNS each.
Also times `hull db import` of every OSV zip given (medians of 3) and reports the size.

usage: bench-vuln-overhead.py IMAGE RUNS OSV_ZIP...
"""
import os, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))

def timed(args):
    t = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t

def main():
    image, runs, zips = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    db = os.path.join(tempfile.mkdtemp(), "all.db")
    imports = [timed([HULL, "db", "import", "--db", db, *zips]) for _ in range(3)]
    print(f"import of {len(zips)} OSV zips: median {statistics.median(imports):.2f} s "
          f"(runs {', '.join(f'{x:.2f}' for x in imports)}), database {os.path.getsize(db) / 2**20:.1f} MiB")
    scan = lambda s: [HULL, "scan", "-q", "--no-cache", "--db", db, "--scanners", s, "-f", "json", "-o", "/dev/null", image]
    timed(scan("none")); timed(scan("vuln"))
    vuln, none = [], []
    for _ in range(runs):
        vuln.append(timed(scan("vuln")))
        none.append(timed(scan("none")))
    mv, mn = statistics.median(vuln), statistics.median(none)
    print(f"{os.path.basename(image)}: cold scan, {runs} runs each, medians: with vuln {mv * 1000:.0f} ms, "
          f"without {mn * 1000:.0f} ms, vuln adds {(mv - mn) * 1000:.0f} ms ({100 * (mv - mn) / mn:.1f}%)")

main()
