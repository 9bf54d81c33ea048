"""Handing a connection's decrypted credentials to the application's backend: only with its
API key, only for an enabled connection that has credentials, and refreshed first when they
are OAuth tokens about to expire (which is why this lives with OAuth, above connections/)."""

from __future__ import annotations

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import offered_definition, read_connection
from vaultline.connections.state import connection_state, has_credentials, is_pending_confirmation
from vaultline.errors import Unprocessable
from vaultline.oauth.refresh import fresh_credentials
from vaultline.oauth.token_grants import renewed_grant_credentials
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord


async def usable_credentials(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> tuple[IntegrationDefinition, ConnectionRecord]:
    """403 for a session token, 404 without a connection, 422 when disabled or without credentials."""
    caller.require_backend("read a connection's credentials")
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    async with runtime.engine.connect() as connection:
        record = await read_connection(connection, runtime, caller, definition, required=True)
    if not record.enabled:
        raise Unprocessable("This connection is disabled; the consumer turned it off", detail={"enabled": False})
    if not has_credentials(definition, record):
        raise Unprocessable(
            "This connection has no credentials yet", detail={"state": connection_state(definition, record)}
        )
    if is_pending_confirmation(record):  # a nonce flow's tokens are not the backend's until confirmed
        raise Unprocessable(
            "This connection waits for confirmation: POST …/confirm with the callback's confirm_token",
            detail={"health": "pending_confirmation"},
        )
    refreshed = await fresh_credentials(runtime, definition, record)
    return definition, await renewed_grant_credentials(runtime, definition, refreshed)
