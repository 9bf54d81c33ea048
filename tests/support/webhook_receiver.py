"""A real webhook receiver on loopback (``http.server`` in a thread) that records every request
and can answer 500 to the first N, like an endpoint that is down for a while."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = 500 if len(self.requests) < self.fail_first else 200
            self.requests.append(Received(headers, body, status, time.monotonic()))
            return status

    def wait_for(self, predicate: Any, *, timeout: float, what: str) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                seen = list(self.requests)
            if predicate(seen):
                return seen
            time.sleep(0.02)
        raise AssertionError(f"receiver: timed out after {timeout} s waiting for {what}; got {len(seen)} requests")

    def delivered(self, *, timeout: float, count: int = 1) -> list[Received]:
        """Wait until ``count`` requests were answered 200; every request so far."""
        return self.wait_for(
            lambda seen: sum(r.status == 200 for r in seen) >= count, timeout=timeout, what=f"{count} deliveries"
        )

    async def arrived(self, *, timeout: float, count: int = 1) -> list[Received]:
        """``delivered`` for async tests: the in-process server keeps running while we wait."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                seen = list(self.requests)
            if sum(r.status == 200 for r in seen) >= count:
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: no {count} deliveries in {timeout} s; got {len(seen)} requests")
            await asyncio.sleep(0.02)


@contextmanager
def webhook_receiver(*, fail_first: int = 0) -> Iterator[Receiver]:
    receiver: Receiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            assert receiver is not None
            status = receiver.record({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/vault", fail_first=fail_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
