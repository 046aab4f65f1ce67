#!/usr/bin/env python3
"""Wraps the vendored package-database fixtures (other scanners' test data) into
docker-archive images, one per distribution family, so hull and Trivy can be compared on
Alpine, RPM (SQLite, Berkeley DB, NDB) and distroless inputs without a registry.

usage: build-fixture-images.py OUT_DIR
"""
import hashlib, io, json, os, sys, tarfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
fx = os.path.join(root, "crates/hull-analyzer/tests/fixtures")

IMAGES = {
    "alpine": [("etc/os-release", b'ID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME="Alpine Linux v3.4"\n'),
               ("lib/apk/db/installed", "apk/trivy-apk")],
    "mariner": [("etc/os-release", b'ID=mariner\nVERSION_ID="2.0"\nNAME="Common Base Linux Mariner"\n'),
                ("var/lib/rpm/rpmdb.sqlite", "rpm/go-rpmdb-cbl-mariner-2.0_rpmdb.sqlite")],
    "sles": [("etc/os-release", b'NAME="SLES"\nVERSION_ID="15.3"\nID="sles"\n'),
             ("usr/lib/sysimage/rpm/Packages.db", "rpm/go-rpmdb-sle15-bci_Packages.db")],
    "centos": [("etc/os-release", b'NAME="CentOS Linux"\nID="centos"\nVERSION_ID="8"\n'),
               ("var/lib/rpm/Packages", "rpm/go-rpmdb-libuuid_Packages")],
    "distroless": [("etc/os-release", b'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n'),
                   ("var/lib/dpkg/status.d/tzdata", "dpkg/syft-var_lib_dpkg_status.d_single"),
                   ("var/lib/dpkg/status.d/multiple", "dpkg/syft-var_lib_dpkg_status.d_multiple")],
}

def tar_bytes(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def main(out):
    os.makedirs(out, exist_ok=True)
    for name, entries in IMAGES.items():
        files = []
        for path, src in entries:
            data = src if isinstance(src, bytes) else open(os.path.join(fx, src), "rb").read()
            files.append((path, data))
        layer = tar_bytes(files)
        diff = "sha256:" + hashlib.sha256(layer).hexdigest()
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": [diff]},
                             "history": [{"created_by": f"COPY {name} package database fixtures"}]}).encode()
        cname = hashlib.sha256(config).hexdigest() + ".json"
        manifest = json.dumps([{"Config": cname, "RepoTags": [f"fixture-{name}:latest"], "Layers": ["layer/layer.tar"]}]).encode()
        with open(os.path.join(out, f"fixture-{name}.tar"), "wb") as f:
            f.write(tar_bytes([("layer/layer.tar", layer), (cname, config), ("manifest.json", manifest)]))
        print(os.path.join(out, f"fixture-{name}.tar"))

main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "testdata/images/out"))
