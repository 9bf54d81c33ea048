"""One OAuth refresh with the connection's row locked, and what it comes to (docs/token-refresh.md):

    refreshed   new tokens stored, the next refresh scheduled, failures forgotten;
                ``token_refresh.recovered`` when the connection was ``pending_refresh``
                (``updated`` + ``callable`` when a forced refresh revives an ``invalid`` one)
    needs_auth  the provider refused the refresh token (``invalid_grant``), or refreshes still
                failed when the retention window ended: ``invalid``, ``token_refresh.failed``
    failed      anything else (unreachable, 5xx, ``invalid_client``, no OAuth client): counted,
                retried after a capped exponential backoff; after
                ``token_refresh_pending_after_failures`` in a row (or one once the access token
                has expired) ``pending_refresh`` with a retention window, ``token_refresh.pending``

The token columns and the failure bookkeeping change here without ``write_connection_change``
when the application hears of them through the events above (or, for a plain refresh, not
at all); a change of state goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connections.change_events import connection_entity
from vaultline.connections.token_schedule import next_refresh_at, retry_delay_ms
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.oauth.provider_client import ProviderError, ProviderRefused, credentials_from, token_request
from vaultline.operator_metrics import count_token_refresh
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord, reread_connection, set_oauth_credentials
from vaultline.store.integrations import get_oauth_client
from vaultline.store.token_refresh import record_refresh_failure
from vaultline.webhooks.events import (
    CONNECTION_TOKEN_REFRESH_FAILED,
    CONNECTION_TOKEN_REFRESH_PENDING,
    CONNECTION_TOKEN_REFRESH_RECOVERED,
    enqueue_connection_event,
)

# The one refusal that says the refresh token itself is dead: retrying cannot help (RFC 6749 §5.2).
INVALID_GRANT = "invalid_grant"
WINDOW_ENDED = "OAuth token refresh kept failing until the retention window ended: the consumer must re-authorize"


@dataclass(frozen=True, slots=True)
class RefreshResult:
    record: ConnectionRecord
    outcome: Literal["refreshed", "needs_auth", "failed"]
    error: ProviderError | None = None  # set when "failed"
    provider_error: str | None = None  # the provider's OAuth error code, when it gave one


async def refresh_locked(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    current: ConnectionRecord,
    *,
    at_ms: int | None = None,
) -> RefreshResult:
    """Trade ``current``'s refresh token (its row locked in this transaction) and record the
    outcome with its events. ``at_ms``: the time failures are recorded at (tests move it on)."""
    if definition.oauth is None:
        raise ValueError(f"{definition.service_id} is not an OAuth integration")
    previous = current.oauth_credentials or {}
    try:
        client = await get_oauth_client(
            connection, application_id=current.application_id, service_id=current.service_id, ring=runtime.master_keys
        )
        if client is None:
            raise ProviderError(detail="the application has no OAuth client for this integration")
        answer = await token_request(
            str(definition.oauth.token_url),
            client,
            {"grant_type": "refresh_token", "refresh_token": str(previous.get("refresh_token") or "")},
            allow_private=runtime.settings.allow_private_webhooks,
        )
        credentials = credentials_from(answer, previous=previous)
    except ProviderError as exc:
        at = at_ms or now_ms()
        if isinstance(exc, ProviderRefused) and exc.error == INVALID_GRANT:
            count_token_refresh("refresh", "refused")
            reason = f"OAuth token refresh failed: the provider answered {exc.error}"
            after = await _give_up(connection, runtime, definition, current, reason, at=at)
            return RefreshResult(after, "needs_auth", provider_error=exc.error)
        count_token_refresh("refresh", "error")
        return await _failed(connection, runtime, definition, current, exc, at=at)
    count_token_refresh("refresh", "success")
    return RefreshResult(await _refreshed(connection, runtime, definition, current, credentials), "refreshed")


async def _refreshed(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    current: ConnectionRecord,
    credentials: dict[str, Any],
) -> ConnectionRecord:
    if current.validation_error is not None:  # a forced refresh brought an invalid connection back
        return await write_connection_change(connection, runtime, definition, current, NewTokens(credentials))
    # A refreshed token is not a change the application hears of (no webhook event), so this
    # write goes to the store directly rather than through write_connection_change.
    ring = runtime.master_keys
    due = next_refresh_at(definition, credentials, runtime.settings, stored_at=now_ms())
    await set_oauth_credentials(connection, record=current, credentials=credentials, ring=ring, refresh_due_at=due)
    after = await reread_connection(connection, record=current, ring=ring)
    if current.provider.credentials_expire_at is not None:  # it was pending_refresh
        await _event(connection, runtime, definition, after, CONNECTION_TOKEN_REFRESH_RECOVERED)
    return after


async def _failed(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    current: ConnectionRecord,
    error: ProviderError,
    *,
    at: int,
) -> RefreshResult:
    settings = runtime.settings
    provider_error = error.error if isinstance(error, ProviderRefused) else None
    window_end = current.provider.credentials_expire_at
    if window_end is not None and at >= window_end:
        after = await _give_up(connection, runtime, definition, current, WINDOW_ENDED, at=at)
        return RefreshResult(after, "needs_auth", provider_error=provider_error)
    failures = current.refresh_failures + 1
    expires_at = (current.oauth_credentials or {}).get("expires_at")
    expired = isinstance(expires_at, int) and expires_at <= at
    entering = window_end is None and (failures >= settings.token_refresh_pending_after_failures or expired)
    if entering:
        window_end = at + settings.token_refresh_retention_seconds * 1000
    retry_at = at + retry_delay_ms(failures, settings)
    if window_end is not None:  # one last try when the window ends, so needs_auth comes on time
        retry_at = min(retry_at, window_end)
    await record_refresh_failure(
        connection,
        pk=current.pk,
        failures=failures,
        failed_at=at,
        retry_at=retry_at,
        credentials_expire_at=window_end,
    )
    after = await reread_connection(connection, record=current, ring=runtime.master_keys)
    if entering:
        await _event(connection, runtime, definition, after, CONNECTION_TOKEN_REFRESH_PENDING)
    return RefreshResult(after, "failed", error=error, provider_error=provider_error)


async def _give_up(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    current: ConnectionRecord,
    reason: str,
    *,
    at: int,
) -> ConnectionRecord:
    """``invalid`` (health ``needs_auth``) with ``token_refresh.failed``; the tokens stay sealed
    but are never refreshed again until the consumer re-authorizes (or a forced refresh works)."""
    previous = current.oauth_credentials
    await write_connection_change(
        connection,
        runtime,
        definition,
        current,
        NewTokens(previous, validation_error=reason),
        event=CONNECTION_TOKEN_REFRESH_FAILED,
    )
    await record_refresh_failure(
        connection,
        pk=current.pk,
        failures=current.refresh_failures + 1,
        failed_at=at,
        retry_at=None,
        credentials_expire_at=None,
    )
    return await reread_connection(connection, record=current, ring=runtime.master_keys)


async def _event(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    record: ConnectionRecord,
    event_type: str,
) -> None:
    await enqueue_connection_event(
        connection,
        type=event_type,
        application_id=record.application_id,
        consumer_id=record.consumer_id,
        unified_api=record.unified_api,
        service_id=record.service_id,
        public_url=runtime.settings.public_url,
        entity=connection_entity(definition, record),
    )
