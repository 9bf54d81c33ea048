"""The operations of Apideck's Vault API that need a unified data layer, which Vaultline does
not have: they answer 501 ``UnsupportedOperationError`` naming the operation, so a client
learns why instead of reading a bare 404 "Unknown route" as a typo on its side.

The answer is the same for every caller, so no credential is read: there is nothing to
protect and nothing to log for a consumer. docs/compatibility.md lists every Vault operation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from fastapi import APIRouter

from vaultline.api.openapi_docs import documented_errors
from vaultline.errors import UnsupportedOperation

router = APIRouter(tags=["Unsupported"])

_CONNECTION = "/vault/connections/{unified_api}/{service_id}"
_MAPPINGS = "/vault/custom-mappings/{unified_api}/{service_id}"
_WHY = (
    "Vaultline stores and hands out credentials; it has no unified data layer (no unified models to "
    "describe, map custom fields into or migrate between), so it cannot answer {operation_id}."
)


def refuse(operation_id: str, **naming: str) -> NoReturn:
    raise UnsupportedOperation(
        f"Vaultline does not support {operation_id}: it has no unified data layer",
        detail={"operation_id": operation_id, "reason": _WHY.format(operation_id=operation_id), **naming},
    )


def _register(method: str, path: str, operation_id: str, summary: str, endpoint: Callable[..., Awaitable[Any]]) -> None:
    router.add_api_route(
        path,
        endpoint,
        methods=[method],
        operation_id=operation_id,
        summary=f"{summary} (not supported: answers 501)",
        responses=documented_errors(501),
        status_code=501,  # the only answer: no success response is documented
        response_model=None,
    )


def _per_resource(operation_id: str) -> Callable[..., Awaitable[Any]]:
    async def endpoint(unified_api: str, service_id: str, resource: str) -> NoReturn:
        refuse(operation_id, unified_api=unified_api, service_id=service_id, resource=resource)

    return endpoint


def _per_connection(operation_id: str) -> Callable[..., Awaitable[Any]]:
    async def endpoint(unified_api: str, service_id: str) -> NoReturn:
        refuse(operation_id, unified_api=unified_api, service_id=service_id)

    return endpoint


def _per_target_field(operation_id: str) -> Callable[..., Awaitable[Any]]:
    async def endpoint(unified_api: str, service_id: str, target_field_id: str) -> NoReturn:
        refuse(operation_id, unified_api=unified_api, service_id=service_id, target_field_id=target_field_id)

    return endpoint


# (method, path, operationId, summary, endpoint factory), as in the reference spec.
UNSUPPORTED_OPERATIONS: tuple[tuple[str, str, str, str, Callable[[str], Callable[..., Awaitable[Any]]]], ...] = (
    ("POST", _CONNECTION + "/migrate", "connectionsMigrate", "Migrate connection", _per_connection),
    ("GET", _CONNECTION + "/{resource}/schema", "connectionsSchema", "Get resource schema", _per_resource),
    ("GET", _CONNECTION + "/{resource}/example", "connectionsExample", "Get resource example", _per_resource),
    ("GET", _CONNECTION + "/{resource}/custom-fields", "customFieldsAll", "Get resource custom fields", _per_resource),
    (
        "GET",
        _CONNECTION + "/{resource}/custom-mappings",
        "connectionCustomMappingsAll",
        "List connection custom mappings",
        _per_resource,
    ),
    ("GET", _MAPPINGS + "/{target_field_id}", "customMappingsOne", "Get custom mapping", _per_target_field),
    ("POST", _MAPPINGS + "/{target_field_id}", "customMappingsAdd", "Create custom mapping", _per_target_field),
    ("PATCH", _MAPPINGS + "/{target_field_id}", "customMappingsUpdate", "Update custom mapping", _per_target_field),
    ("DELETE", _MAPPINGS + "/{target_field_id}", "customMappingsDelete", "Delete custom mapping", _per_target_field),
    ("GET", _MAPPINGS, "customMappingsAll", "List custom mappings", _per_connection),
)

for _method, _path, _operation_id, _summary, _factory in UNSUPPORTED_OPERATIONS:
    _register(_method, _path, _operation_id, _summary, _factory(_operation_id))
