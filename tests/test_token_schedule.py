"""When the token keeper refreshes (connections/token_schedule.py): a margin before expiry, at most
half the token's lifetime, at least daily for providers that revoke idle refresh tokens, and a
capped exponential backoff after failures."""

from __future__ import annotations

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.catalog.loader import load_catalog
from vaultline.config import Settings
from vaultline.connections.token_schedule import next_refresh_at, retry_delay_ms

HOUR, MINUTE = 3_600_000, 60_000
SETTINGS = Settings()


def builtin(service_id: str) -> IntegrationDefinition:
    definition = load_catalog(None).by_service_id[service_id]
    assert definition.oauth is not None
    return definition


def test_refreshed_ten_minutes_before_expiry_or_at_half_a_short_lifetime() -> None:
    hubspot = builtin("hubspot")
    stored = 1_000 * HOUR
    hour_token = {"access_token": "a", "refresh_token": "r", "expires_at": stored + HOUR}
    assert next_refresh_at(hubspot, hour_token, SETTINGS, stored_at=stored) == stored + HOUR - 10 * MINUTE
    five_minutes = {**hour_token, "expires_at": stored + 5 * MINUTE}
    assert next_refresh_at(hubspot, five_minutes, SETTINGS, stored_at=stored) == stored + 150_000


def test_idle_refresh_tokens_are_used_daily_where_the_provider_revokes_them() -> None:
    stored = 1_000 * HOUR
    long_lived = {"access_token": "a", "refresh_token": "r", "expires_at": stored + 60 * 24 * HOUR}
    never_expires = {"access_token": "a", "refresh_token": "r", "expires_at": None}
    box, hubspot = builtin("box"), builtin("hubspot")
    assert box.oauth is not None and box.oauth.revokes_idle_refresh_tokens
    assert next_refresh_at(box, long_lived, SETTINGS, stored_at=stored) == stored + 24 * HOUR
    assert next_refresh_at(box, never_expires, SETTINGS, stored_at=stored) == stored + 24 * HOUR
    assert next_refresh_at(hubspot, never_expires, SETTINGS, stored_at=stored) is None
    assert next_refresh_at(hubspot, long_lived, SETTINGS, stored_at=stored) == stored + 60 * 24 * HOUR - 10 * MINUTE


def test_nothing_to_refresh_without_a_refresh_token() -> None:
    tokens = {"access_token": "a", "expires_at": 10 * HOUR}
    assert next_refresh_at(builtin("box"), tokens, SETTINGS, stored_at=0) is None
    assert next_refresh_at(builtin("box"), None, SETTINGS, stored_at=0) is None


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for failures, low, high in ((1, 45_000, 75_000), (2, 90_000, 150_000), (3, 180_000, 300_000)):
        for _ in range(50):
            assert low <= retry_delay_ms(failures, SETTINGS) <= high
    assert all(retry_delay_ms(30, SETTINGS) <= 3_600_000 for _ in range(50))
