"""The consumer's connections as the Hosted Vault reads and changes them: through the same
functions the connections API uses (offering, ``unified_apis`` and ``allow_actions`` checks,
merging settings, the state machine), called with a session-token ``ConnectionsCaller``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vaultline.api.connection_caller import ConnectionsCaller
from vaultline.api.connections import (
    ResourceConfiguration,
    _checked_configuration,
    _offered,
    _offered_definition,
    _required_actions,
)
from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connection_settings import merge_settings
from vaultline.connection_state import ConnectionState, connection_state
from vaultline.errors import NotFound
from vaultline.runtime import Runtime
from vaultline.store.connections import (
    ConnectionChanges,
    ConnectionRecord,
    delete_connection,
    ensure_connection,
    get_connection,
    list_connections,
    save_connection,
)
from vaultline.store.integrations import ApplicationIntegration


@dataclass(frozen=True, slots=True)
class OfferedConnection:
    definition: IntegrationDefinition
    offering: ApplicationIntegration
    record: ConnectionRecord | None

    @property
    def state(self) -> ConnectionState:
        return connection_state(self.definition, self.record)

    @property
    def unified_api(self) -> str:
        return self.definition.unified_api.value

    @property
    def service_id(self) -> str:
        return self.definition.service_id

    @property
    def needs_oauth_client(self) -> bool:
        """An OAuth integration the application has not given a client id/secret for yet."""
        return self.definition.auth_type == "oauth2" and not (
            self.offering.oauth_client_id and self.offering.has_oauth_client_secret
        )

    def event(self) -> dict[str, Any]:
        """What Vault JS's ``onConnectionChange`` receives: no settings, nothing secret."""
        return {
            "id": f"{self.unified_api}+{self.service_id}",
            "service_id": self.service_id,
            "unified_api": self.unified_api,
            "name": self.definition.name,
            "state": self.state,
            "enabled": self.record.enabled if self.record else False,
        }


async def offered_connections(runtime: Runtime, caller: ConnectionsCaller) -> list[OfferedConnection]:
    """Everything the application offers that this session may see, in catalog order."""
    offered = await _offered(runtime, caller.application_id)
    async with runtime.engine.connect() as connection:
        records = await list_connections(
            connection, application_id=caller.application_id, consumer_id=caller.consumer_id, ring=runtime.master_keys
        )
    by_id = {(r.unified_api, r.service_id): r for r in records}
    return [
        OfferedConnection(d, offered[d.service_id], by_id.get((d.unified_api.value, d.service_id)))
        for d in runtime.catalog
        if d.service_id in offered and caller.may_see(d.unified_api.value)
    ]


async def one_connection(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> OfferedConnection:
    """404 when not offered, 403 when outside the session's ``unified_apis`` (as the API)."""
    definition, offering = await _offered_definition(runtime, caller, unified_api, service_id)
    async with runtime.engine.connect() as connection:
        record = await _get(connection, runtime, caller, definition)
    return OfferedConnection(definition, offering, record)


async def update_connection(
    runtime: Runtime,
    caller: ConnectionsCaller,
    current: OfferedConnection,
    *,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
    configuration: list[dict[str, Any]] | None = None,
) -> OfferedConnection:
    """``PATCH /vault/connections/{api}/{service}`` for a session caller, step for step."""
    definition = current.definition
    checked = (
        _checked_configuration(definition, [ResourceConfiguration.model_validate(c) for c in configuration])
        if configuration is not None
        else None
    )
    async with runtime.engine.begin() as connection:
        created = await ensure_connection(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            unified_api=current.unified_api,
            service_id=current.service_id,
        )
        before = await _get(connection, runtime, caller, definition, for_update=True)
        assert before is not None
        merged = merge_settings(definition, before.settings, settings or {})
        now_enabled = before.enabled if enabled is None else enabled
        for action, doing in _required_actions(definition, before, created, now_enabled, merged):
            caller.require_action(action, doing)
        changes = ConnectionChanges(
            enabled=now_enabled,
            settings=merged,
            metadata=before.metadata,
            configuration=before.configuration if checked is None else checked,
            validation_error=before.validation_error if merged == before.settings else None,
        )
        await save_connection(connection, record=before, changes=changes, ring=runtime.master_keys)
        after = await _get(connection, runtime, caller, definition)
    return OfferedConnection(definition, current.offering, after)


async def remove_connection(runtime: Runtime, caller: ConnectionsCaller, current: OfferedConnection) -> None:
    """``DELETE /vault/connections/{api}/{service}`` for a session caller."""
    caller.require_action("delete", "delete a connection")
    async with runtime.engine.begin() as connection:
        deleted = await delete_connection(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            unified_api=current.unified_api,
            service_id=current.service_id,
        )
    if not deleted:
        raise NotFound(f"You have no {current.definition.name} connection")


async def _get(
    connection: Any,
    runtime: Runtime,
    caller: ConnectionsCaller,
    definition: IntegrationDefinition,
    *,
    for_update: bool = False,
) -> ConnectionRecord | None:
    return await get_connection(
        connection,
        application_id=caller.application_id,
        consumer_id=caller.consumer_id,
        unified_api=definition.unified_api.value,
        service_id=definition.service_id,
        ring=runtime.master_keys,
        for_update=for_update,
    )
