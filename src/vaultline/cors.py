"""CORS for the endpoints a consumer's browser calls with its session token, allowed per
application: an origin is served only if it is one of the embedding origins of the
application named in the request (``x-apideck-app-id``, or the token's ``application_id``).

A preflight carries neither header nor token, so it is answered for an origin that is *any*
application's embedding origin, and the real request is then checked against its own
application. Pure ASGI, like the other middleware, and a no-op for requests without Origin
(backends) and for same-origin requests (the Hosted Vault).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vaultline.errors import Forbidden
from vaultline.responses import PRIVATE, JSONResponse
from vaultline.runtime import Runtime
from vaultline.store.applications import InvalidOrigin, embed_origins_by_application, normalize_origin

BROWSER_PATH_PREFIXES = ("/vault/connections", "/vault/logs")
ALLOWED_METHODS = "GET, POST, PATCH, DELETE"
_ALLOWED_HEADERS = {"authorization", "content-type", "x-request-id"}
_PREFLIGHT_MAX_AGE = "600"


class EmbedOriginsCache:
    """Applications' embedding origins, re-read at most every ``ttl`` seconds (an unknown
    application id triggers an early re-read, at most once a second)."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._by_app: dict[str, frozenset[str]] = {}
        self._any: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")

    async def _refresh(self, runtime: Runtime, *, force_after: float) -> None:
        if time.monotonic() - self._loaded_at < force_after:
            return
        async with runtime.engine.connect() as connection:
            self._by_app = await embed_origins_by_application(connection)
        self._any = frozenset().union(*self._by_app.values())
        self._loaded_at = time.monotonic()

    async def any_application_allows(self, runtime: Runtime, origin: str) -> bool:
        await self._refresh(runtime, force_after=self.ttl)
        return origin in self._any

    async def application_allows(self, runtime: Runtime, application_id: str, origin: str) -> bool:
        await self._refresh(runtime, force_after=self.ttl)
        if application_id not in self._by_app:
            await self._refresh(runtime, force_after=1.0)
        return origin in self._by_app.get(application_id, frozenset())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _unverified_application_id(authorization: str | None) -> str | None:
    """The ``application_id`` claim, read without verifying: it only picks whose origin list
    applies; the token itself is verified by the endpoint, which answers 401 if it is bad."""
    token = (authorization or "").strip().partition(" ")[2].strip()
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    value = claims.get("application_id") if isinstance(claims, dict) else None
    return value if isinstance(value, str) else None


def _allowed_request_headers(requested: str | None) -> str:
    names: Iterable[str] = (h.strip().lower() for h in (requested or "").split(","))
    allowed = [n for n in names if n in _ALLOWED_HEADERS or n.startswith("x-apideck-")]
    return ", ".join(dict.fromkeys([*sorted(_ALLOWED_HEADERS), *allowed]))


class SessionCorsMiddleware:
    def __init__(
        self, app: ASGIApp, *, public_url: str, path_prefixes: tuple[str, ...] = BROWSER_PATH_PREFIXES
    ) -> None:
        self.app = app
        self.own_origin = normalize_origin(public_url)
        self.path_prefixes = path_prefixes
        self.origins = EmbedOriginsCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if raw_origin is None or not scope["path"].startswith(self.path_prefixes):
            await self.app(scope, receive, send)
            return
        try:
            origin = normalize_origin(raw_origin)
        except InvalidOrigin:
            origin = ""  # "null" (sandboxed frames, file://) matches no allowlist
        if origin == self.own_origin:
            await self.app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state.runtime
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            await self._preflight(scope, send, runtime, origin, raw_origin)
            return
        application_id = _header(scope, b"x-apideck-app-id") or _unverified_application_id(
            _header(scope, b"authorization")
        )
        if (
            not origin
            or not application_id
            or not await self.origins.application_allows(runtime, application_id.strip(), origin)
        ):
            await self._refuse(scope, send, raw_origin)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", raw_origin.encode("latin-1")),
                    (b"access-control-expose-headers", b"x-request-id"),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, send: Send, runtime: Runtime, origin: str, raw_origin: str) -> None:
        if not origin or not await self.origins.any_application_allows(runtime, origin):
            await self._refuse(scope, send, raw_origin)
            return
        headers = {
            "Access-Control-Allow-Origin": raw_origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": _allowed_request_headers(_header(scope, b"access-control-request-headers")),
            "Access-Control-Max-Age": _PREFLIGHT_MAX_AGE,
            "Vary": "Origin",
        }
        await send({"type": "http.response.start", "status": 204, "headers": _encode(headers)})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, send: Send, raw_origin: str) -> None:
        public_url = scope["app"].state.settings.public_url
        error = Forbidden(
            f"Origin {raw_origin!r} is not an embedding origin of this application",
            detail="Add it with `vaultline apps create --embed-origin URL` (or to the application's embed origins).",
        )
        response = JSONResponse(error.to_body(public_url), status_code=403, headers={**PRIVATE, "Vary": "Origin"})
        await response(scope, _no_receive, send)


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
