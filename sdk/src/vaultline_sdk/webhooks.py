"""Verify a Vaultline webhook: ``x-vaultline-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``
over ``"<t>." + raw body``, keyed with the application's webhook secret (its UTF-8 bytes).
Standard library only."""

from __future__ import annotations

import hashlib
import hmac
import time

from vaultline_sdk._exceptions import WebhookSignatureError

__all__ = ["DEFAULT_TOLERANCE_SECONDS", "SIGNATURE_HEADER", "verify_webhook_signature"]

SIGNATURE_HEADER = "x-vaultline-signature"
DEFAULT_TOLERANCE_SECONDS = 300


def verify_webhook_signature(
    payload: bytes,
    header: str,
    secret: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a webhook before parsing it; returns ``None`` when it is genuine.

    Args:
        payload: the raw request body, exactly as received (not re-serialized JSON).
        header: the ``x-vaultline-signature`` header's value.
        secret: the application's webhook secret (``whsec_…``).
        tolerance_seconds: the largest accepted distance between ``t`` and ``now`` (replay guard).
        now: the current Unix time in seconds; defaults to ``time.time()``.

    Raises:
        WebhookSignatureError: the header is missing or malformed, its timestamp is outside the
            tolerance, or no ``v1`` signature in it matches (compared in constant time).
    """
    if not header:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError(f"malformed {SIGNATURE_HEADER} header: expected t=<seconds>,v1=<hex>")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookSignatureError("webhook timestamp outside the tolerance (a replay, or clock skew)")
    signed = str(timestamp).encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates):
        raise WebhookSignatureError("webhook signature does not match the body")
