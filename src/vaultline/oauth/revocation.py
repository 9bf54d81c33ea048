"""Disconnecting an OAuth connection: the tokens are revoked at the provider when its
definition names an RFC 7009 endpoint, then cleared here (even if the provider did not
answer: the consumer asked to disconnect), and ``vault.connection.revoked`` is emitted."""

from __future__ import annotations

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.health import REVOKED_REASON
from vaultline.connections.offered import read_connection
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.errors import Unprocessable
from vaultline.oauth.provider_client import revoke_token
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord
from vaultline.store.integrations import get_oauth_client
from vaultline.webhooks.events import CONNECTION_REVOKED


async def disconnect_oauth(
    runtime: Runtime, caller: ConnectionsCaller, definition: IntegrationDefinition
) -> ConnectionRecord:
    """Needs ``disconnect`` in the session's ``allow_actions``; 422 when not connected."""
    caller.require_action("disconnect", "disconnect a connection")
    async with runtime.engine.connect() as connection:
        record = await read_connection(connection, runtime, caller, definition, required=True)
        client = await get_oauth_client(
            connection, application_id=caller.application_id, service_id=definition.service_id, ring=runtime.master_keys
        )
    tokens = record.oauth_credentials or {}
    if not tokens.get("access_token"):
        raise Unprocessable(f"{definition.name} is not connected")
    revoke_url = definition.oauth.revoke_url if definition.oauth else None
    if revoke_url is not None and client is not None:
        allow_private = runtime.settings.allow_private_webhooks
        for hint in ("refresh_token", "access_token"):
            if tokens.get(hint):
                await revoke_token(str(revoke_url), client, str(tokens[hint]), hint=hint, allow_private=allow_private)
    async with runtime.engine.begin() as connection:
        current = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        after = await write_connection_change(
            connection,
            runtime,
            definition,
            current,
            NewTokens(None, validation_error=REVOKED_REASON),
            event=CONNECTION_REVOKED,
        )
    return after
