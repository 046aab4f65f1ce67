#!/usr/bin/env python3
"""Compares the licences hull and Trivy declare for each package of an image.

usage: compare-licenses.py HULL IMAGE

hull: `hull sbom -f json` (each package's declared licences, as SPDX ids where they map).
Trivy: `trivy image --scanners license --format json` (offline). Licence names are compared
as sets of identifiers per package name; the script prints counts and the differences.
"""
import collections, json, re, subprocess, sys, tempfile

def ids(text):
    """SPDX ids in an expression or a list entry (operators and parentheses dropped)."""
    return {t for t in re.split(r"[\s()]+|\bAND\b|\bOR\b|\bWITH\b", text) if t and t not in ("AND", "OR", "WITH")}

def main():
    hull, image = sys.argv[1:3]
    h = json.loads(subprocess.run([hull, "sbom", "--no-cache", "-q", "-f", "json", image],
                                  capture_output=True, text=True, check=True).stdout)
    ours = collections.defaultdict(set)
    for p in h["packages"]:
        if p.get("license"):
            ours[p["name"]] |= ids(p["license"])
        else:
            # Entries that are not SPDX as a whole are compared part by part, the way
            # Trivy lists a DEP-5 compound (`GPL or MIT-US-export`) as its parts.
            for l in p.get("licenses", []):
                ours[p["name"]] |= {t for t in re.split(r"\s+(?:or|and)\s+", l) if t}
    with tempfile.TemporaryDirectory() as t:
        out = f"{t}/trivy.json"
        subprocess.run(["trivy", "image", "--input", image, "--scanners", "license", "--format", "json",
                        "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--quiet",
                        "--cache-dir", f"{t}/cache", "-o", out], check=True)
        d = json.load(open(out))
    theirs = collections.defaultdict(set)
    for r in d.get("Results", []):
        for l in r.get("Licenses") or []:
            theirs[l["PkgName"]].add(l["Name"])
    names = sorted(set(ours) | set(theirs))
    same = [n for n in names if ours.get(n, set()) == theirs.get(n, set())]
    only_hull = [n for n in names if ours.get(n) and not theirs.get(n)]
    only_trivy = [n for n in names if theirs.get(n) and not ours.get(n)]
    differ = [n for n in names if n not in same and n not in only_hull and n not in only_trivy]
    print(f"packages: {len(names)}; same licence set: {len(same)}; hull only: {len(only_hull)}; "
          f"Trivy only: {len(only_trivy)}; different: {len(differ)}")
    for n in differ:
        print(f"  {n}: hull {sorted(ours[n])} / Trivy {sorted(theirs[n])}")
    for n in only_hull:
        print(f"  {n}: hull {sorted(ours[n])} / Trivy none")
    for n in only_trivy:
        print(f"  {n}: hull none / Trivy {sorted(theirs[n])}")

if __name__ == "__main__":
    main()
