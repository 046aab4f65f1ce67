#!/usr/bin/env python3
"""Builds `lang-test.tar`, a docker-archive whose layers hold language packages installed
by the package managers themselves (npm from the npm registry, pip from PyPI, old releases
on purpose), and `lang-test.expected.json`: what those package managers report
(`npm ls --all --json`, `pip list --path … --format json`), plus a Cargo project directory
with the lock file `cargo generate-lockfile` wrote and what `cargo metadata` reports.

Needs node/npm, python3 with pip, cargo, and the registries. Skips when already built.
usage: build-lang-image.py [OUT_DIR]
"""
import hashlib, io, json, os, shutil, subprocess, sys, tarfile, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "testdata/images/out")
done = os.path.join(out, "lang-test.done")
if os.path.exists(done):
    print(f"lang-test already built in {out} (remove {done} to rebuild)")
    sys.exit(0)
work = tempfile.mkdtemp(prefix="hull-lang-")

def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout

# npm: old releases, a scoped package, nested node_modules (two versions of one package).
app = os.path.join(work, "app")
os.makedirs(app)
json.dump({"name": "lang-test", "version": "1.0.0", "private": True}, open(os.path.join(app, "package.json"), "w"))
run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "express@4.17.1", "lodash@4.17.15",
     "@babel/code-frame@7.0.0", "debug@4.1.0"], app)
tree = json.loads(run(["npm", "ls", "--all", "--json"], app))
npm = set()
def walk(deps):
    for name, d in (deps or {}).items():
        if "version" in d:
            npm.add((name, d["version"]))
        walk(d.get("dependencies"))
walk(tree.get("dependencies"))

# pip: old releases of pure-Python distributions, with mixed-case and dotted names.
site = os.path.join(work, "site-packages")
run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target", site,
     "requests==2.19.0", "urllib3==1.23", "idna==2.7", "Django==2.2", "six==1.11.0", "PyJWT==1.6.0",
     "backports.ssl_match_hostname==3.5.0.1"], work)
pip = {(p["name"], p["version"]) for p in json.loads(run([sys.executable, "-m", "pip", "list", "--path", site, "--format", "json"], work))}

# cargo: a lock file for a directory scan (lock files are not read from images).
crate = os.path.join(out, "lang-test.cargo")
shutil.rmtree(crate, ignore_errors=True)
os.makedirs(os.path.join(crate, "src"))
open(os.path.join(crate, "Cargo.toml"), "w").write('[package]\nname = "lang-test"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n[dependencies]\nitoa = "=1.0.1"\nmemchr = "=2.4.0"\n')
open(os.path.join(crate, "src/lib.rs"), "w").write("")
run(["cargo", "generate-lockfile"], crate)
meta = json.loads(run(["cargo", "metadata", "--format-version", "1", "--locked"], crate))
cargo = {(p["name"], p["version"]) for p in meta["packages"]}
shutil.rmtree(os.path.join(crate, "target"), ignore_errors=True)

def layer(entries):
    """A layer tar from (path in image, path on disk) pairs, directories walked."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for dest, src in entries:
            if isinstance(src, bytes):
                ti = tarfile.TarInfo(dest); ti.size = len(src); ti.mode = 0o644; ti.mtime = 0
                t.addfile(ti, io.BytesIO(src))
            else:
                t.add(src, arcname=dest, filter=lambda ti: (setattr(ti, "mtime", 0), ti)[1])
    return buf.getvalue()

blobs = [
    layer([("etc/os-release", b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')]),
    layer([("app", app)]),
    layer([("usr/local/lib/python3.11/site-packages", site)]),
]
diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "1000"},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created_by": "ADD os-release"}, {"created_by": "RUN npm install"}, {"created_by": "RUN pip install"}]}).encode()
cname = hashlib.sha256(config).hexdigest() + ".json"
members = [(f"l{i}/layer.tar", b) for i, b in enumerate(blobs)]
manifest = json.dumps([{"Config": cname, "RepoTags": ["lang-test:latest"], "Layers": [m for m, _ in members]}]).encode()
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "lang-test.tar"), "wb") as f:
    f.write(layer([(n, b) for n, b in members] + [(cname, config), ("manifest.json", manifest)]))
json.dump({"npm": sorted(npm), "python": sorted(pip), "cargo": sorted(cargo)},
          open(os.path.join(out, "lang-test.expected.json"), "w"), indent=1)
open(done, "w").close()
shutil.rmtree(work)
print(f"built lang-test in {out}: {len(npm)} npm, {len(pip)} python packages; {len(cargo)} cargo packages in lang-test.cargo")
