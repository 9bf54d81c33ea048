"""Handing a connection's decrypted credentials to the application's backend: only with its
API key, only for an enabled connection that has credentials and, when the application's data
scopes ask for it, the consumer's consent; refreshed first when they are OAuth tokens about to
expire (which is why this lives with OAuth, above connections/)."""

from __future__ import annotations

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connection_ids import connection_id
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.consent_state import consent_state_of, needs_consent
from vaultline.connections.offered import offered_in_config
from vaultline.connections.state import connection_state, has_credentials, is_pending_confirmation
from vaultline.errors import Forbidden, NotFound, Unprocessable
from vaultline.oauth.refresh import fresh_credentials
from vaultline.oauth.token_grants import renewed_grant_credentials
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord, get_connection_with_config_version


async def usable_credentials(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> tuple[IntegrationDefinition, ConnectionRecord]:
    """403 for a session token, 404 without a connection, 422 when disabled or without credentials,
    403 while the application's data scopes wait for the consumer's consent."""
    caller.require_backend("read a connection's credentials")
    if runtime.catalog.find(unified_api=unified_api, service_id=service_id) is None:
        raise NotFound(f"This application offers no integration {connection_id(unified_api, service_id)!r}")
    # The hot path: one pool checkout, one statement (the application's config version and the
    # connection); the offer comes from the cache that version keys (store/app_config.py).
    async with runtime.reader() as connection:
        version, record = await get_connection_with_config_version(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            unified_api=unified_api,
            service_id=service_id,
            ring=runtime.master_keys,
        )
        config = await runtime.app_configs.get(connection, application_id=caller.application_id, version=version)
    definition, _ = offered_in_config(config, runtime, caller, unified_api, service_id)
    if record is None:
        raise NotFound(f"The consumer has no connection {connection_id(unified_api, service_id)!r}")
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
    # The data scopes come with the cached configuration and the consents with the row: no query.
    scopes = config.data_scopes if config is not None else None
    if needs_consent(scopes, record):  # the backend may not read what the consumer did not agree to
        raise Forbidden(
            "The consumer has not consented to this application's data scopes",
            detail={"consent_state": consent_state_of(scopes, record.consents)},
        )
    refreshed = await fresh_credentials(runtime, definition, record)
    return definition, await renewed_grant_credentials(runtime, definition, refreshed)
