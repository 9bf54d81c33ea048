"""A stand-in for Pipedrive's API on loopback (``http.server`` in a thread): GET /v1/users/me
answers as Pipedrive documents it — 200 ``{"success": true, "data": {...}}`` for the right
``api_token``, 401 ``{"success": false, "error": "unauthorized access", "errorCode": 401}`` for
any other — and can be stopped and started again on the same port, redirect, stall or fail,
like a provider having a bad day. Every request it receives is recorded."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.live_server import free_port
from vaultline.catalog.loader import builtin_definitions

GOOD_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
WRONG_TOKEN = "ffffffffffffffffffffffffffffffffffffffff"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class PipedriveStandIn:
    port: int
    good_tokens: set[str] = field(default_factory=lambda: {GOOD_TOKEN})
    # "normal", "redirect" (302 elsewhere), "stall" (answers after stall_seconds), "busy" (503),
    # "echo" (401 repeating the token back, as careless providers do)
    mode: str = "normal"
    stall_seconds: float = 3.0
    requests: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/users/me"

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self.requests)

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(seen)
        token = (seen.query.get("api_token") or [""])[0]
        if seen.path != "/v1/users/me":
            return 404, {}, b'{"success": false, "error": "not found"}'
        if self.mode == "redirect":
            return 302, {"Location": f"http://127.0.0.1:{self.port}/v1/elsewhere"}, b""
        if self.mode == "stall":
            time.sleep(self.stall_seconds)
        if self.mode == "busy":
            return 503, {}, b"<html>Service Unavailable</html>"
        if token in self.good_tokens and self.mode != "echo":
            data = {"id": 7, "name": "Ada Admin", "email": "ada@example.com", "company_id": 1}
            return 200, {}, json.dumps({"success": True, "data": data}).encode()
        error = f"api_token {token} is not valid" if self.mode == "echo" else "unauthorized access"
        body = {
            "success": False,
            "error": error,
            "errorCode": 401,
            "error_info": "Please check developers.pipedrive.com",
        }
        return 401, {}, json.dumps(body).encode()

    def start(self) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a client that connects and never asks (a cancelled check) cannot hold a thread

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}
                )
                status, headers, body = standin.answer(seen)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # stop() never waits for a stalled answer
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: nothing listens on the port any more (connections are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def pipedrive_standin() -> Iterator[PipedriveStandIn]:
    standin = PipedriveStandIn(free_port())
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


def pipedrive_definition(verification: dict[str, Any]) -> dict[str, Any]:
    """The built-in Pipedrive definition with its verification replaced, as an operator's file has it."""
    pipedrive = next(d for d in builtin_definitions() if d.service_id == "pipedrive")
    definition = pipedrive.model_dump(mode="json", exclude_none=True)
    definition["verification"] = verification
    return definition


def standin_verification(url: str) -> dict[str, Any]:
    """Pipedrive's documented check (GET /v1/users/me?api_token=…) aimed at ``url``."""
    return {
        "request": {
            "method": "GET",
            "url": url,
            "query": {"api_token": "{api_token}"},
            "headers": {"Accept": "application/json"},
        },
        "accepted": [200],
        "rejected": [401, 403],
        "error_message": "error",
    }


def write_catalog_file(path: Path, *definitions: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"integrations": list(definitions)}))
    return path
