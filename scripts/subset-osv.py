#!/usr/bin/env python3
"""Writes the OSV subsets the differential matching test reads (testdata/osv/differential),
from the project's shared data (shared/data/osv/<Ecosystem>/all.zip, see its SOURCES.md).

Each output is one gzip-compressed JSON array of the chosen records, minified, with `details` dropped (the
test never reads it; the records are otherwise unchanged). Run from the repository root:
    python3 scripts/subset-osv.py ../shared/data/osv
"""
import gzip
import json
import os
import sys
import zipfile

SETS = {
    # ecosystem dir, output, package names (lower-cased) to keep
    "pypi": ("PyPI", {"django", "pillow", "ansible", "salt", "aiohttp", "lxml", "twisted",
                      "mercurial", "requests", "urllib3", "jinja2", "pyyaml", "cryptography",
                      "werkzeug", "flask"}),
    "debian": ("Debian", {"openssl", "expat", "curl", "glibc", "systemd", "sudo", "openssh",
                          "libxml2", "tiff", "git", "python3.11", "perl", "apache2"}),
    "npm": ("npm", None),
}


def main(root):
    out_dir = os.path.join("testdata", "osv", "differential")
    os.makedirs(out_dir, exist_ok=True)
    for out, (eco, names) in SETS.items():
        z = zipfile.ZipFile(os.path.join(root, eco, "all.zip"))
        keep = []
        for n in sorted(z.namelist()):
            d = json.loads(z.read(n))
            pk = {a["package"]["name"].lower() for a in d.get("affected", []) if "package" in a}
            if names is None or pk & names:
                d.pop("details", None)
                keep.append(d)
        data = json.dumps(keep, separators=(",", ":"), sort_keys=True).encode()
        # mtime 0: the same input gives the same bytes.
        with gzip.GzipFile(os.path.join(out_dir, out + ".json.gz"), "wb", 9, mtime=0) as f:
            f.write(data)
        print(out, len(keep))


if __name__ == "__main__":
    main(sys.argv[1])
