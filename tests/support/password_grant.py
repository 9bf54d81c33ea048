"""A stand-in token endpoint for the OAuth password grant (RFC 6749 §4.3), on loopback.

oidc-provider (tests/oidc) does not implement the password grant (OAuth 2.1 drops it), so this
small server answers as §4.3.2 and §5.1/§5.2 say: a form POST with ``grant_type=password``,
``username``, ``password`` and the client's id/secret (client_secret_post) gets a JSON access
token; a wrong password is a 400 ``invalid_grant``, a wrong client a 401 ``invalid_client``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

USERNAME = "alice@example.com"
PASSWORD = "correct horse battery staple"


@dataclass
class PasswordGrantServer:
    token_url: str
    client_id: str
    client_secret: str
    grants: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def password_grant_server(client_id: str, client_secret: str) -> Iterator[PasswordGrantServer]:
    state = PasswordGrantServer("", client_id, client_secret)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:  # the tests read ``grants``, not stderr
            return

        def _answer(self, status: int, body: dict[str, object]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            state.grants.append(form)
            if form.get("grant_type") != "password":
                self._answer(400, {"error": "unsupported_grant_type"})
            elif (form.get("client_id"), form.get("client_secret")) != (state.client_id, state.client_secret):
                self._answer(401, {"error": "invalid_client"})
            elif (form.get("username"), form.get("password")) != (USERNAME, PASSWORD):
                self._answer(400, {"error": "invalid_grant", "error_description": "bad username or password"})
            else:
                token = secrets.token_urlsafe(24)
                self._answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.token_url = f"http://127.0.0.1:{server.server_address[1]}/oauth/token"
    thread = threading.Thread(target=server.serve_forever, name="password-grant-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
