#!/usr/bin/env python3
"""Compares the OS package inventory of hull and Trivy on the same image.

usage: compare-trivy.py IMAGE [IMAGE...]   (docker-archive tars, OCI layouts, OCI tars)

Runs `hull sbom -f json` and `trivy image --format cyclonedx` (offline, no DB) and prints,
per image, the packages only one tool reports and the packages whose version, source
package or introducing layer differ. Exit 1 when they disagree. Set HULL to the hull binary (default: the
release build in target/).
"""
import json, os, subprocess, sys, tempfile

from trivy_env import java_db

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
hull = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))

def trivy(image, cache):
    flag = "--input" if os.path.isfile(image) or os.path.exists(os.path.join(image, "oci-layout")) else None
    out = os.path.join(cache, "trivy.json")
    java_db(cache)
    args = ["trivy", "image", "--cache-dir", cache, "--format", "cyclonedx", "--skip-db-update",
            "--skip-java-db-update", "--offline-scan", "--quiet", "-o", out]
    args += [flag, image] if flag else [image]
    subprocess.run(args, check=True)
    doc = json.load(open(out))
    pkgs = {}
    for c in doc.get("components", []):
        if c.get("type") != "library":
            continue
        props = {p["name"]: p["value"] for p in c.get("properties", [])}
        src = props.get("aquasecurity:trivy:SrcName")
        pkgs[(c["name"], props.get("aquasecurity:trivy:PkgType", ""))] = (c.get("version"), src, props.get("aquasecurity:trivy:LayerDiffID"))
    return pkgs

def hull_pkgs(image):
    out = subprocess.run([hull, "scan", "--no-cache", "-q", "-f", "json", image], check=True,
                         capture_output=True).stdout
    doc = json.loads(out)
    kind = {"deb": "debian", "apk": "alpine", "rpm": "redhat"}
    return {(p["name"], p["kind"]): (p["version"], (p.get("source") or {}).get("name"), p["location"].get("layer"))
            for p in doc["packages"]}

def main():
    bad = False
    for image in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as cache:
            t = trivy(image, cache)
        h = hull_pkgs(image)
        tn = {n: v for (n, _), v in t.items()}
        hn = {n: v for (n, _), v in h.items()}
        only_h = sorted(set(hn) - set(tn))
        only_t = sorted(set(tn) - set(hn))
        diff = sorted(n for n in set(hn) & set(tn) if hn[n][0] != tn[n][0] or (tn[n][1] and hn[n][1] != tn[n][1])
                      or (tn[n][2] and hn[n][2] != tn[n][2]))
        print(f"{image}: hull {len(hn)}, trivy {len(tn)}, only hull {len(only_h)}, only trivy {len(only_t)}, differing {len(diff)}")
        for n in only_h:
            print(f"  only hull:  {n} {hn[n][0]}")
        for n in only_t:
            print(f"  only trivy: {n} {tn[n][0]}")
        for n in diff:
            print(f"  differ:     {n} hull={hn[n]} trivy={tn[n]}")
        bad |= bool(only_h or only_t or diff)
    sys.exit(1 if bad else 0)

main()
