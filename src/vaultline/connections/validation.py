"""Validating a connection's stored values without calling the provider: a failure marks the
connection ``invalid`` until its settings change."""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import offered_definition, read_connection
from vaultline.connections.state import (
    ConnectionState,
    connection_state,
    has_credentials,
    supports_validation,
    validation_problems,
)
from vaultline.errors import Unprocessable
from vaultline.operator_metrics import operator_metrics
from vaultline.runtime import Runtime
from vaultline.store.connections import set_validation_error


@dataclass(frozen=True, slots=True)
class ConnectionValidation:
    state: ConnectionState
    problems: list[str]


async def validate_connection_settings(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> ConnectionValidation:
    """Every required value present and in its documented format; 422 for OAuth integrations."""
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    if not supports_validation(definition):
        raise Unprocessable(f"{definition.name} connections cannot be validated yet (OAuth token refresh)")
    async with runtime.engine.begin() as connection:
        record = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        problems = validation_problems(definition, record.settings)
        error = "; ".join(problems) if problems and has_credentials(definition, record) else None
        await set_validation_error(connection, pk=record.pk, error=error)
        after = await read_connection(connection, runtime, caller, definition)
    operator_metrics().validations.labels("invalid" if problems else "valid").inc()
    return ConnectionValidation(connection_state(definition, after), problems)
