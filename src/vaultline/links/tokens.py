"""A Vault link's secret (the URL holds the only copy; the database its SHA-256) and the value a
single-use link's browser keeps in its binding cookie (likewise stored only hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

import orjson

# A readable prefix, as API keys have: secret scanners and the consumer logs' redaction spot it.
LINK_SECRET_PREFIX = "vl_link_"
_LINK_SECRET = re.compile(r"vl_link_[A-Za-z0-9_-]{43}")
_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")


def new_link_id() -> str:
    return "lnk_" + secrets.token_urlsafe(12)


def new_link_secret() -> str:
    return LINK_SECRET_PREFIX + secrets.token_urlsafe(32)


def is_link_secret(value: str) -> bool:
    """Checked before any query: a NUL or an over-long value must not reach the database."""
    return _LINK_SECRET.fullmatch(value) is not None


def new_binding() -> str:
    return secrets.token_urlsafe(32)


def is_binding(value: str) -> bool:
    return _BINDING.fullmatch(value) is not None


def sha256_hex(value: str) -> str:
    # A plain hash suffices: both values are 256 random bits, nothing to guess or precompute.
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def derived_link(key: bytes, *, application_id: str, consumer_id: str, creation_key: str) -> tuple[str, str]:
    """(link id, secret) for a create carrying an ``Idempotency-Key``: a retry of it derives the
    same pair, so it can be answered with the same URL although the URL is never stored. Keyed
    with a server secret: knowing the idempotency key is no way to the link's secret."""
    subject = orjson.dumps(["vaultline-link", application_id, consumer_id, creation_key])
    material = hmac.new(key, subject, hashlib.sha256).digest()
    link_id = "lnk_" + _b64(hmac.new(key, b"id|" + material, hashlib.sha256).digest()[:12])
    return link_id, LINK_SECRET_PREFIX + _b64(material)
