#!/usr/bin/env python3
"""Prints the check table of docs/misconfig.md from hull-config's sources (ids, titles and
severities as the code declares them); `--write` replaces the table in the doc. A test in
hull-config fails when the doc and the code disagree."""
import glob, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
rows = []
for f in sorted(glob.glob(str(root / 'crates/hull-config/src/**/*.rs'), recursive=True)):
    s = open(f).read()
    for m in re.finditer(r'id: "([a-z0-9-]+)",\s*title: "([^"]+)",\s*severity: Severity::(\w+)', s):
        rows.append((m.group(1), m.group(2), m.group(3).lower()))
    for m in re.finditer(r'(baseline|restricted)\(\s*"([a-z0-9-]+)",\s*"([^"]+)"', s):
        rows.append((m.group(2), m.group(3), 'high' if m.group(1) == 'baseline' else 'medium'))
rows.sort()
table = ''.join(f"| `{i}` | {t} | {s} |\n" for i, t, s in rows)
if '--write' in sys.argv:
    doc = root / 'docs/misconfig.md'
    text = doc.read_text()
    text = re.sub(r'(\| id \| title \| severity \|\n\|---\|---\|---\|\n)(?:\| `.*\n)+', lambda m: m.group(1) + table, text)
    doc.write_text(text)
else:
    sys.stdout.write(table)
