"""Pure-ASGI middleware: request ids, access log, body-size limit.

Pure ASGI rather than ``BaseHTTPMiddleware`` because these run on every request and the
latter costs a task and a stream per call.
"""

from __future__ import annotations

import logging
import random
import re
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vaultline.errors import BadRequest, PayloadTooLarge, VaultError
from vaultline.log_escape import escape_for_log

access_log = logging.getLogger("vaultline.access")

MAX_BODY_BYTES = 64 * 1024
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._\-]{1,128}")
# Tokens travel in this path once (then leave the URL); they must never reach a log.
_SESSION_PATH = re.compile(r"^/session/[^/?]+")
# Vault links likewise: the path is the only copy of the link's secret.
_LINK_PATH = re.compile(r"^/link/[^/?]+")


def redact_path(path: str) -> str:
    return _LINK_PATH.sub("/link/[redacted]", _SESSION_PATH.sub("/session/[redacted]", path))


def loggable_path(path: str) -> str:
    """The request path as a log line may show it: no token, no control characters."""
    return escape_for_log(redact_path(path))


class RequestContextMiddleware:
    """Gives every response an ``x-request-id`` (the caller's, when it is sane) and logs one
    line per request without query strings or tokens."""

    def __init__(self, app: ASGIApp, *, log_requests: bool) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _SAFE_REQUEST_ID.fullmatch(value):
                request_id = value
                break
        if not request_id:
            # A correlation id, not a secret: the process's seeded PRNG costs no system call
            # (secrets.token_hex was ~5 % of a credentials read's CPU).
            request_id = b"%016x" % random.getrandbits(64)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_requests:
                access_log.info(
                    "%s %s %d %.1fms rid=%s",
                    escape_for_log(scope["method"]),
                    loggable_path(scope["path"]),
                    status,
                    (time.perf_counter() - started) * 1000,
                    request_id.decode(),
                )


class BodyLimitMiddleware:
    """Refuses bodies over ``MAX_BODY_BYTES``: at once when Content-Length says so, otherwise
    as soon as the streamed body crosses the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await _send_error(send, BadRequest("Invalid Content-Length header"))
                    return
                if int(value) > self.max_bytes:
                    await _send_error(send, PayloadTooLarge(f"Request body is larger than {self.max_bytes // 1024} KB"))
                    return
                break
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(f"Request body is larger than {self.max_bytes // 1024} KB")
            return message

        await self.app(scope, limited_receive, send)


async def _send_error(send: Send, error: VaultError) -> None:
    body = orjson.dumps(error.to_body())
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class StatusNotingSend:
    """An ASGI ``send`` that remembers the status the response started with, for middleware that
    records requests after the app answered (metrics, consumer logs). ``status`` stays 500 when
    the app raised before answering: that is what the client sees."""

    def __init__(self, send: Send) -> None:
        self.status = 500
        self._send = send

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)
