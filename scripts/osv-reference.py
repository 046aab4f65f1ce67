#!/usr/bin/env python3
"""Reference verdicts for the differential matching test: which advisories affect each
(package, version), with the ecosystem's own comparator doing every comparison:
`packaging.version` (PEP 440) or `apt_pkg.version_compare` (dpkg, from python3-apt).

The OSV range walk is the specification's own pseudo-code (events sorted by version,
`introduced` on, `fixed`/`limit` off at, `last_affected` off above), written here apart from
hull's. Usage: osv-reference.py pep440|dpkg RECORDS.json.gz ECOSYSTEM PAIRS.json
Prints a JSON list: per pair, the sorted affecting ids, or null if the version is invalid.
"""
import functools
import gzip
import json
import re
import sys

scheme, records_path, ecosystem, pairs_path = sys.argv[1:5]

if scheme == "pep440":
    from packaging.version import InvalidVersion, Version

    def parse(v):
        try:
            return Version(v)
        except InvalidVersion:
            return None

    def cmp(a, b):
        return (a > b) - (a < b)

    def norm(n):
        return re.sub(r"[-_.]+", "-", n).lower()
elif scheme == "dpkg":
    import apt_pkg

    apt_pkg.init_system()

    def parse(v):
        return v if re.match(r"^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$", v) else None

    def cmp(a, b):
        r = apt_pkg.version_compare(a, b)
        return (r > 0) - (r < 0)

    def norm(n):
        return n
else:
    sys.exit("scheme: pep440 or dpkg")

records = json.load(gzip.open(records_path))
by_name = {}
for r in records:
    if r.get("withdrawn"):
        continue
    for a in r.get("affected", []):
        p = a.get("package", {})
        if p.get("ecosystem") == ecosystem:
            by_name.setdefault(norm(p["name"]), []).append((r["id"], a))


def in_range(v, events):
    """The OSV specification's evaluation of one range."""
    parsed = []
    for e in events:
        (kind, value), = e.items()
        if kind == "introduced" and value == "0":
            parsed.append((None, kind))
            continue
        pv = parse(value)
        if pv is None:
            continue  # an event the comparator cannot read is skipped
        parsed.append((pv, kind))

    def key(a, b):
        if a[0] is None or b[0] is None:
            return (a[0] is not None) - (b[0] is not None)
        return cmp(a[0], b[0])

    affected = False
    for pv, kind in sorted(parsed, key=functools.cmp_to_key(key)):
        if kind == "introduced" and (pv is None or cmp(v, pv) >= 0):
            affected = True
        elif kind in ("fixed", "limit") and cmp(v, pv) >= 0:
            affected = False
        elif kind == "last_affected" and cmp(v, pv) > 0:
            affected = False
    return affected


out = []
for name, version in json.load(open(pairs_path)):
    v = parse(version)
    if v is None:
        out.append(None)
        continue
    ids = set()
    for rid, a in by_name.get(norm(name), []):
        hit = any(in_range(v, r["events"]) for r in a.get("ranges", []) if r["type"] != "GIT")
        if not hit:
            for listed in a.get("versions", []):
                lv = parse(listed)
                if listed == version or (lv is not None and cmp(lv, v) == 0):
                    hit = True
                    break
        if hit:
            ids.add(rid)
    out.append(sorted(ids))
json.dump(out, sys.stdout)
