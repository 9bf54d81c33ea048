"""Access tokens for credentials Vaultline stores: the client_credentials grant (RFC 6749 §4.4,
the consumer's own client id/secret) and the password grant (§4.3, the consumer's username and
password with the application's OAuth client).

``POST …/token`` (``connectionsToken``) runs the exchange and stores the token sealed; the
credentials read renews a token with under a minute left the way oauth/refresh.py refreshes
one (these grants have no refresh token: the stored credentials are asked again), one renewal
for any number of concurrent reads, a refusal marking the connection ``invalid``.
"""

from __future__ import annotations

import logging
from typing import Any

from vaultline.catalog.definitions import GRANT_SETTINGS, IntegrationDefinition, OAuthSpec
from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.changes import apply_connection_update
from vaultline.connections.offered import OfferedConnection, offered_definition, read_connection
from vaultline.connections.settings import merge_settings
from vaultline.connections.state import has_credentials, is_set
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.errors import NotFound, Unprocessable
from vaultline.log_escape import escape_for_log
from vaultline.oauth.provider_client import ProviderError, ProviderRefused, credentials_from, token_request
from vaultline.oauth.refresh import REFRESH_MARGIN_MS, TokenRefreshFailed
from vaultline.operator_metrics import count_token_refresh
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord, get_connection, reread_connection, set_oauth_credentials
from vaultline.store.data_scopes import get_data_scopes
from vaultline.store.integrations import OAuthClient, get_oauth_client
from vaultline.webhooks.events import CONNECTION_TOKEN_REFRESH_FAILED

log = logging.getLogger(__name__)

STORED_CREDENTIAL_GRANTS = tuple(GRANT_SETTINGS)


class TokenGrantRefused(Unprocessable):
    type_name = "TokenGrantRefusedError"
    default_message = "The provider refused the connection's stored credentials"


def stored_credentials_grant(definition: IntegrationDefinition) -> OAuthSpec | None:
    """The integration's OAuth block when its token comes from stored credentials, else None."""
    oauth = definition.oauth
    return oauth if oauth is not None and oauth.grant_type in STORED_CREDENTIAL_GRANTS else None


def needs_renewal(credentials: dict[str, object] | None, *, at_ms: int | None = None) -> bool:
    if not credentials:
        return False
    expires_at = credentials.get("expires_at")
    return isinstance(expires_at, int) and expires_at - (at_ms or now_ms()) < REFRESH_MARGIN_MS


async def _grant_request(
    runtime: Runtime,
    definition: IntegrationDefinition,
    oauth: OAuthSpec,
    settings: dict[str, Any],
    app_client: OAuthClient | None,
) -> dict[str, object]:
    """The provider's answer to the grant, from these settings; 422 naming what is missing."""
    grant = oauth.grant_type
    names = GRANT_SETTINGS[grant]
    missing = [name for name in names if not is_set(settings.get(name))]
    if missing:
        raise Unprocessable(
            f"{definition.name} needs {', '.join(missing)} in its settings before a token can be requested",
            detail={"missing_settings": missing, "oauth_grant_type": grant},
        )
    if grant == "client_credentials":
        client = OAuthClient(str(settings["client_id"]), str(settings["client_secret"]))
        form = {"grant_type": "client_credentials"}
    else:
        if app_client is None:
            raise Unprocessable(
                f"{definition.name} cannot get a token yet: the application has not set its OAuth client",
                detail={"oauth_grant_type": grant},
            )
        client = app_client
        form = {
            "grant_type": "password",
            "username": str(settings["username"]),
            "password": str(settings["password"]),
        }
    if oauth.default_scopes:
        form["scope"] = oauth.scope_separator.join(oauth.default_scopes)
    return await token_request(
        str(oauth.token_url), client, form, allow_private=runtime.settings.allow_private_webhooks
    )


async def _application_client(
    runtime: Runtime, definition: IntegrationDefinition, application_id: str
) -> OAuthClient | None:
    if definition.grant_type != "password":
        return None  # client_credentials authenticates with the consumer's own client
    async with runtime.engine.connect() as connection:
        return await get_oauth_client(
            connection, application_id=application_id, service_id=definition.service_id, ring=runtime.master_keys
        )


