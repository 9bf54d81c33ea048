"""When the token keeper refreshes a connection's OAuth token (docs/token-refresh.md): a margin
before the access token expires, at least every ``token_refresh_idle_seconds`` for providers
that revoke unused refresh tokens, and after a failure a capped exponential backoff."""

from __future__ import annotations

import random
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.config import Settings


def next_refresh_at(
    definition: IntegrationDefinition, credentials: dict[str, Any] | None, settings: Settings, *, stored_at: int
) -> int | None:
    """When tokens stored at ``stored_at`` should be refreshed; None when never (no refresh
    token, or nothing expires and the provider keeps idle refresh tokens)."""
    if definition.oauth is None or not credentials or not credentials.get("refresh_token"):
        return None
    candidates: list[int] = []
    expires_at = credentials.get("expires_at")
    if isinstance(expires_at, int):
        # At most half the token's lifetime: a 5-minute token with a 10-minute margin would
        # otherwise be refreshed on every pass.
        lifetime = max(0, expires_at - stored_at)
        candidates.append(expires_at - min(settings.token_refresh_margin_seconds * 1000, lifetime // 2))
    if definition.oauth.revokes_idle_refresh_tokens:
        candidates.append(stored_at + settings.token_refresh_idle_seconds * 1000)
    return min(candidates) if candidates else None


def retry_delay_ms(failures: int, settings: Settings) -> int:
    """Wait after ``failures`` failed refreshes in a row (1-based): base·2^(n-1), ±25 %, capped."""
    base = settings.token_refresh_retry_base_seconds
    wait = base * 2.0 ** min(failures - 1, 40) * random.uniform(0.75, 1.25)
    return int(min(settings.token_refresh_retry_max_seconds, wait) * 1000)
