"""POST …/validate: the local checks (every required value present and well-formed), then,
for an integration with a ``verification`` request, the provider itself. A local failure or a
refusal marks the connection ``invalid`` until its settings change; a provider that cannot be
asked leaves it to the local checks, health ``degraded``."""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.health import connection_health, health_reason
from vaultline.connections.offered import offered_definition, read_connection
from vaultline.connections.state import (
    ConnectionState,
    connection_state,
    has_credentials,
    supports_validation,
    validation_problems,
)
from vaultline.connections.verification import Verification, ready_to_verify, verifies, verify_settings
from vaultline.connections.writes import ProviderVerdict, write_connection_change
from vaultline.errors import Unprocessable
from vaultline.operator_metrics import operator_metrics
from vaultline.runtime import Runtime
from vaultline.store.connections import set_validation_error
from vaultline.store.data_scopes import get_data_scopes


@dataclass(frozen=True, slots=True)
class ConnectionValidation:
    state: ConnectionState
    problems: list[str]
    health: str | None = None
    health_reason: str | None = None


async def validate_connection_settings(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> ConnectionValidation:
    """The local checks, then the provider; 422 for OAuth integrations."""
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    if not supports_validation(definition):
        raise Unprocessable(f"{definition.name} connections cannot be validated yet (OAuth token refresh)")
    async with runtime.engine.connect() as connection:
        current = await read_connection(connection, runtime, caller, definition, required=True)
    verification: Verification | None = None
    local_problems = validation_problems(definition, current.settings)
    if not local_problems and verifies(runtime, definition) and ready_to_verify(definition, current.settings):
        verification = await verify_settings(
            runtime,
            definition,
            current.settings,
            why="validate",
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
        )
    async with runtime.engine.begin() as connection:
        record = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        problems = validation_problems(definition, record.settings)
        if verification is not None and verification.settings == record.settings:
            verdict = verification.verdict(record.provider, runtime.settings)
            if verdict.validation_error is not None:
                problems.append(verdict.validation_error)
            after = await write_connection_change(
                connection, runtime, definition, record, ProviderVerdict(verdict.marks, verdict.validation_error)
            )
        else:
            error = "; ".join(problems) if problems and has_credentials(definition, record) else None
            await set_validation_error(connection, pk=record.pk, error=error)
            after = await read_connection(connection, runtime, caller, definition, required=True)
        scopes = await get_data_scopes(connection, application_id=caller.application_id)
    operator_metrics().validations.labels("invalid" if problems else "valid").inc()
    return ConnectionValidation(
        connection_state(definition, after),
        problems,
        connection_health(definition, after, scopes),
        health_reason(definition, after),
    )
