#!/usr/bin/env node
// Reference verdicts for the differential matching test, npm side: node-semver (the npm
// registry's own comparator) does every comparison; the OSV range walk is the
// specification's pseudo-code, written apart from hull's.
// Usage: node osv-reference.js RECORDS.json.gz PAIRS.json  (SEMVER module path in
// HULL_NODE_SEMVER, default: require('semver')). Prints per pair the sorted affecting ids,
// or null if the version is not SemVer.
const fs = require("fs");
const zlib = require("zlib");
const semver = require(process.env.HULL_NODE_SEMVER || "semver");

const [recordsPath, pairsPath] = process.argv.slice(2);
const records = JSON.parse(zlib.gunzipSync(fs.readFileSync(recordsPath)));
const byName = new Map();
for (const r of records) {
  if (r.withdrawn) continue;
  for (const a of r.affected || []) {
    if (!a.package || a.package.ecosystem !== "npm") continue;
    if (!byName.has(a.package.name)) byName.set(a.package.name, []);
    byName.get(a.package.name).push([r.id, a]);
  }
}

function inRange(v, events) {
  const parsed = [];
  for (const e of events) {
    const [kind, value] = Object.entries(e)[0];
    if (kind === "introduced" && value === "0") {
      parsed.push([null, kind]);
      continue;
    }
    const pv = semver.valid(value);
    if (pv === null) continue;
    parsed.push([pv, kind]);
  }
  parsed.sort((a, b) => {
    if (a[0] === null || b[0] === null) return (a[0] !== null) - (b[0] !== null);
    return semver.compare(a[0], b[0]);
  });
  let affected = false;
  for (const [pv, kind] of parsed) {
    if (kind === "introduced" && (pv === null || semver.compare(v, pv) >= 0)) affected = true;
    else if ((kind === "fixed" || kind === "limit") && semver.compare(v, pv) >= 0) affected = false;
    else if (kind === "last_affected" && semver.compare(v, pv) > 0) affected = false;
  }
  return affected;
}

const out = [];
for (const [name, version] of JSON.parse(fs.readFileSync(pairsPath))) {
  const v = semver.valid(version);
  if (v === null) {
    out.push(null);
    continue;
  }
  const ids = new Set();
  for (const [id, a] of byName.get(name) || []) {
    let hit = (a.ranges || []).some((r) => r.type !== "GIT" && inRange(v, r.events));
    if (!hit) hit = (a.versions || []).some((l) => l === version || (semver.valid(l) && semver.eq(l, v)));
    if (hit) ids.add(id);
  }
  out.push([...ids].sort());
}
process.stdout.write(JSON.stringify(out));
