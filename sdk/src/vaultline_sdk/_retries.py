"""When to retry and how long to wait: pure functions, shared by the sync and async clients."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

from vaultline_sdk._constants import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY

# 409 is retried because a concurrent write may clear it; 408/429/5xx are transient by definition,
# except 501: an operation the server does not implement stays unimplemented.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
PERMANENT_SERVER_STATUSES = frozenset({501})


def is_retryable_status(status_code: int) -> bool:
    if status_code in PERMANENT_SERVER_STATUSES:
        return False
    return status_code in RETRYABLE_STATUSES or status_code >= 500


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``Retry-After`` in seconds or as
    an HTTP date), or ``None`` when absent, unreadable, or beyond what we are willing to wait."""
    seconds: float | None = None
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            seconds = float(millis) / 1000
        except ValueError:
            seconds = None
    if seconds is None and (value := headers.get("retry-after")) is not None:
        try:
            seconds = float(value)
        except ValueError:
            seconds = _seconds_until(value, time.time() if now is None else now)
    if seconds is None or not 0 <= seconds <= MAX_RETRY_AFTER:
        return None
    return seconds


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.timestamp() - now


def retry_delay(retries_taken: int, headers: Mapping[str, str] | None = None) -> float:
    """The pause before retry number ``retries_taken + 1``: the server's ``Retry-After`` when it
    gave a sensible one, else exponential backoff with jitter."""
    if headers is not None and (asked := parse_retry_after(headers)) is not None:
        return asked
    backoff: float = min(INITIAL_RETRY_DELAY * 2.0**retries_taken, MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())
