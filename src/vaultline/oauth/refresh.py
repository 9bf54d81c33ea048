"""Fresh OAuth credentials for the backend: a token about to expire is refreshed first.

Many concurrent reads cause one refresh. In one process they queue on a per-connection
``asyncio.Lock``; across instances (PostgreSQL) the refresh runs inside a transaction holding
the connection's row lock (``SELECT … FOR UPDATE``), and whoever gets the lock next re-reads
the row, sees a fresh token and does not refresh. (SQLite is one process: the asyncio lock
is enough.) A provider refusing the refresh token marks the connection ``invalid`` and emits
``vault.connection.token_refresh.failed``; a provider that does not answer changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.errors import NotFound, Unprocessable
from vaultline.log_escape import escape_for_log
from vaultline.oauth.provider_client import ProviderError, ProviderRefused, credentials_from, token_request
from vaultline.operator_metrics import count_token_refresh
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord, get_connection, reread_connection, set_oauth_credentials
from vaultline.store.integrations import get_oauth_client
from vaultline.webhooks.events import CONNECTION_TOKEN_REFRESH_FAILED

log = logging.getLogger(__name__)

# Refresh when the access token has less than this left: the backend needs time to use it.
REFRESH_MARGIN_MS = 60_000


class TokenRefreshFailed(Unprocessable):
    type_name = "TokenRefreshFailedError"
    default_message = "The provider refused to refresh this connection's token: the consumer must re-authorize it"


def needs_refresh(credentials: dict[str, Any] | None, *, at_ms: int | None = None) -> bool:
    if not credentials or not credentials.get("refresh_token"):
        return False
    expires_at = credentials.get("expires_at")
    return isinstance(expires_at, int) and expires_at - (at_ms or now_ms()) < REFRESH_MARGIN_MS


def _ids(record: ConnectionRecord) -> dict[str, str]:
    return {
        "application_id": record.application_id,
        "consumer_id": record.consumer_id,
        "unified_api": record.unified_api,
        "service_id": record.service_id,
    }


async def fresh_credentials(
    runtime: Runtime, definition: IntegrationDefinition, record: ConnectionRecord
) -> ConnectionRecord:
    """``record``, or the connection as it is after a refresh (by us or by whoever refreshed first)."""
    if definition.oauth is None or record.validation_error is not None or not needs_refresh(record.oauth_credentials):
        return record
    async with runtime.oauth_refresh_locks.hold((record.application_id, record.pk)):
        failure: ProviderRefused | None = None
        async with runtime.engine.begin() as connection:
            current = await get_connection(connection, **_ids(record), ring=runtime.master_keys, for_update=True)
            if current is None:
                raise NotFound("The consumer's connection was deleted")
            if current.validation_error is not None or not needs_refresh(current.oauth_credentials):
                return current  # refreshed (or given up on) while we waited for the lock
            previous = current.oauth_credentials or {}
            client = await get_oauth_client(
                connection, application_id=record.application_id, service_id=record.service_id, ring=runtime.master_keys
            )
            try:
                if client is None:
                    raise ProviderRefused("no_client", "the application has no OAuth client for this integration")
                answer = await token_request(
                    str(definition.oauth.token_url),
                    client,
                    {"grant_type": "refresh_token", "refresh_token": str(previous["refresh_token"])},
                    allow_private=runtime.settings.allow_private_webhooks,
                )
            except ProviderRefused as exc:
                count_token_refresh("refresh", "refused")
                failure = exc
                reason = f"OAuth token refresh failed: the provider answered {exc.error}"
                after = await write_connection_change(
                    connection,
                    runtime,
                    definition,
                    current,
                    NewTokens(previous, validation_error=reason),
                    event=CONNECTION_TOKEN_REFRESH_FAILED,
                )
            except ProviderError:
                count_token_refresh("refresh", "error")
                if previous.get("expires_at", 0) > now_ms():
                    log.warning("refresh of %s failed; its token is still valid", record.service_id)
                    return current
                raise
            else:
                # A refreshed token is not a change the application hears of (no webhook event),
                # so this write goes to the store directly rather than through write_connection_change.
                credentials = credentials_from(answer, previous=previous)
                ring = runtime.master_keys
                await set_oauth_credentials(connection, record=current, credentials=credentials, ring=ring)
                after = await reread_connection(connection, record=current, ring=ring)
                count_token_refresh("refresh", "success")
    if failure is not None:
        # The provider's words: an untrusted party's text must not forge log lines either.
        refused = connection_id(record.unified_api, record.service_id)
        log.info("refresh of %s refused: %s", refused, escape_for_log(failure.error))
        raise TokenRefreshFailed(detail={"state": "invalid", "provider_error": failure.error})
    return after
