#!/usr/bin/env python3
"""Builds `secrets-test.tar`, a docker-archive with secrets planted in varied places
(dotfiles, source, keys, manifests, a file deleted by a later layer, the config's Env and a
build argument in the history) and decoys that must not be reported (documented example
keys, placeholders, test fixtures inside an installed package, lock-file hashes), and
`secrets-test.expected.json`: the findings a correct scanner reports, as
[rule, path, deleted-in-a-later-layer].

Every secret is generated here from a seeded generator: nothing real, and nothing stored.
usage: build-secrets-image.py OUT_DIR [SEED]
"""
import base64, hashlib, io, json, os, random, string, sys, tarfile

out = sys.argv[1] if len(sys.argv) > 1 else "testdata/images/out"
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20261127)
ALNUM = string.ascii_letters + string.digits
def pick(alphabet, n): return "".join(rnd.choice(alphabet) for _ in range(n))
def alnum(n): return pick(ALNUM, n)
def hexs(n): return pick("0123456789abcdef", n)
def b64(n): return pick(ALNUM + "+/", n)
def b64url(n): return pick(ALNUM + "_-", n)

expected = []
def plant(rule, path, deleted=False):
    expected.append([rule, "/" + path, deleted])

ssh_body = "\n".join(b64(70) for _ in range(6))
layers = [
    # 1: a base system, with documentation that quotes the providers' example keys.
    [("etc/os-release", b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'),
     ("usr/share/doc/awscli/README", b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")],
    # 2: the application.
    [("app/.env", f"DATABASE_URL=postgres://app:{alnum(18)}@db.internal:5432/app\nSTRIPE_SECRET_KEY=sk_live_{alnum(24)}\nSESSION_SECRET={alnum(32)}\nLOG_LEVEL=info\n".encode()),
     ("app/config/settings.py", f'DEBUG = False\nGITHUB_TOKEN = "ghp_{alnum(36)}"\n'.encode()),
     ("root/.npmrc", f"//registry.npmjs.org/:_authToken=npm_{alnum(36)}\n".encode()),
     ("root/.docker/config.json", json.dumps({"auths": {"registry.acme.io": {"auth": base64.b64encode(f"ci:{alnum(20)}".encode()).decode()}}}).encode()),
     ("home/app/.pypirc", f"[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{b64url(70)}\n".encode()),
     ("app/keys/deploy_key", f"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{ssh_body}\n-----END OPENSSH PRIVATE KEY-----\n".encode()),
     ("app/k8s/secret.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: {b64(24)}\n".encode()),
     ("app/server.js", f'const hook = "https://hooks.slack.com/services/T{pick(string.ascii_uppercase + string.digits, 10)}/B{pick(string.ascii_uppercase + string.digits, 10)}/{alnum(24)}";\n'.encode()),
     ("etc/app/app.conf", f"[db]\nconnection = Server=db;Database=app;User Id=sa;Password={alnum(14)};\n".encode()),
     ("app/ai.py", f'client = OpenAI(api_key="sk-proj-{b64url(40)}T3BlbkFJ{b64url(40)}")\n'.encode()),
     # Decoys.
     ("app/docs/README.md", b"Configure:\n\n    aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
     ("app/.env.example", b"SESSION_SECRET=changeme\nDB_PASSWORD=${DB_PASSWORD}\nSTRIPE_SECRET_KEY=sk_live_your_key_here\n"),
     ("usr/lib/python3/dist-packages/requests/tests/test_auth.py", f'TOKEN = "ghp_{alnum(36)}"\n'.encode()),
     ("app/package-lock.json", json.dumps({"packages": {"node_modules/x": {"version": "1.0.0", "integrity": "sha512-" + b64(86) + "=="}}}).encode()),
     ("app/checksums.sha256", f"{hexs(64)}  app.tar.gz\n".encode()),
     ("app/src/util.py", b"password = get_password()\nconn = connect(host, user, password=password)\n"),
     ("app/static/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00" + f"ghp_{alnum(36)}".encode())],
    # 3: a build step that leaves cloud credentials behind ...
    [("root/.aws/credentials", f"[default]\naws_access_key_id = AKIA{pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}\naws_secret_access_key = {b64(40)}\n".encode())],
    # 4: ... and a later one that deletes them: the bytes stay in layer 3.
    [("root/.aws/.wh.credentials", b"")],
]
for rule, path in [("url-password", "app/.env"), ("stripe-live-secret-key", "app/.env"), ("env-secret-assignment", "app/.env"),
                   ("github-pat", "app/config/settings.py"), ("npm-access-token", "root/.npmrc"), ("docker-config-auth", "root/.docker/config.json"),
                   ("pypi-upload-token", "home/app/.pypirc"), ("openssh-private-key", "app/keys/deploy_key"),
                   ("kubernetes-secret-data", "app/k8s/secret.yaml"), ("slack-webhook-url", "app/server.js"),
                   ("connection-string-password", "etc/app/app.conf"), ("openai-api-key", "app/ai.py")]:
    plant(rule, path)
plant("aws-access-key-id", "root/.aws/credentials", True)
plant("aws-secret-access-key", "root/.aws/credentials", True)

env = ["PATH=/usr/local/bin:/usr/bin:/bin", f"SENDGRID_API_KEY=SG.{b64url(22)}.{b64url(43)}", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"]
expected.append(["sendgrid-api-key", "image config (Env)", False])
history = ["ADD rootfs.tar / # buildkit", "CMD [\"bash\"]", "COPY app / # buildkit",
           f"RUN |1 NPM_TOKEN=npm_{alnum(36)} /bin/sh -c npm ci && rm -f /root/.aws/x # buildkit", "RUN /bin/sh -c rm /root/.aws/credentials # buildkit"]
expected.append(["npm-access-token", "image history", False])

def tar_bytes(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        dirs = set()
        for name, data in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 0
                    t.addfile(ti)
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

blobs = [tar_bytes(l) for l in layers]
diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
hist = [{"created_by": history[0]}, {"created_by": history[1], "empty_layer": True}] + [{"created_by": h} for h in history[2:]]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": env, "User": "app", "Cmd": ["node", "server.js"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": hist}).encode()
cname = hashlib.sha256(config).hexdigest() + ".json"
members = [(f"l{i}/layer.tar", b) for i, b in enumerate(blobs)] + [(cname, config)]
manifest = json.dumps([{"Config": cname, "RepoTags": ["secrets-test:latest"], "Layers": [m for m, _ in members[:-1]]}]).encode()
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "secrets-test.tar"), "wb") as f:
    f.write(tar_bytes(members + [("manifest.json", manifest)]))
with open(os.path.join(out, "secrets-test.expected.json"), "w") as f:
    json.dump(sorted(expected), f, indent=1)
print(os.path.join(out, "secrets-test.tar"))
