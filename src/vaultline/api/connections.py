"""``/vault/connections``: Apideck's connection endpoints, for the application's backend (API
key) and the consumer's browser (session token), plus the backend-only credentials read."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_connections_caller
from vaultline.api.body import read_json_body
from vaultline.api.connection_input import ConnectionInput
from vaultline.api.connection_view import (
    connection_credentials_view,
    listed_connection_view,
    offered_connection_view,
)
from vaultline.api.hot_routes import StandInRoute, stand_in
from vaultline.api.openapi_docs import documented_errors
from vaultline.connection_ids import connection_id
from vaultline.connections.changes import apply_connection_update, delete_consumer_connection
from vaultline.connections.consents import consent_input_decision, record_consent
from vaultline.connections.offered import find_connection, offered_connections
from vaultline.fields import RequestModel
from vaultline.oauth.credentials import usable_credentials
from vaultline.oauth.forced_refresh import validate_connection as validate_or_refresh
from vaultline.responses import PRIVATE, ok
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/connections", tags=["Connections"])
ONE = "/{unified_api}/{service_id}"


class EmptyBody(RequestModel):
    pass


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
    items = await offered_connections(runtime_of(request), caller)
    return ok(
        [
            listed_connection_view(item)
            for item in items
            if (api is None or item.unified_api == api)
            and (configured is None or configured == (item.record is not None))
        ]
    )


@router.get(
    ONE, summary="Get connection", operation_id="connectionsOne", responses=documented_errors(400, 401, 403, 404)
)
async def one_connection(request: Request, unified_api: str, service_id: str) -> Response:
    caller = await authenticate_connections_caller(request)
    return ok(offered_connection_view(await find_connection(runtime_of(request), caller, unified_api, service_id)))


@router.patch(
    ONE,
    summary="Update connection",
    operation_id="connectionsUpdate",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ConnectionInput.model_json_schema()}},
        }
    },
    responses=documented_errors(400, 401, 403, 404, 413, 415, 501),
)
async def update_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """Add (``{"enabled": true}``), enter settings, disable or re-enable a connection. Settings
    are merged: a key set to null or "" is cleared, a sensitive one sent back masked is kept."""
    caller = await authenticate_connections_caller(request)
    body = await read_json_body(request, ConnectionInput, required=True)
    body.refuse_custom_mappings("connectionsUpdate")
    runtime = runtime_of(request)
    consent = await consent_input_decision(  # checked before anything is written
        runtime,
        caller,
        unified_api,
        service_id,
        consent_state=body.consent_state,
        latest_consent=body.latest_consent.model_dump() if body.latest_consent else None,
        application_data_scopes=body.application_data_scopes.model_dump(exclude_none=True)
        if body.application_data_scopes
        else None,
    )
    updated = await apply_connection_update(
        runtime,
        caller,
        unified_api,
        service_id,
        enabled=body.enabled,
        settings=body.settings,
        configuration=body.configuration_to_store(),
        metadata=body.metadata,
    )
    if consent is not None:
        await record_consent(
            runtime, caller, unified_api, service_id, granted=consent.granted, resources=consent.resources
        )
        updated = await find_connection(runtime, caller, unified_api, service_id)
    return ok(offered_connection_view(updated))


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
    await delete_consumer_connection(runtime_of(request), caller, unified_api, service_id)
    return Response(status_code=204, headers=PRIVATE)


@router.post(
    ONE + "/validate",
    summary="Validate Connection State",
    operation_id="validateConnectionState",
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422),
)
async def validate_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """OAuth: force a token refresh at the provider, whatever the token's expiry; a refused
    refresh token makes the connection ``invalid``. Others: check the stored values (every
    required value present and in its documented format), then (for integrations with a
    verification request) the provider's verdict on the credentials. Failing either makes the
    connection ``invalid`` until its settings change; a provider that cannot be reached leaves
    it to the local checks with health ``degraded``."""
    caller = await authenticate_connections_caller(request)
    await read_json_body(request, EmptyBody, required=False)
    result = await validate_or_refresh(runtime_of(request), caller, unified_api, service_id)
    return ok(
        {
            "id": connection_id(unified_api, service_id),
            "state": result.state,
            "problems": result.problems,
            "health": result.health,
            "health_reason": result.health_reason,
        }
    )


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
    definition, record = await usable_credentials(runtime_of(request), caller, unified_api, service_id)
    return ok(connection_credentials_view(definition, record))


async def _all_connections_unfiltered(request: Request) -> Response:
    return await all_connections(request, api=None, configured=None)


async def _connection_credentials(request: Request) -> Response:
    params = request.path_params
    return await connection_credentials(request, params["unified_api"], params["service_id"])


def hot_routes() -> list[StandInRoute]:
    """Vault JS's list and the backend's credentials read, served ahead of FastAPI (hot_routes.py)."""
    return [
        stand_in(router, all_connections, _all_connections_unfiltered),
        stand_in(router, connection_credentials, _connection_credentials),
    ]
