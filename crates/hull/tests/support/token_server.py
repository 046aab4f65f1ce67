#!/usr/bin/env python3
"""A minimal Docker registry token server for hull's tests (stdlib + the openssl CLI).

Issues RS256 JWTs that the real `docker-registry` accepts with `auth.token` configured:
the certificate travels in the `x5c` header and the registry checks it against its
`rootcertbundle`. Anonymous requests get pull-only tokens (as Docker Hub gives for public
images); requests with the right basic credentials get pull and push.

usage: token_server.py PORT KEY.pem CERT.pem USER PASSWORD
"""
import base64, json, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

port, key, cert, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def sign(claims):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64(sig)

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        authed = False
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if (u, p) != (user, password):
                self.send_response(401); self.end_headers(); return
            authed = True
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            allowed = [a for a in actions.split(",") if authed or a == "pull"]
            access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        claims = {"iss": "hull-test-issuer", "sub": user if authed else "", "aud": q.get("service", [""])[0],
                  "exp": now + 600, "nbf": now - 10, "iat": now, "jti": str(now) + self.path, "access": access}
        body = json.dumps({"token": sign(claims), "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("127.0.0.1", port), H).serve_forever()
