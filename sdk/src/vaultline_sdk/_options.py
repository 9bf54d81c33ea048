"""Per-call options, and the fully described request the clients send (and re-send on retry)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import httpx


class RequestOptions(TypedDict, total=False):
    """Keyword arguments every API method accepts, overriding the client's settings for one call.

    Keys:
        timeout: seconds (or an ``httpx.Timeout``) for each attempt.
        max_retries: how many times to retry a failed attempt (0 disables retries).
        extra_headers: headers added to (or replacing) the SDK's own.
        idempotency_key: the ``Idempotency-Key`` for a write; generated when omitted.
    """

    timeout: float | httpx.Timeout
    max_retries: int
    extra_headers: Mapping[str, str]
    idempotency_key: str


@dataclass(frozen=True)
class APIRequest:
    """One logical call. Its idempotency key is fixed here, once, so every retry reuses it."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    params: Mapping[str, str | int] | None = None
    json_body: Any = None
    timeout: httpx.Timeout | None = None
    max_retries: int | None = None
    idempotency_key: str | None = None

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        options: RequestOptions,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
    ) -> APIRequest:
        timeout = options.get("timeout")
        idempotency_key = options.get("idempotency_key")
        if idempotency_key is None and method != "GET":
            idempotency_key = f"vaultline-sdk-{uuid.uuid4()}"
        return cls(
            method=method,
            path=path,
            headers={**headers, **options.get("extra_headers", {})},
            params={k: v for k, v in (params or {}).items() if v is not None} or None,
            json_body=json_body,
            timeout=timeout if isinstance(timeout, httpx.Timeout) or timeout is None else httpx.Timeout(timeout),
            max_retries=options.get("max_retries"),
            idempotency_key=idempotency_key,
        )
