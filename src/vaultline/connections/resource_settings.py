"""Reading and changing one resource's settings of a consumer's connection
(``/vault/connections/{unified_api}/{service_id}/{resource}/config``), through the same update
as the connection itself, so ``unified_apis``, ``allow_actions`` and webhook events apply."""

from __future__ import annotations

from typing import Any

from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.changes import apply_connection_update
from vaultline.connections.offered import OfferedConnection, find_connection, offered_definition
from vaultline.connections.resource_configuration import require_configurable
from vaultline.runtime import Runtime


async def read_resource_settings(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str, resource: str
) -> OfferedConnection:
    item = await find_connection(runtime, caller, unified_api, service_id)
    require_configurable(item.definition, resource)
    return item


async def update_resource_settings(
    runtime: Runtime,
    caller: ConnectionsCaller,
    unified_api: str,
    service_id: str,
    resource: str,
    *,
    configuration: list[dict[str, Any]] | None,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> OfferedConnection:
    """``configuration`` replaces this resource's entries only; the other fields of the body are
    applied as ``PATCH`` on the connection applies them (the spec's body is the same Connection)."""
    definition, _offering = await offered_definition(runtime, caller, unified_api, service_id)
    require_configurable(definition, resource)
    return await apply_connection_update(
        runtime,
        caller,
        unified_api,
        service_id,
        enabled=enabled,
        settings=settings,
        configuration=configuration,
        configuration_of=resource,
        metadata=metadata,
    )
