"""Who is calling: an application's backend, identified by its API key.

The key arrives in ``Authorization`` as ``Bearer <key>`` or bare (older generated SDKs send
it bare). Verified keys are kept in memory for ``api_key_cache_seconds`` so the hot path
costs one HMAC, not a query; a rotated-out key therefore stops working on every instance
within that many seconds of its expiry.

Failed authentications are throttled per client address (auth_throttle.py). What is checked
and counted, and why a valid credential is never refused:
- A key found fresh in the verified-key cache is accepted without looking at the throttle: the
  hot path costs no Redis round trip, and a valid key keeps working from a throttled address.
- A key this instance has verified before (its cache entry is stale) is re-verified against the
  database even from a throttled address: only holders of real keys get there.
- A key this instance has never verified costs a database query, so a throttled address is
  refused (429) before it, unless (with Redis) another instance verified that key lately: each
  instance that verifies a key against the database marks a digest of it in Redis (at most
  hourly). Without Redis, a valid key used for the first time since this instance started, from
  an address throttled at that moment, waits out the window (``Retry-After``; SDKs retry).
- Session tokens: a token that fails its signature check costs no query and is counted; the key
  ring reload an unknown ``kid`` triggers is refused first when throttled. A genuinely signed
  token always goes on (an expired one is not counted: browsers read its 401 to reopen the vault).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from starlette.requests import Request

from vaultline.auth_throttle import api_key_digest, throttle_of
from vaultline.client_address import client_address
from vaultline.clock import now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.consumer_logs.subject import note_caller, note_consumer
from vaultline.errors import BadRequest, Unauthorized
from vaultline.runtime import Runtime, runtime_of
from vaultline.sessions.throttled import verify_session_throttled
from vaultline.sessions.verification import VerifiedSession
from vaultline.store.api_keys import ApiKeyRecord, find_api_key, hash_api_key
from vaultline.store.applications import Application, get_application

APP_ID_HEADER = "x-apideck-app-id"
CONSUMER_ID_HEADER = "x-apideck-consumer-id"
AUTH_TYPE_HEADER = "x-apideck-auth-type"
_MAX_CACHED_KEYS = 10_000
_PLACEHOLDERS = {"", "null", "undefined", "none"}
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _CachedKey:
    checked_at: float
    key: ApiKeyRecord
    application: Application


def api_key_from(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise Unauthorized(
            "Missing API key", detail="Send your API key in the Authorization header: 'Authorization: Bearer <api key>'"
        )
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if value.lower() in _PLACEHOLDERS:
        raise Unauthorized("Missing API key", detail="The Authorization header holds no key (was a variable unset?)")
    return value


async def authenticate_application(request: Request) -> Application:
    runtime = runtime_of(request)
    api_key = api_key_from(request.headers.get("authorization"))
    key_hash = hash_api_key(runtime.api_key_hash_key, api_key)
    cache: ApiKeyCache = request.app.state.api_key_cache
    cached = cache.fresh(runtime, key_hash) or await _verify_key_throttled(request, runtime, cache, key_hash)
    if not cached.key.is_active(now_ms()):
        await throttle_of(request).record_failure(client_address(request))
        raise Unauthorized("This API key has been rotated out", detail="Use the application's current API key.")
    claimed_app = id_header(request, APP_ID_HEADER)
    if claimed_app is not None and claimed_app.strip() and claimed_app.strip() != cached.application.id:
        raise Unauthorized(
            "The API key does not belong to this application",
            detail=f"Check the {APP_ID_HEADER} header: it must be the id of the application that owns the key.",
        )
    note_caller(request, application_id=cached.application.id, caller="api_key")
    return cached.application


async def _verify_key_throttled(request: Request, runtime: Runtime, cache: ApiKeyCache, key_hash: str) -> _CachedKey:
    throttle = throttle_of(request)
    digest = api_key_digest(key_hash)
    if not cache.knows(key_hash):  # see the module docstring: a known key is let through
        await throttle.refuse_if_throttled(client_address(request), key_digest=digest)
    try:
        cached = await cache.lookup(runtime, key_hash)
    except Unauthorized:
        await throttle.record_failure(client_address(request), forget_key=digest)
        raise
    if cached.key.is_active(now_ms()):
        await throttle.remember_valid_key(digest)
    return cached


class ApiKeyCache:
    """Verified keys by hash. When an entry is stale, one lookup refreshes it and concurrent
    requests with the same key wait for that one (otherwise every in-flight request queries
    the database at the same moment, every ``api_key_cache_seconds``)."""

    def __init__(self) -> None:
        self._entries: dict[str, _CachedKey] = {}
        self._loading: dict[str, asyncio.Future[_CachedKey]] = {}

    def fresh(self, runtime: Runtime, key_hash: str) -> _CachedKey | None:
        cached = self._entries.get(key_hash)
        if cached is not None and time.monotonic() - cached.checked_at <= runtime.settings.api_key_cache_seconds:
            return cached
        return None

    def knows(self, key_hash: str) -> bool:
        """Verified by this instance before (fresh or not), and not found invalid since."""
        return key_hash in self._entries

    async def lookup(self, runtime: Runtime, key_hash: str) -> _CachedKey:
        cached = self.fresh(runtime, key_hash)
        if cached is not None:
            return cached
        pending = self._loading.get(key_hash)
        if pending is None:
            pending = asyncio.ensure_future(_load_key(runtime, key_hash))
            self._loading[key_hash] = pending
            pending.add_done_callback(lambda _: self._loading.pop(key_hash, None))
        try:
            cached = await asyncio.shield(pending)  # one waiter cancelled must not cancel the others
        except Unauthorized:
            self._entries.pop(key_hash, None)  # a deleted key is no longer "known" to the throttle
            raise
        if len(self._entries) >= _MAX_CACHED_KEYS:
            self._entries.clear()
        self._entries[key_hash] = cached
        return cached


async def _load_key(runtime: Runtime, key_hash: str) -> _CachedKey:
    async with runtime.engine.connect() as connection:
        key = await find_api_key(connection, key_hash=key_hash)
        application = await get_application(connection, application_id=key.application_id) if key else None
    if key is None or application is None:
        raise Unauthorized("Invalid API key", detail="The API key is not known to this Vaultline server.")
    return _CachedKey(time.monotonic(), key, application)


def id_header(request: Request, name: str) -> str | None:
    """An id header's value, which must be ASCII. Header bytes carry no character encoding and
    are read as latin-1, so a UTF-8 ``été`` would silently name another consumer than the
    ``été`` of a JSON body: refused instead of guessed."""
    value = request.headers.get(name)
    if value is not None and not value.isascii():
        raise BadRequest(
            f"The {name} header must contain ASCII characters only",
            detail=(
                f"HTTP headers carry no character encoding, so ids sent in {name} are limited to ASCII. "
                "Use ASCII ids for consumers your backend names in this header."
            ),
        )
    return value


def consumer_id_from(request: Request) -> str:
    raw = id_header(request, CONSUMER_ID_HEADER)
    if raw is None or raw.strip().lower() in _PLACEHOLDERS:
        raise BadRequest(
            f"Missing {CONSUMER_ID_HEADER} header",
            detail="Name the consumer (your customer's id in your system) in the x-apideck-consumer-id header.",
        )
    consumer_id = validate_consumer_id(raw.strip())
    note_consumer(request, consumer_id)
    return consumer_id


def validate_consumer_id(consumer_id: str) -> str:
    if len(consumer_id) > 255 or _CONTROL_CHARS.search(consumer_id):
        raise BadRequest("A consumer id is at most 255 characters, without control characters")
    return consumer_id


async def authenticate_session(request: Request) -> VerifiedSession:
    """A consumer's browser calling with its session token: ``Authorization: Bearer <jwt>``
    and the ids in ``x-apideck-app-id`` / ``x-apideck-consumer-id``, which must be the token's.
    Any mismatch is a 401 (with ``status_code`` in the body, which browser clients read)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or token.lower() in _PLACEHOLDERS:
        raise Unauthorized("Missing session token", detail="Send 'Authorization: Bearer <session token>'.")
    session = await verify_session_throttled(
        runtime_of(request), throttle_of(request), token, address=client_address(request)
    )
    for header, expected in ((APP_ID_HEADER, session.application_id), (CONSUMER_ID_HEADER, session.consumer_id)):
        claimed = id_header(request, header)
        if claimed is not None and claimed.strip() != expected:
            raise Unauthorized(f"The {header} header does not match the session token")
    note_caller(request, application_id=session.application_id, caller="session")
    note_consumer(request, session.consumer_id)
    return session


def _looks_like_session_token(request: Request) -> bool:
    # API keys (vl_live_…) never contain dots; a JWT is three dot-separated parts.
    if request.headers.get(AUTH_TYPE_HEADER, "").strip().lower() == "jwt":
        return True
    value = request.headers.get("authorization", "").strip()
    scheme, _, rest = value.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value
    return token.count(".") == 2 and token.startswith("eyJ")


async def authenticate_connections_caller(request: Request) -> ConnectionsCaller:
    if _looks_like_session_token(request):
        session = await authenticate_session(request)
        return ConnectionsCaller(session.application_id, session.consumer_id, session)
    application = await authenticate_application(request)
    return ConnectionsCaller(application.id, consumer_id_from(request), None)
