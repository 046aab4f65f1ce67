#!/usr/bin/env python3
"""Times `hull sbom` against `trivy image --format cyclonedx` on the same image, in the same
run, alternating the two tools, and prints a Markdown table of medians (wall time, peak RSS).

usage: bench.py [--runs N] IMAGE_DIR
  IMAGE_DIR holds <name>.docker.tar and <name>.oci from scripts/build-test-images.sh
  (e.g. `IMAGE_NAME=debian-bench scripts/build-test-images.sh /work/bench-images python3 git
  openjdk-17-jre-headless gcc g++ perl`).

Cold: a fresh, empty cache directory for each run of each tool. Warm: a cache filled by one
previous run. Trivy runs offline (`--skip-db-update --skip-java-db-update --offline-scan`);
it aborts on jars without a Java DB, so its cache gets an empty DB with the real
trivy-java-db schema. The floor is `pigz -dc` of every layer blob to /dev/null (for the
uncompressed docker-archive, `cat` of the archive). Files are read once first so every run
starts from the page cache.
"""
import glob, json, os, shutil, statistics, subprocess, sys, tempfile, time

from benchtime import timed
from trivy_env import java_db

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
HULL = os.environ.get("HULL", os.path.join(target_dir, "release", "hull"))

def hull_cmd(image, cache):
    return [HULL, "sbom", "-q", "-f", "cyclonedx", "--cache-dir", cache, "-o", "/dev/null", image]

def trivy_cmd(image, cache):
    return ["trivy", "image", "--cache-dir", cache, "--input", image, "--format", "cyclonedx", "--skip-db-update",
            "--skip-java-db-update", "--offline-scan", "--quiet", "-o", "/dev/null"]

def layer_blobs(oci):
    idx = json.load(open(os.path.join(oci, "index.json")))
    m = json.load(open(os.path.join(oci, "blobs/sha256", idx["manifests"][0]["digest"].split(":")[1])))
    return [os.path.join(oci, "blobs/sha256", l["digest"].split(":")[1]) for l in m["layers"]]

def median(xs):
    return statistics.median(xs)

def main():
    args = sys.argv[1:]
    runs = 5
    if args[:1] == ["--runs"]:
        runs, args = int(args[1]), args[2:]
    d = args[0]
    name = os.path.basename(glob.glob(os.path.join(d, "*.docker.tar"))[0])[: -len(".docker.tar")]
    inputs = [("docker-archive (uncompressed)", os.path.join(d, name + ".docker.tar")),
              ("OCI layout (gzip)", os.path.join(d, name + ".oci"))]
    work = tempfile.mkdtemp(prefix="hull-bench-")
    rows = []
    for label, image in inputs:
        for p in [image] + (layer_blobs(image) if os.path.isdir(image) else []):
            if os.path.isfile(p):
                subprocess.run(["cat", p], stdout=subprocess.DEVNULL)
        res = {k: [] for k in ["hull cold", "trivy cold", "hull warm", "trivy warm", "floor"]}
        for i in range(runs):
            hc = os.path.join(work, f"hc{i}")
            tc = os.path.join(work, f"tc{i}")
            java_db(tc)
            res["hull cold"].append(timed(hull_cmd(image, hc)))
            res["trivy cold"].append(timed(trivy_cmd(image, tc)))
            if os.path.isdir(image):
                blobs = " ".join(layer_blobs(image))
                res["floor"].append(timed(["sh", "-c", f"for b in {blobs}; do pigz -dc $b; done > /dev/null"]))
            else:
                res["floor"].append(timed(["sh", "-c", f"cat {image} > /dev/null"]))
        hc, tc = os.path.join(work, "hc0"), os.path.join(work, "tc0")
        for i in range(runs):
            res["hull warm"].append(timed(hull_cmd(image, hc)))
            res["trivy warm"].append(timed(trivy_cmd(image, tc)))
        med = {k: (median([w for w, _ in v]), median([r for _, r in v])) for k, v in res.items()}
        rows.append((label, med))
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work, exist_ok=True)
    size = sum(os.path.getsize(p) for p in [os.path.join(d, name + ".docker.tar")])
    print(f"image: {name}, docker-archive {size / 2**20:.0f} MiB, {runs} alternating runs, medians\n")
    print("| input | hull cold | trivy cold | cold speed-up | hull warm | trivy warm | floor | hull / floor | hull RSS | trivy RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, m in rows:
        print(f"| {label} | {m['hull cold'][0]:.2f} s | {m['trivy cold'][0]:.2f} s | {m['trivy cold'][0] / m['hull cold'][0]:.1f}× "
              f"| {m['hull warm'][0] * 1000:.0f} ms | {m['trivy warm'][0]:.2f} s | {m['floor'][0]:.2f} s "
              f"| {m['hull cold'][0] / m['floor'][0]:.2f} | {m['hull cold'][1] / 1024:.0f} MiB | {m['trivy cold'][1] / 1024:.0f} MiB |")

main()
