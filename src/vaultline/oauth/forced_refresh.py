"""``POST …/validate``: for an OAuth connection with a refresh token it forces a refresh at the
provider whatever the token's expiry (as Apideck documents), under the same locks as a read
and the token keeper; for other connections it checks the stored values
(connections/validation.py).

A refusal of the refresh token makes the connection ``invalid``; a provider that does not
answer leaves it as it is (the failure counts towards ``pending_refresh``). A forced refresh
that works brings back a connection the keeper had given up on.
"""

from __future__ import annotations

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.health import connection_health, health_reason
from vaultline.connections.offered import offered_definition, read_connection
from vaultline.connections.state import connection_state, has_credentials
from vaultline.connections.validation import ConnectionValidation, validate_connection_settings
from vaultline.oauth.provider_client import ProviderUnreachable
from vaultline.oauth.refresh_outcomes import RefreshResult, refresh_locked
from vaultline.operator_metrics import operator_metrics
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord
from vaultline.store.data_scopes import get_data_scopes


async def validate_connection(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> ConnectionValidation:
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    if definition.oauth is None or definition.oauth.grant_type != "authorization_code":
        return await validate_connection_settings(runtime, caller, unified_api, service_id)
    return await force_refresh(runtime, caller, definition)


def _cannot_refresh(definition: IntegrationDefinition, record: ConnectionRecord) -> str | None:
    if not has_credentials(definition, record):
        return "The consumer has not authorized this connection yet"
    if not (record.oauth_credentials or {}).get("refresh_token"):
        return "The provider gave no refresh token: the consumer must re-authorize to renew access"
    return None


async def force_refresh(
    runtime: Runtime, caller: ConnectionsCaller, definition: IntegrationDefinition
) -> ConnectionValidation:
    async with runtime.engine.connect() as connection:
        record = await read_connection(connection, runtime, caller, definition, required=True)
    problem = _cannot_refresh(definition, record)
    if problem is None:
        async with runtime.oauth_refresh_locks.hold((record.application_id, record.pk)):
            async with runtime.engine.begin() as connection:
                record = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
                problem = _cannot_refresh(definition, record)
                if problem is None:
                    result = await refresh_locked(connection, runtime, definition, record)
                    record, problem = result.record, _problem(result)
    async with runtime.engine.connect() as connection:
        scopes = await get_data_scopes(connection, application_id=caller.application_id)
    operator_metrics().validations.labels("valid" if problem is None else "invalid").inc()
    return ConnectionValidation(
        connection_state(definition, record),
        [problem] if problem else [],
        connection_health(definition, record, scopes),
        health_reason(definition, record),
    )


def _problem(result: RefreshResult) -> str | None:
    if result.outcome == "refreshed":
        return None
    if result.outcome == "needs_auth":
        return result.record.validation_error or "The provider refused the refresh token"
    if result.provider_error:
        why = f"the provider answered {result.provider_error}"
    elif isinstance(result.error, ProviderUnreachable):
        why = "the provider did not answer"
    else:  # our own words (no OAuth client, an answer without a token), never the provider's body
        detail = result.error.detail if result.error is not None else None
        why = detail if isinstance(detail, str) else "the provider's answer was not usable"
    return f"The token could not be refreshed ({why}); Vaultline retries automatically"
