"""Throttling failed authentication per client address, so a flood of wrong API keys or forged
session tokens is answered 429 from memory instead of costing a database query each.

The rule: after ``auth_throttle_failures`` failures from one address (an IPv4 address or an IPv6
/64, see client_address.py) within ``auth_throttle_window_seconds`` of its first failure, further
*invalid* attempts from it get 429 with ``Retry-After`` until that window ends. Valid credentials
are never refused (api/auth.py decides which attempts are checked). Counters live in this
process, bounded to ``auth_throttle_max_addresses``; with ``VAULTLINE_REDIS_URL`` they live in
Redis and every instance sees every other's failures. When Redis does not answer, the throttle
counts in this process until it does (and says so once in the log): an unreachable Redis never
refuses a request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio
from redis.exceptions import RedisError
from starlette.requests import Request

from vaultline.config import Settings
from vaultline.errors import TooManyRequests
from vaultline.operator_metrics import operator_metrics

log = logging.getLogger(__name__)

_REDIS_KEY_PREFIX = "vaultline:auth-failures:"
# Digests of API keys some instance verified lately, so that another instance lets such a key
# through a throttled address without having seen it itself.
_VALID_KEY_PREFIX = "vaultline:valid-api-key:"
_VALID_KEY_SECONDS = 24 * 3600
_VALID_KEY_ANNOUNCE_SECONDS = 3600  # each instance refreshes a key's marker at most this often
_MAX_ANNOUNCED_KEYS = 10_000
# A Redis that hangs must not hold a request for long: this only runs on failure paths, but
# a flood of them would queue behind it.
_REDIS_TIMEOUT_SECONDS = 0.5
# After Redis failed, count in this process for this long before asking it again, so an outage
# costs one timeout per few seconds rather than one per request.
_REDIS_RETRY_SECONDS = 5.0

# One round trip: count the failure, start the window on the first one, say how long it lasts.
_ADD_FAILURE = """
if KEYS[2] then redis.call('DEL', KEYS[2]) end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left_ms = redis.call('PTTL', KEYS[1])
if left_ms < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left_ms = tonumber(ARGV[1])
end
return {failures, left_ms}
"""
_READ_FAILURES = """
local known = 0
if KEYS[2] then known = redis.call('EXISTS', KEYS[2]) end
local failures = redis.call('GET', KEYS[1])
if not failures then return {0, 0, known} end
return {tonumber(failures), redis.call('PTTL', KEYS[1]), known}
"""


@dataclass(slots=True)
class _Window:
    failures: int
    ends_at: float


class LocalFailureCounts:
    """Failures per address in this process, in a fixed window from each address's first failure.
    At most ``max_addresses`` windows are kept; past that the oldest is forgotten first (windows
    are re-inserted when they restart, so insertion order is age order)."""

    def __init__(
        self, *, window_seconds: float, max_addresses: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window_seconds = window_seconds
        self._max_addresses = max_addresses
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def __len__(self) -> int:
        return len(self._windows)

    def failures(self, address: str) -> tuple[int, float]:
        """(failures in the current window, seconds until it ends)."""
        window = self._current(address)
        return (0, 0.0) if window is None else (window.failures, window.ends_at - self._clock())

    def add(self, address: str) -> tuple[int, float]:
        window = self._current(address)
        if window is None:
            window = self._open(address, failures=0, seconds=self._window_seconds)
        window.failures += 1
        return window.failures, window.ends_at - self._clock()

    def mirror(self, address: str, failures: int, seconds_left: float) -> None:
        """Remember what the shared counter said, so this instance refuses without asking again."""
        self._windows.pop(address, None)
        self._open(address, failures=failures, seconds=seconds_left)

    def _current(self, address: str) -> _Window | None:
        window = self._windows.get(address)
        if window is not None and window.ends_at <= self._clock():
            del self._windows[address]
            return None
        return window

    def _open(self, address: str, *, failures: int, seconds: float) -> _Window:
        while len(self._windows) >= self._max_addresses:
            del self._windows[next(iter(self._windows))]
        window = _Window(failures, self._clock() + seconds)
        self._windows[address] = window
        return window


class RedisFailureCounts:
    """The same counters in Redis, shared by every instance: one round trip per call."""

    def __init__(self, client: redis.asyncio.Redis, *, window_seconds: float) -> None:
        self._client = client
        self._window_ms = int(window_seconds * 1000)
        self._add = client.register_script(_ADD_FAILURE)
        self._read = client.register_script(_READ_FAILURES)

    @classmethod
    def from_url(cls, url: str, *, window_seconds: float) -> RedisFailureCounts:
        client = redis.asyncio.Redis.from_url(
            url, socket_timeout=_REDIS_TIMEOUT_SECONDS, socket_connect_timeout=_REDIS_TIMEOUT_SECONDS
        )
        return cls(client, window_seconds=window_seconds)

    async def failures(self, address: str, *, key_digest: str | None = None) -> tuple[int, float, bool]:
        """(failures, seconds left, whether ``key_digest`` is a key some instance verified)."""
        failures, left_ms, known = await self._read(keys=_keys(address, key_digest))
        return int(failures), max(int(left_ms), 0) / 1000, bool(known)

    async def add(self, address: str, *, forget_key: str | None = None) -> tuple[int, float]:
        failures, left_ms = await self._add(keys=_keys(address, forget_key), args=[self._window_ms])
        return int(failures), max(int(left_ms), 0) / 1000

    async def remember_valid_key(self, key_digest: str) -> None:
        await self._client.set(_VALID_KEY_PREFIX + key_digest, b"1", ex=_VALID_KEY_SECONDS)

    async def close(self) -> None:
        await self._client.aclose()


def _keys(address: str, key_digest: str | None) -> list[str]:
    keys = [_REDIS_KEY_PREFIX + address]
    if key_digest is not None:
        keys.append(_VALID_KEY_PREFIX + key_digest)
    return keys


def api_key_digest(key_hash: str) -> str:
    """What Redis holds for a verified key: a hash of the stored hash, never the stored value."""
    return hashlib.sha256(key_hash.encode()).hexdigest()[:32]


class AuthThrottle:
    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        local: LocalFailureCounts,
        shared: RedisFailureCounts | None = None,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._local = local
        self._shared = shared
        self._shared_down_until: float | None = None
        self._announced_at: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthThrottle:
        window = settings.auth_throttle_window_seconds
        local = LocalFailureCounts(window_seconds=window, max_addresses=settings.auth_throttle_max_addresses)
        shared = None
        if settings.redis_url is not None and settings.auth_throttle_failures:
            shared = RedisFailureCounts.from_url(settings.redis_url.get_secret_value(), window_seconds=window)
        return cls(max_failures=settings.auth_throttle_failures, window_seconds=window, local=local, shared=shared)

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()

    async def refuse_if_throttled(self, address: str, *, key_digest: str | None = None) -> None:
        """Before work an invalid credential would cost (a database query): 429 if the address
        is over the limit, unless ``key_digest`` names an API key another instance verified.
        Asks Redis only when this instance does not already know the answer."""
        if not self.max_failures:
            return
        failures, seconds_left = self._local.failures(address)
        known_valid = False
        shared = self._usable_shared()
        if (failures < self.max_failures or key_digest is not None) and shared is not None:
            try:
                shared_failures, shared_left, known_valid = await shared.failures(address, key_digest=key_digest)
            except (RedisError, OSError) as exc:
                self._shared_failed(exc)
            else:
                self._shared_answered()
                if shared_failures > failures:
                    failures, seconds_left = shared_failures, shared_left
                    if failures >= self.max_failures:
                        self._local.mirror(address, failures, seconds_left)
        if failures >= self.max_failures and not known_valid:
            raise self._too_many(seconds_left)

    async def record_failure(self, address: str, *, forget_key: str | None = None) -> None:
        """Count a failed authentication; 429 (instead of the caller's 401) once the address is
        past the limit. An address already known to be throttled costs no Redis round trip.
        ``forget_key``: the digest of an API key the database no longer knows."""
        if not self.max_failures:
            return
        failures, seconds_left = self._local.failures(address)
        if failures >= self.max_failures and forget_key is None:
            raise self._too_many(seconds_left)
        shared = self._usable_shared()
        if shared is not None:
            try:
                failures, seconds_left = await shared.add(address, forget_key=forget_key)
            except (RedisError, OSError) as exc:
                self._shared_failed(exc)
                failures, seconds_left = self._local.add(address)
            else:
                self._shared_answered()
                if failures >= self.max_failures:
                    self._local.mirror(address, failures, seconds_left)
        else:
            failures, seconds_left = self._local.add(address)
        if failures > self.max_failures:
            raise self._too_many(seconds_left)

    async def remember_valid_key(self, key_digest: str) -> None:
        """Tell the other instances this API key is valid (at most hourly per key): they then let
        it through a throttled address without having verified it themselves. Called only after
        a database verification, never on the cached hot path."""
        shared = self._usable_shared()
        if not self.max_failures or shared is None:
            return
        now = time.monotonic()
        announced = self._announced_at.get(key_digest)
        if announced is not None and now - announced < _VALID_KEY_ANNOUNCE_SECONDS:
            return
        if len(self._announced_at) >= _MAX_ANNOUNCED_KEYS:
            self._announced_at.clear()
        try:
            await shared.remember_valid_key(key_digest)
        except (RedisError, OSError) as exc:
            self._shared_failed(exc)
        else:
            self._announced_at[key_digest] = now

    def _too_many(self, seconds_left: float) -> TooManyRequests:
        operator_metrics().throttled.inc()  # called only to refuse the request at hand
        retry_after = max(1, math.ceil(seconds_left))
        return TooManyRequests(
            detail=(
                f"More than {self.max_failures} failed authentications from your address within "
                f"{self.window_seconds} seconds. Retry after {retry_after} seconds; a valid API key "
                "or session token is still accepted."
            ),
            headers={"Retry-After": str(retry_after)},
        )

    def _usable_shared(self) -> RedisFailureCounts | None:
        """The shared counts, unless there are none or Redis failed recently."""
        if self._shared_down_until is not None and time.monotonic() < self._shared_down_until:
            return None
        return self._shared

    def _shared_failed(self, exc: Exception) -> None:
        if self._shared_down_until is None:
            log.warning(
                "Redis did not answer (%s): failed authentications are counted per instance until it does",
                type(exc).__name__,
            )
        self._shared_down_until = time.monotonic() + _REDIS_RETRY_SECONDS

    def _shared_answered(self) -> None:
        if self._shared_down_until is not None:
            log.info("Redis answers again: failed authentications are counted across instances")
            self._shared_down_until = None


def throttle_of(request: Request) -> AuthThrottle:
    """The throttle the app's lifespan opened, for a route or page handling ``request``."""
    throttle: AuthThrottle = request.app.state.auth_throttle
    return throttle
