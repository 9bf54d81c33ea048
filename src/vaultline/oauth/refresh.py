"""Fresh OAuth credentials for the backend: a token about to expire is refreshed first.

Many concurrent reads cause one refresh. In one process they queue on a per-connection
``asyncio.Lock``; across instances (PostgreSQL) the refresh runs inside a transaction holding
the connection's row lock (``SELECT … FOR UPDATE``), and whoever gets the lock next re-reads
the row, sees a fresh token and does not refresh. (SQLite is one process: the asyncio lock
is enough.) The token keeper (oauth/token_keeper.py) takes the same two locks, so a read and
the keeper never refresh one connection twice.

What a refresh comes to is recorded by ``refresh_locked`` (oauth/refresh_outcomes.py), for a
read, the keeper and a forced refresh alike: the provider refusing the refresh token
(``invalid_grant``) marks the connection ``invalid`` (health ``needs_auth``); any other failure
counts towards ``pending_refresh`` and is retried with backoff. A read whose token is still
valid gets it despite a failure.
"""

from __future__ import annotations

import logging
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.errors import NotFound, Unprocessable
from vaultline.log_escape import escape_for_log
from vaultline.oauth.refresh_outcomes import RefreshResult, refresh_locked
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord, get_connection

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
        async with runtime.engine.begin() as connection:
            current = await get_connection(connection, **_ids(record), ring=runtime.master_keys, for_update=True)
            if current is None:
                raise NotFound("The consumer's connection was deleted")
            if current.validation_error is not None or not needs_refresh(current.oauth_credentials):
                return current  # refreshed (or given up on) while we waited for the lock
            result = await refresh_locked(connection, runtime, definition, current)
    # Raised after the commit: the failure's bookkeeping (and its events) must be kept.
    return usable_after(result, current)


def usable_after(result: RefreshResult, before: ConnectionRecord) -> ConnectionRecord:
    """The connection after ``result``; 422 when it now needs the consumer, the provider's error
    when the refresh failed and the old token has expired."""
    if result.outcome == "needs_auth":
        # The provider's words: an untrusted party's text must not forge log lines either.
        failed = connection_id(before.unified_api, before.service_id)
        log.info("refresh of %s refused: %s", failed, escape_for_log(result.provider_error or "-"))
        raise TokenRefreshFailed(detail={"state": "invalid", "provider_error": result.provider_error})
    if result.error is not None:  # failed: retried later with backoff
        expires_at = (before.oauth_credentials or {}).get("expires_at")
        if isinstance(expires_at, int) and expires_at > now_ms():
            log.warning("refresh of %s failed; its token is still valid", before.service_id)
            return result.record
        raise result.error
    return result.record
