#!/usr/bin/env python3
"""hull versus checkov on the same manifests and Dockerfiles (default: testdata/config).

Runs `hull k8s -f json` and `checkov -d DIR --framework kubernetes,dockerfile -o json`,
maps both to shared concepts (privileged, host namespaces, image tag, ...) per file and
object, and prints where they agree, what only one reports, and checks with no counterpart.
The reasons for each difference are in docs/accuracy.md.
Usage: python3 scripts/compare-checkov.py [DIR] [--hull PATH]
"""
import json, subprocess, sys
from collections import defaultdict
from pathlib import Path

# concept -> (hull check ids, checkov check ids)
CONCEPTS = {
    'privileged': ({'pss-baseline-privileged'}, {'CKV_K8S_16'}),
    'host namespaces': ({'pss-baseline-host-namespaces'}, {'CKV_K8S_17', 'CKV_K8S_18', 'CKV_K8S_19'}),
    'host port': ({'pss-baseline-host-ports'}, {'CKV_K8S_26'}),
    'hostPath / docker socket': ({'pss-baseline-host-path', 'pss-restricted-volume-types'}, {'CKV_K8S_27'}),
    'capabilities': ({'pss-baseline-capabilities', 'pss-restricted-capabilities'}, {'CKV_K8S_25', 'CKV_K8S_28', 'CKV_K8S_37', 'CKV_K8S_39'}),
    'privilege escalation': ({'pss-restricted-privilege-escalation'}, {'CKV_K8S_20'}),
    'runs as root': ({'pss-restricted-run-as-non-root', 'pss-restricted-run-as-user'}, {'CKV_K8S_23'}),
    'seccomp': ({'pss-baseline-seccomp', 'pss-restricted-seccomp'}, {'CKV_K8S_31'}),
    'image tag latest': ({'k8s-image-tag-latest'}, {'CKV_K8S_14'}),
    'image digest': ({'k8s-image-no-digest'}, {'CKV_K8S_43'}),
    'resource limits': ({'k8s-resource-limits-missing'}, {'CKV_K8S_11', 'CKV_K8S_13'}),
    'probes': ({'k8s-probes-missing'}, {'CKV_K8S_8', 'CKV_K8S_9'}),
    'service account token': ({'k8s-default-service-account-token'}, {'CKV_K8S_38'}),
    'rbac wildcard': ({'k8s-rbac-wildcard'}, {'CKV_K8S_49'}),
    'rbac escalation verbs': ({'k8s-rbac-escalation-verbs'}, {'CKV_K8S_157', 'CKV_K8S_158'}),
    'dockerfile base image latest': ({'dockerfile-base-image-unpinned'}, {'CKV_DOCKER_7'}),
    'dockerfile user': ({'dockerfile-no-user', 'dockerfile-user-root'}, {'CKV_DOCKER_3', 'CKV_DOCKER_8'}),
    'dockerfile healthcheck': ({'dockerfile-no-healthcheck'}, {'CKV_DOCKER_2'}),
    'dockerfile sensitive port': ({'dockerfile-sensitive-port'}, {'CKV_DOCKER_1'}),
    'dockerfile ADD': ({'dockerfile-add-remote-url'}, {'CKV_DOCKER_4'}),
}

def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    d = Path(args[0] if args else 'testdata/config').resolve()
    hull = sys.argv[sys.argv.index('--hull') + 1] if '--hull' in sys.argv else 'target/release/hull'
    h = json.loads(subprocess.run([hull, 'k8s', '-f', 'json', str(d)], capture_output=True, check=True).stdout)
    c = subprocess.run(['checkov', '-d', str(d), '--framework', 'kubernetes,dockerfile', '-o', 'json', '--quiet', '--compact'], capture_output=True).stdout
    c = json.loads(c)
    c = c if isinstance(c, list) else [c]

    hull_by = defaultdict(set)   # (file, object) -> check ids
    for m in h.get('misconfigurations', []):
        r = m.get('resource') or {}
        obj = f"{r.get('kind','')}/{r.get('name','')}" if r else ''
        if m['target'].endswith('Dockerfile') or 'Dockerfile' in m['target']:
            obj = ''
        hull_by[(m['target'], obj)].add(m['check'])
    ck_by = defaultdict(set)
    for rep in c:
        for f in rep['results']['failed_checks']:
            path = f['file_path'].lstrip('/')
            res = f['resource']
            if rep['check_type'] == 'dockerfile':
                obj = ''
            else:
                parts = res.split('.')
                obj = f"{parts[0]}/{parts[-1]}"
            ck_by[(path, obj)].add(f['check_id'])

    mapped_hull = set().union(*(v[0] for v in CONCEPTS.values()))
    mapped_ck = set().union(*(v[1] for v in CONCEPTS.values()))
    agree = only_h = only_c = 0
    for key in sorted(set(hull_by) | set(ck_by)):
        hs, cs = hull_by.get(key, set()), ck_by.get(key, set())
        lines = []
        for concept, (hids, cids) in CONCEPTS.items():
            a, b = bool(hs & hids), bool(cs & cids)
            if a and b:
                agree += 1
                lines.append(f"    both      {concept}")
            elif a:
                only_h += 1
                lines.append(f"    hull only {concept}: {sorted(hs & hids)}")
            elif b:
                only_c += 1
                lines.append(f"    checkov   {concept}: {sorted(cs & cids)}")
        extra_h = sorted(hs - mapped_hull)
        extra_c = sorted(cs - mapped_ck)
        if extra_h:
            lines.append(f"    hull, no checkov counterpart: {extra_h}")
        if extra_c:
            lines.append(f"    checkov, no hull counterpart: {extra_c}")
        if lines:
            print(f"{key[0]} {key[1]}".rstrip())
            print('\n'.join(lines))
    print(f"\nconcepts: {agree} agree, {only_h} hull only, {only_c} checkov only")

main()
