#!/usr/bin/env bash
# Writes what a hull binary prints for the repo's test images, in the machine formats, so
# two builds can be compared byte for byte (a refactoring must not change any of it):
#
#   scripts/snapshot-outputs.sh OLD_HULL /tmp/out-old
#   scripts/snapshot-outputs.sh NEW_HULL /tmp/out-new
#   diff -r /tmp/out-old /tmp/out-new && echo identical
#
# Needs the test images (scripts/build-test-images.sh, scripts/build-lang-image.py).
set -euo pipefail
hull=$(realpath "$1")
out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
images=${HULL_TEST_IMAGES:-$here/testdata/images/out}
mkdir -p "$out"
export SOURCE_DATE_EPOCH=1700000000
db="$out/.advisories.db"
"$hull" db import "$here/testdata/osv" --db "$db" 2>/dev/null
targets=(debian-test.docker.tar debian-test.oci debian-test.oci.tar debian-test.zstd.oci
         debian-test.rootfs lang-test.tar lang-test.cargo)
for t in "${targets[@]}"; do
  for f in json cyclonedx spdx; do
    "$hull" scan --no-cache -q --db "$db" -f "$f" "$images/$t" > "$out/$t.scan.$f" 2>/dev/null || echo "exit $?" >> "$out/$t.scan.$f"
    "$hull" sbom --no-cache -q -f "$f" "$images/$t" > "$out/$t.sbom.$f" 2>/dev/null || echo "exit $?" >> "$out/$t.sbom.$f"
  done
  "$hull" scan --no-cache -q --db "$db" -f json --scanners vuln,secret,misconfig,malware \
    "$images/$t" > "$out/$t.all.json" 2>/dev/null || echo "exit $?" >> "$out/$t.all.json"
done
# An SBOM as input, and the configuration checks of the repo's own manifests.
"$hull" sbom --no-cache -q -f cyclonedx "$images/debian-test.docker.tar" > "$out/.input.cdx.json"
"$hull" scan -q --db "$db" -f json "$out/.input.cdx.json" | sed "s#$out#OUT#g" > "$out/sbom-input.scan.json"
"$hull" k8s -f json "$here/testdata/config" > "$out/k8s.json" || echo "exit $?" >> "$out/k8s.json"
