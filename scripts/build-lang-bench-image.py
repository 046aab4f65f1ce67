#!/usr/bin/env python3
"""Builds `lang-bench.tar`, a docker-archive for the language-inventory benchmark: a large
`node_modules` tree (one layer) and a Java tree (the jars of the machine's Debian Java
packages, `/usr/share/java`, dereferenced; another layer).

usage: build-lang-bench-image.py NODE_PROJECT_DIR JAVA_DIR OUT.tar
  NODE_PROJECT_DIR holds `node_modules` (e.g. after `npm install typescript webpack eslint
  @babel/core lodash aws-sdk@2 express react react-dom`).
"""
import hashlib, io, json, os, sys, tarfile

node, java, out = sys.argv[1:4]

def layer(dest, src):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT, dereference=True) as t:
        t.add(src, arcname=dest, filter=lambda ti: (setattr(ti, "mtime", 0), ti)[1])
    return buf.getvalue()

blobs = [layer("etc/os-release", "/etc/os-release"), layer("app/node_modules", os.path.join(node, "node_modules")), layer("opt/java/lib", java)]
diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created_by": "ADD os-release"}, {"created_by": "COPY node_modules"}, {"created_by": "COPY java"}]}).encode()
cname = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": cname, "RepoTags": ["lang-bench:latest"], "Layers": [f"l{i}/layer.tar" for i in range(len(blobs))]}]).encode()
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    for name, data in [(f"l{i}/layer.tar", b) for i, b in enumerate(blobs)] + [(cname, config), ("manifest.json", manifest)]:
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
        t.addfile(ti, io.BytesIO(data))
print(out, os.path.getsize(out) >> 20, "MiB")
