#!/usr/bin/env python3
"""hull, Trivy and detect-secrets on the planted-secrets image (scripts/build-secrets-image.py)
and on the same files as a source tree. For every planted secret: who finds it; then every
finding that is not a planted secret (a decoy reported). Trivy scans the image and the
directory; detect-secrets scans the unpacked layers (each layer into its own directory, so
the deleted file is there too) and the directory.

usage: compare-secrets.py [WORK_DIR]
"""
import json, os, subprocess, sys, tarfile, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))
work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="hull-secret-cmp-")
subprocess.run([sys.executable, os.path.join(root, "scripts/build-secrets-image.py"), work], check=True, capture_output=True)
image = os.path.join(work, "secrets-test.tar")
expected = json.load(open(os.path.join(work, "secrets-test.expected.json")))

# Unpack each layer on its own (the deleted file stays in its layer), and a merged tree.
layers_dir = os.path.join(work, "layers")
tree = os.path.join(work, "tree")
with tarfile.open(image) as outer:
    manifest = json.load(outer.extractfile("manifest.json"))
    config = json.load(outer.extractfile(manifest[0]["Config"]))
    for i, name in enumerate(manifest[0]["Layers"]):
        d = os.path.join(layers_dir, f"layer{i + 1}")
        os.makedirs(d, exist_ok=True)
        with tarfile.open(fileobj=outer.extractfile(name)) as lt:
            lt.extractall(d, filter="data")
            lt.extractall(tree, filter="data") if i < 2 else None

def hull(target):
    out = subprocess.run([HULL, "scan", "-q", "--no-cache", "--scanners", "secret", "-f", "json", target], capture_output=True, check=True)
    return [(s["target"], s["rule"]) for s in json.loads(out.stdout).get("secrets", [])]

def trivy(target, kind):
    out = subprocess.run(["trivy", kind, "--scanners", "secret", "--quiet", "--skip-db-update", "--offline-scan", "-f", "json",
                          "--cache-dir", os.path.join(work, "trivy-cache")] + (["--input", target] if kind == "image" else [target]),
                         capture_output=True, check=True)
    doc = json.loads(out.stdout)
    res = []
    for r in doc.get("Results", []):
        for s in r.get("Secrets", []):
            t = r["Target"]
            if kind == "image":
                # Trivy names findings in the image config after the image itself.
                t = "image config (Env)" if t == target else "/" + t.lstrip("/")
            res.append((t, s["RuleID"]))
    return res

def detect_secrets(d, strip):
    out = subprocess.run(["detect-secrets", "scan", "--all-files", d], capture_output=True, check=True, cwd=d)
    doc = json.loads(out.stdout)
    res = []
    for f, items in doc.get("results", {}).items():
        p = "/" + os.path.relpath(os.path.join(d, f), strip).split("/", 1)[-1] if strip != d else "/" + f
        for s in items:
            res.append((p, s["type"]))
    return res

img = {"hull": hull(image), "trivy": trivy(image, "image"),
       "detect-secrets": [x for l in sorted(os.listdir(layers_dir)) for x in detect_secrets(os.path.join(layers_dir, l), layers_dir)]}
src = {"hull": [("/" + t.lstrip("/"), r) for t, r in hull(tree)], "trivy": [("/" + t, r) for t, r in trivy(tree, "fs")],
       "detect-secrets": detect_secrets(tree, tree)}

def report(title, found, planted):
    print(f"\n### {title}\n")
    tools = list(found)
    print("| file | planted | " + " | ".join(tools) + " |")
    print("|---|---|" + "---|" * len(tools))
    by_file = {}
    for rule, path, deleted in planted:
        by_file.setdefault(path, []).append(rule + (" (deleted in a later layer)" if deleted else ""))
    for path, rules in sorted(by_file.items()):
        marks = []
        for t in tools:
            hits = sorted(r for p, r in found[t] if p == path)
            if t == "hull":
                ok = sorted(hits) == sorted(r.split(" ")[0] for r in rules)
                marks.append(f"{len(hits)}" + ("" if ok else " **≠**"))
            else:
                marks.append(f"{len(hits)}" + (f" ({', '.join(hits)})" if hits else " **missed**"))
        print(f"| `{path}` | {len(rules)}: {', '.join(rules)} | " + " | ".join(marks) + " |")
    for t in tools:
        extra = sorted({(p, r) for p, r in found[t] if p not in by_file})
        print(f"\n{t}: {len(found[t])} findings; outside the planted files (decoys reported): {len(extra)}" + "".join(f"\n- `{p}` {r}" for p, r in extra))

report("Image (`secrets-test.tar`)", img, expected)
tree_planted = [e for e in expected if not e[2] and e[1].startswith("/")]
report("Source tree (layers 1–2 unpacked)", src, tree_planted)