async def exchange_stored_credentials(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> OfferedConnection:
    """``connectionsToken``: trade the stored credentials for an access token and store it
    (sealed). A session needs ``reauthorize`` to replace a token the connection already has."""
    definition, offering = await offered_definition(runtime, caller, unified_api, service_id)
    oauth = stored_credentials_grant(definition)
    if oauth is None:
        raise Unprocessable(
            f"{definition.name} does not get its token from stored credentials",
            detail={
                "oauth_grant_type": definition.grant_type,
                "supported_grant_types": list(STORED_CREDENTIAL_GRANTS),
            },
        )
    async with runtime.engine.connect() as connection:
        record = await read_connection(connection, runtime, caller, definition, required=True)
    if not record.enabled:
        raise Unprocessable("This connection is disabled; the consumer turned it off", detail={"enabled": False})
    if has_credentials(definition, record):
        caller.require_action("reauthorize", "replace a connection's access token")
    app_client = await _application_client(runtime, definition, caller.application_id)
    try:
        answer = await _grant_request(runtime, definition, oauth, record.settings, app_client)
    except ProviderRefused as exc:
        log.info("token grant for %s refused: %s", connection_id(unified_api, service_id), escape_for_log(exc.error))
        raise TokenGrantRefused(detail={"provider_error": exc.error}) from exc
    credentials = credentials_from(dict(answer))
    async with runtime.engine.begin() as connection:
        current = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        after = await write_connection_change(connection, runtime, definition, current, NewTokens(credentials))
        scopes = await get_data_scopes(connection, application_id=caller.application_id)
    return OfferedConnection(definition, offering, after, scopes)


async def connect_with_entered_credentials(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str, settings: dict[str, Any]
) -> OfferedConnection:
    """The Hosted Vault's connect form: the entered values are traded for a token first and
    stored (with the token) only when the provider accepts them, so a typo stores nothing."""
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    oauth = stored_credentials_grant(definition)
    if oauth is None:
        raise Unprocessable(f"{definition.name} does not get its token from stored credentials")
    async with runtime.engine.connect() as connection:
        before = await read_connection(connection, runtime, caller, definition)
    merged = merge_settings(definition, before.settings if before else {}, settings)
    app_client = await _application_client(runtime, definition, caller.application_id)
    try:
        answer = await _grant_request(runtime, definition, oauth, merged, app_client)
    except ProviderRefused as exc:
        log.info("token grant for %s refused: %s", connection_id(unified_api, service_id), escape_for_log(exc.error))
        raise TokenGrantRefused(detail={"provider_error": exc.error}) from exc
    saved = await apply_connection_update(
        runtime, caller, unified_api, service_id, enabled=True if before is None else None, settings=settings
    )
    async with runtime.engine.begin() as connection:
        current = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        after = await write_connection_change(
            connection, runtime, definition, current, NewTokens(credentials_from(dict(answer)))
        )
    return OfferedConnection(definition, saved.offering, after, saved.data_scopes)


async def renewed_grant_credentials(
    runtime: Runtime, definition: IntegrationDefinition, record: ConnectionRecord
) -> ConnectionRecord:
    """``record``, or the connection after its stored-credentials token was renewed (by us or by
    whoever held the lock first). The same locking as oauth/refresh.fresh_credentials."""
    oauth = stored_credentials_grant(definition)
    if oauth is None or record.validation_error is not None:
        return record
    if not needs_renewal(record.oauth_credentials):
        return record
    ids = {
        "application_id": record.application_id,
        "consumer_id": record.consumer_id,
        "unified_api": record.unified_api,
        "service_id": record.service_id,
    }
    app_client = await _application_client(runtime, definition, record.application_id)
    async with runtime.oauth_refresh_locks.hold((record.application_id, record.pk)):
        failure: ProviderRefused | None = None
        async with runtime.engine.begin() as connection:
            current = await get_connection(connection, **ids, ring=runtime.master_keys, for_update=True)
            if current is None:
                raise NotFound("The consumer's connection was deleted")
            if current.validation_error is not None or not needs_renewal(current.oauth_credentials):
                return current
            previous = current.oauth_credentials or {}
            try:
                answer = await _grant_request(runtime, definition, oauth, current.settings, app_client)
            except ProviderRefused as exc:
                count_token_refresh("renewal", "refused")
                failure = exc
                after = await write_connection_change(
                    connection,
                    runtime,
                    definition,
                    current,
                    NewTokens(
                        previous, validation_error=f"OAuth token renewal failed: the provider answered {exc.error}"
                    ),
                    event=CONNECTION_TOKEN_REFRESH_FAILED,
                )
            except ProviderError:
                count_token_refresh("renewal", "error")
                if int(previous.get("expires_at") or 0) > now_ms():
                    log.warning("token renewal of %s failed; its token is still valid", record.service_id)
                    return current
                raise
            else:
                # Like a refreshed token: not a change the application hears of (no event).
                ring = runtime.master_keys
                await set_oauth_credentials(
                    connection, record=current, credentials=credentials_from(dict(answer)), ring=ring
                )
                after = await reread_connection(connection, record=current, ring=ring)
                count_token_refresh("renewal", "success")
    if failure is not None:
        log.info("token renewal of %s refused: %s", record.service_id, escape_for_log(failure.error))
        raise TokenRefreshFailed(detail={"state": "invalid", "provider_error": failure.error})
    return after
