"""An independent OpenID provider for tests/real_provider.rs.

IdentityPython's idpyoidc (pinned in requirements.txt) builds the provider:
its discovery document comes from the library's own provider_config
endpoint (process_request, then do_response, as the library's Flask example
serves it, with the library's headers), and its JWK Set is the public key
file the library writes for its `key_conf` (the file a deployment publishes
at `uri_path`). Nothing here writes a document by hand; a MODE other than
`ok` and `defaults` changes exactly one field of what the library produced.

    python server.py PORT CERT_PEM KEY_PEM WORKDIR MODE

Serves https://localhost:PORT on 127.0.0.1 (and on ::1 when the machine has
it, since `localhost` may resolve there first) until killed. The library
writes its key files under WORKDIR.

Modes:
  ok             the provider as a deployment configures it: subject types
                 public and pairwise, ID tokens signed with RS256 or ES256
                 (the algorithms it holds keys for)
  defaults       the library's own preferences, nothing configured
  issuer         `issuer` names another URL                   (EID-OIDC-DISC-04)
  no-rs256       `id_token_signing_alg_values_supported` lacks RS256 (EID-OIDC-DISC-08)
  weird-subject  `subject_types_supported` is ["weird"]       (EID-OIDC-DISC-09)
  http-jwks      `jwks_uri` uses http                         (EID-OIDC-DISC-07)
  private-key    the first key of the JWK Set carries its private `d` (EID-JWKS-03)
  empty-claims   `claims_supported` is []                     (EID-OIDC-DISC-12)
"""

import json
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from idpyoidc.server import Server
from idpyoidc.server.configure import OPConfiguration

MODES = [
    "ok",
    "defaults",
    "issuer",
    "no-rs256",
    "weird-subject",
    "http-jwks",
    "private-key",
    "empty-claims",
]

JWKS_PATH = "static/jwks.json"


def configuration(issuer, mode):
    """The provider's configuration: the endpoints of an OP, signing keys,
    and (except in `defaults`) the preferences a deployment sets."""
    conf = {
        "issuer": issuer,
        "key_conf": {
            "key_defs": [
                {"type": "RSA", "use": ["sig"]},
                {"type": "EC", "crv": "P-256", "use": ["sig"]},
            ],
            "private_path": "private/jwks.json",
            "public_path": JWKS_PATH,
            "uri_path": JWKS_PATH,
            "read_only": False,
        },
        "endpoint": {
            "provider_config": {
                "path": ".well-known/openid-configuration",
                "class": "idpyoidc.server.oidc.provider_config.ProviderConfiguration",
                "kwargs": {},
            },
            "registration": {
                "path": "registration",
                "class": "idpyoidc.server.oidc.registration.Registration",
                "kwargs": {},
            },
            "authorization": {
                "path": "authorization",
                "class": "idpyoidc.server.oidc.authorization.Authorization",
                "kwargs": {},
            },
            "token": {
                "path": "token",
                "class": "idpyoidc.server.oidc.token.Token",
                "kwargs": {},
            },
            "userinfo": {
                "path": "userinfo",
                "class": "idpyoidc.server.oidc.userinfo.UserInfo",
                "kwargs": {},
            },
        },
        "token_handler_args": {
            "jwks_def": {
                "private_path": "private/token_jwks.json",
                "read_only": False,
                "key_defs": [{"type": "oct", "bytes": "24", "use": ["enc"], "kid": "code"}],
            },
            "code": {"kwargs": {"lifetime": 600}},
            "token": {
                "class": "idpyoidc.server.token.jwt_token.JWTToken",
                "kwargs": {"lifetime": 3600},
            },
            "id_token": {"class": "idpyoidc.server.token.id_token.IDToken", "kwargs": {}},
        },
    }
    if mode != "defaults":
        conf["preference"] = {
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }
    return conf


def documents(server, mode):
    """(discovery body, discovery headers, JWK Set body) as served in `mode`."""
    endpoint = server.get_endpoint("provider_config")
    answer = endpoint.do_response(**endpoint.process_request())
    discovery = answer["response"].encode("utf-8")
    headers = list(answer.get("http_headers", []))
    with open(JWKS_PATH, "rb") as f:
        jwks = f.read()

    if mode in ("ok", "defaults"):
        return discovery, headers, jwks

    doc = json.loads(discovery)
    keys = json.loads(jwks)
    if mode == "issuer":
        doc["issuer"] = doc["issuer"] + "/another-issuer"
    elif mode == "no-rs256":
        algs = doc["id_token_signing_alg_values_supported"]
        doc["id_token_signing_alg_values_supported"] = [a for a in algs if a != "RS256"]
    elif mode == "weird-subject":
        doc["subject_types_supported"] = ["weird"]
    elif mode == "http-jwks":
        assert doc["jwks_uri"].startswith("https://")
        doc["jwks_uri"] = "http://" + doc["jwks_uri"][len("https://"):]
    elif mode == "empty-claims":
        doc["claims_supported"] = []
    elif mode == "private-key":
        # The library's own private export of the same key: `d` leaks.
        private = server.keyjar.export_jwks(private=True, issuer_id="")
        first = keys["keys"][0]
        match = [k for k in private["keys"] if k.get("kid") == first.get("kid")]
        first["d"] = match[0]["d"]
    return json.dumps(doc).encode("utf-8"), headers, json.dumps(keys).encode("utf-8")


class TlsServer(ThreadingHTTPServer):
    """HTTPS with the handshake in the request's thread, so that a client
    speaking plain HTTP (the `http-jwks` mode) fails alone."""

    daemon_threads = True
    context = None

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write(f"TLS handshake with {client_address} failed: {e}\n")
            return
        super().finish_request(request, client_address)


class TlsServer6(TlsServer):
    address_family = socket.AF_INET6


def main():
    if len(sys.argv) != 6 or sys.argv[5] not in MODES:
        sys.exit(f"usage: server.py PORT CERT_PEM KEY_PEM WORKDIR MODE ({' | '.join(MODES)})")
    port = int(sys.argv[1])
    cert, key = os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    workdir, mode = sys.argv[4], sys.argv[5]
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)

    issuer = f"https://localhost:{port}"
    server = Server(OPConfiguration(conf=configuration(issuer, mode), base_path=workdir), cwd=workdir)
    discovery, discovery_headers, jwks = documents(server, mode)

    routes = {
        "/.well-known/openid-configuration": (discovery, discovery_headers),
        "/" + JWKS_PATH: (jwks, [("Content-Type", "application/json")]),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                body, headers, status = b'{"error":"not_found"}', [("Content-Type", "application/json")], 404
            else:
                (body, headers), status = route, 200
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    TlsServer.context = context

    servers = []
    try:
        servers.append(TlsServer6(("::1", port), Handler))
    except OSError:
        pass  # no IPv6 loopback here: 127.0.0.1 alone
    # Bound last: a connection to 127.0.0.1 is the test's sign of readiness.
    servers.append(TlsServer(("127.0.0.1", port), Handler))
    for s in servers[:-1]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"serving {issuer} in mode {mode}", flush=True)
    servers[-1].serve_forever()


if __name__ == "__main__":
    main()
