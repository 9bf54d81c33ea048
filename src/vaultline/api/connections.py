"""``/vault/connections``: Apideck's connection endpoints, for the application's backend (API
key) and the consumer's browser (session token), plus the backend-only credentials read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import runtime_of
from vaultline.api.body import read_json_body
from vaultline.api.connection_caller import ConnectionsCaller, authenticate_connections_caller
from vaultline.api.connection_view import connection_credentials_view, connection_id, connection_view
from vaultline.api.fields import RequestModel
from vaultline.api.openapi_docs import documented_errors
from vaultline.api.responses import PRIVATE, ok
from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connection_settings import merge_settings
from vaultline.connection_state import (
    connection_state,
    has_credentials,
    is_set,
    supports_validation,
    validation_problems,
)
from vaultline.errors import BadRequest, NotFound, Unprocessable
from vaultline.runtime import Runtime
from vaultline.store.connections import (
    ConnectionChanges,
    ConnectionRecord,
    delete_connection,
    ensure_connection,
    get_connection,
    list_connections,
    save_connection,
    set_validation_error,
)
from vaultline.store.consumers import ConsumerUpsert, upsert_consumers
from vaultline.store.integrations import ApplicationIntegration, list_application_integrations

router = APIRouter(prefix="/vault/connections", tags=["Connections"])
ONE = "/{unified_api}/{service_id}"


class ResourceConfiguration(RequestModel):
    resource: str = Field(max_length=100)
    defaults: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


class UpdateConnectionRequest(RequestModel):
    enabled: bool | None = None
    settings: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    configuration: list[ResourceConfiguration] | None = Field(default=None, max_length=50)


class EmptyBody(RequestModel):
    pass


async def _offered(runtime: Runtime, application_id: str) -> dict[str, ApplicationIntegration]:
    async with runtime.engine.connect() as connection:
        offerings = await list_application_integrations(connection, application_id=application_id)
    return {service_id: o for service_id, o in offerings.items() if o.enabled and runtime.catalog.get(service_id)}


async def _offered_definition(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> tuple[IntegrationDefinition, ApplicationIntegration]:
    definition = runtime.catalog.find(unified_api=unified_api, service_id=service_id)
    offering = (await _offered(runtime, caller.application_id)).get(service_id) if definition else None
    if definition is None or offering is None:
        raise NotFound(f"This application offers no integration {connection_id(unified_api, service_id)!r}")
    caller.require_unified_api(unified_api)
    return definition, offering


@router.get(
    "", summary="Get all connections", operation_id="connectionsAll", responses=documented_errors(400, 401, 403)
)
async def all_connections(
    request: Request,
    api: str | None = Query(default=None, max_length=64, description="Only this unified API, e.g. crm"),
    configured: bool | None = Query(default=None, description="true: only added ones; false: only available ones"),
) -> Response:
    """Every integration the application offers, as the consumer's connection (``available``
    when the consumer has none). A session token sees only its session's ``unified_apis``."""
    caller = await authenticate_connections_caller(request)
    runtime = runtime_of(request)
    offered = await _offered(runtime, caller.application_id)
    async with runtime.engine.connect() as connection:
        records = await list_connections(
            connection, application_id=caller.application_id, consumer_id=caller.consumer_id, ring=runtime.master_keys
        )
    by_id = {(r.unified_api, r.service_id): r for r in records}
    views = []
    for definition in runtime.catalog:
        unified_api = definition.unified_api.value
        if definition.service_id not in offered or not caller.may_see(unified_api):
            continue
        if api is not None and unified_api != api:
            continue
        record = by_id.get((unified_api, definition.service_id))
        if configured is not None and configured != (record is not None):
            continue
        views.append(connection_view(definition, record, offered[definition.service_id]))
    return ok(views)


@router.get(
    ONE, summary="Get connection", operation_id="connectionsOne", responses=documented_errors(400, 401, 403, 404)
)
async def one_connection(request: Request, unified_api: str, service_id: str) -> Response:
    caller = await authenticate_connections_caller(request)
    runtime = runtime_of(request)
    definition, offering = await _offered_definition(runtime, caller, unified_api, service_id)
    async with runtime.engine.connect() as connection:
        record = await _get(connection, runtime, caller, definition)
    return ok(connection_view(definition, record, offering))


def _required_actions(
    definition: IntegrationDefinition, before: ConnectionRecord, created: bool, enabled: bool, settings: dict[str, Any]
) -> list[tuple[str, str]]:
    """The ``allow_actions`` entries a change needs, with what it does (for the 403 message).
    Adding a connection and entering first credentials need none, as in Apideck's Vault."""
    needed: list[tuple[str, str]] = []
    if not created and enabled != before.enabled:
        needed.append(("disable", "disable a connection" if not enabled else "re-enable a disabled connection"))
    for setting_id in definition.credential_ids:
        old, new = before.settings.get(setting_id), settings.get(setting_id)
        if is_set(old) and not is_set(new):
            needed.append(("disconnect", "clear a connection's credentials"))
        elif is_set(old) and old != new:
            needed.append(("reauthorize", "replace a connection's credentials"))
    return needed


