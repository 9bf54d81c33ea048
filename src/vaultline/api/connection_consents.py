"""``/vault/connections/{unified_api}/{service_id}/consent``: the consumer's consent records to
the application's data scopes (``connectionConsentsAll`` / ``connectionConsentUpdate``), for
the backend and for the consumer's own session token. Rules: connections/consents.py."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_connections_caller
from vaultline.api.body import read_json_body
from vaultline.api.openapi_docs import documented_errors
from vaultline.connections.consents import connection_consents, record_consent
from vaultline.fields import RequestModel
from vaultline.responses import ok
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/connections/{unified_api}/{service_id}/consent", tags=["Connections"])

# resource → field → {"read": bool, "write": bool}, or "*" for everything
ConsentResources = dict[str, dict[str, dict[str, bool]]] | Literal["*"]


class UpdateConsentRequest(RequestModel):
    granted: bool
    resources: ConsentResources


@router.get(
    "",
    summary="Get consent records",
    operation_id="connectionConsentsAll",
    responses=documented_errors(400, 401, 403, 404),
)
async def all_consents(request: Request, unified_api: str, service_id: str) -> Response:
    """Every consent record of the connection, oldest first (an immutable audit trail)."""
    caller = await authenticate_connections_caller(request)
    return ok(await connection_consents(runtime_of(request), caller, unified_api, service_id))


@router.patch(
    "",
    summary="Update consent state",
    operation_id="connectionConsentUpdate",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UpdateConsentRequest.model_json_schema()}},
        }
    },
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422),
)
async def update_consent(request: Request, unified_api: str, service_id: str) -> Response:
    """Record the consumer's decision: a grant must cover the application's data scopes (422
    names what is missing); a refusal withdraws consent. Returns the new record."""
    caller = await authenticate_connections_caller(request)
    body = await read_json_body(request, UpdateConsentRequest, required=True)
    consent = await record_consent(
        runtime_of(request), caller, unified_api, service_id, granted=body.granted, resources=body.resources
    )
    return ok(consent)
