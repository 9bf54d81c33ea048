"""``/vault/connections/{unified_api}/{service_id}/{resource}/config``: Apideck's
``connectionSettingsAll`` / ``connectionSettingsUpdate``, one resource's default values (the
ones the Hosted Vault's resource settings edit). Both answer the connection, its
``configuration`` narrowed to that resource."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_connections_caller
from vaultline.api.body import read_json_body
from vaultline.api.connection_input import ConnectionInput
from vaultline.api.connection_view import offered_connection_view
from vaultline.api.openapi_docs import documented_errors
from vaultline.connections.offered import OfferedConnection
from vaultline.connections.resource_configuration import resource_entry
from vaultline.connections.resource_settings import read_resource_settings, update_resource_settings
from vaultline.responses import ok
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/connections", tags=["Connections"])
CONFIG = "/{unified_api}/{service_id}/{resource}/config"


def resource_settings_view(item: OfferedConnection, resource: str) -> dict[str, Any]:
    view = offered_connection_view(item)
    view["configuration"] = [resource_entry(item.record.configuration if item.record else None, resource)]
    return view


@router.get(
    CONFIG,
    summary="Get resource settings",
    operation_id="connectionSettingsAll",
    responses=documented_errors(400, 401, 403, 404),
)
async def resource_settings(request: Request, unified_api: str, service_id: str, resource: str) -> Response:
    """The connection with the resource's default values (``owner_id`` listed even when unset).
    404 when the integration has no settings for that resource."""
    caller = await authenticate_connections_caller(request)
    item = await read_resource_settings(runtime_of(request), caller, unified_api, service_id, resource)
    return ok(resource_settings_view(item, resource))


@router.patch(
    CONFIG,
    summary="Update settings",
    operation_id="connectionSettingsUpdate",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ConnectionInput.model_json_schema()}},
        }
    },
    responses=documented_errors(400, 401, 403, 404, 413, 415, 501),
)
async def update_resource_settings_route(
    request: Request, unified_api: str, service_id: str, resource: str
) -> Response:
    """Replace the resource's default values with ``configuration`` (every entry names this
    resource; the other resources keep theirs). The body is the spec's Connection: its other
    fields apply as on ``PATCH /vault/connections/{unified_api}/{service_id}``. A session token
    may not when its session hides resource settings."""
    caller = await authenticate_connections_caller(request)
    body = await read_json_body(request, ConnectionInput, required=True)
    body.refuse_custom_mappings("connectionSettingsUpdate")
    item = await update_resource_settings(
        runtime_of(request),
        caller,
        unified_api,
        service_id,
        resource,
        configuration=body.configuration_to_store(),
        enabled=body.enabled,
        settings=body.settings,
        metadata=body.metadata,
    )
    return ok(resource_settings_view(item, resource))