@router.patch(
    ONE,
    summary="Update connection",
    operation_id="connectionsUpdate",
    responses=documented_errors(400, 401, 403, 404, 413, 415),
)
async def update_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """Add (``{"enabled": true}``), enter settings, disable or re-enable a connection. Settings
    are merged: a key set to null or "" is cleared, a sensitive one sent back masked is kept."""
    caller = await authenticate_connections_caller(request)
    runtime = runtime_of(request)
    body = await read_json_body(request, UpdateConnectionRequest, required=True)
    assert body is not None
    definition, offering = await _offered_definition(runtime, caller, unified_api, service_id)
    if body.metadata is not None:
        caller.require_backend("set a connection's metadata")
    configuration = _checked_configuration(definition, body.configuration)
    async with runtime.engine.begin() as connection:
        if caller.is_backend:  # the backend may name a consumer Vaultline has not seen yet
            await upsert_consumers(
                connection, [ConsumerUpsert(caller.application_id, caller.consumer_id, None, None, now_ms())]
            )
        created = await ensure_connection(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            unified_api=unified_api,
            service_id=service_id,
        )
        before = await _get(connection, runtime, caller, definition, for_update=True)
        assert before is not None
        settings = merge_settings(definition, before.settings, body.settings or {})
        enabled = before.enabled if body.enabled is None else body.enabled
        for action, doing in _required_actions(definition, before, created, enabled, settings):
            caller.require_action(action, doing)
        changes = ConnectionChanges(
            enabled=enabled,
            settings=settings,
            metadata=before.metadata if body.metadata is None else body.metadata,
            configuration=before.configuration if configuration is None else configuration,
            # New settings deserve a new verdict: "invalid" only sticks to what was validated.
            validation_error=before.validation_error if settings == before.settings else None,
        )
        await save_connection(connection, record=before, changes=changes, ring=runtime.master_keys)
        after = await _get(connection, runtime, caller, definition)
    return ok(connection_view(definition, after, offering))


def _checked_configuration(
    definition: IntegrationDefinition, configuration: list[ResourceConfiguration] | None
) -> list[dict[str, Any]] | None:
    if configuration is None:
        return None
    for item in configuration:
        if item.resource not in definition.configurable_resources:
            raise BadRequest(
                f"configuration: {definition.name} has no configurable resource {item.resource!r}",
                detail={"configurable_resources": list(definition.configurable_resources)},
            )
    return [item.model_dump() for item in configuration]


@router.delete(
    ONE,
    summary="Deletes a connection",
    operation_id="connectionsDelete",
    status_code=204,
    responses=documented_errors(400, 401, 403, 404),
)
async def remove_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """Delete the connection and everything stored with it. 204, no body."""
    caller = await authenticate_connections_caller(request)
    runtime = runtime_of(request)
    await _offered_definition(runtime, caller, unified_api, service_id)
    caller.require_action("delete", "delete a connection")
    async with runtime.engine.begin() as connection:
        deleted = await delete_connection(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            unified_api=unified_api,
            service_id=service_id,
        )
    if not deleted:
        raise NotFound(f"The consumer has no connection {connection_id(unified_api, service_id)!r}")
    return Response(status_code=204, headers=PRIVATE)


@router.post(
    ONE + "/validate",
    summary="Validate Connection State",
    operation_id="validateConnectionState",
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422),
)
async def validate_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """Check the stored values without calling the provider: every required value present and
    in its documented format. Failing makes the connection ``invalid`` until its settings change."""
    caller = await authenticate_connections_caller(request)
    runtime = runtime_of(request)
    await read_json_body(request, EmptyBody, required=False)
    definition, _ = await _offered_definition(runtime, caller, unified_api, service_id)
    if not supports_validation(definition):
        raise Unprocessable(f"{definition.name} connections cannot be validated yet (OAuth token refresh)")
    async with runtime.engine.begin() as connection:
        record = await _get(connection, runtime, caller, definition, for_update=True, required=True)
        assert record is not None
        problems = validation_problems(definition, record.settings)
        error = "; ".join(problems) if problems and has_credentials(definition, record) else None
        await set_validation_error(connection, pk=record.pk, error=error)
        after = await _get(connection, runtime, caller, definition)
    state = connection_state(definition, after)
    return ok({"id": connection_id(unified_api, service_id), "state": state, "problems": problems})


@router.get(
    ONE + "/credentials",
    summary="Read a connection's credentials (API key only)",
    operation_id="connectionsCredentials",
    responses=documented_errors(400, 401, 403, 404, 422),
)
async def connection_credentials(request: Request, unified_api: str, service_id: str) -> Response:
    """Vaultline's own: the decrypted settings (and OAuth tokens) your backend needs to call the
    provider for this consumer. Only with the application's API key; never cached."""
    caller = await authenticate_connections_caller(request)
    caller.require_backend("read a connection's credentials")
    runtime = runtime_of(request)
    definition, _ = await _offered_definition(runtime, caller, unified_api, service_id)
    async with runtime.engine.connect() as connection:
        record = await _get(connection, runtime, caller, definition, required=True)
    assert record is not None
    if not record.enabled:
        raise Unprocessable("This connection is disabled; the consumer turned it off", detail={"enabled": False})
    if not has_credentials(definition, record):
        raise Unprocessable(
            "This connection has no credentials yet", detail={"state": connection_state(definition, record)}
        )
    return ok(connection_credentials_view(definition, record))


async def _get(
    connection: Any,
    runtime: Runtime,
    caller: ConnectionsCaller,
    definition: IntegrationDefinition,
    *,
    for_update: bool = False,
    required: bool = False,
) -> ConnectionRecord | None:
    record = await get_connection(
        connection,
        application_id=caller.application_id,
        consumer_id=caller.consumer_id,
        unified_api=definition.unified_api.value,
        service_id=definition.service_id,
        ring=runtime.master_keys,
        for_update=for_update,
    )
    if record is None and required:
        raise NotFound(
            f"The consumer has no connection {connection_id(definition.unified_api, definition.service_id)!r}"
        )
    return record
