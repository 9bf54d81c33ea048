"""Apideck's connection actions beyond read/update/delete: ``connectionsAdd`` (POST a new
connection), ``connectionsImport`` (bring one over from another system, API key only) and
``connectionsToken`` (trade stored client-credentials or password-grant credentials for a token)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import Field, field_validator
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_connections_caller
from vaultline.api.body import read_json_body
from vaultline.api.connection_input import ConnectionInput
from vaultline.api.connection_view import offered_connection_view
from vaultline.api.connections import EmptyBody
from vaultline.api.openapi_docs import documented_errors
from vaultline.connection_ids import connection_id
from vaultline.connections.changes import apply_connection_update
from vaultline.connections.importing import ImportedTokens, import_connection
from vaultline.connections.offered import find_connection
from vaultline.errors import Unprocessable
from vaultline.fields import RequestModel
from vaultline.oauth.token_grants import exchange_stored_credentials
from vaultline.responses import ok
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/connections", tags=["Connections"])
ONE = "/{unified_api}/{service_id}"


class ImportedCredentials(RequestModel):
    """Apideck's ``ConnectionImportData.credentials``: the tokens the other system held."""

    access_token: str = Field(min_length=1, max_length=16384)
    refresh_token: str | None = Field(default=None, max_length=16384)
    issued_at: str | None = Field(default=None, max_length=64, description="ISO 8601 date-time")
    expires_in: int | None = Field(default=None, ge=0, le=10 * 365 * 24 * 3600)

    @field_validator("issued_at")
    @classmethod
    def _is_a_date_time(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("must be an ISO 8601 date-time, e.g. 2020-01-01T00:00:00Z") from None
        return value

    def tokens(self) -> ImportedTokens:
        issued_at = datetime.fromisoformat(self.issued_at) if self.issued_at is not None else None
        if issued_at is not None and issued_at.tzinfo is None:
            issued_at = issued_at.replace(tzinfo=UTC)  # a date-time without offset is read as UTC
        return ImportedTokens(self.access_token, self.refresh_token, issued_at, self.expires_in)


class ImportConnectionRequest(RequestModel):
    """Apideck's ``ConnectionImportData``."""

    credentials: ImportedCredentials | None = None
    settings: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


def _body(model: type[RequestModel], *, required: bool) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


@router.post(
    ONE,
    summary="Create connection",
    operation_id="connectionsAdd",
    openapi_extra=_body(ConnectionInput, required=True),
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422, 501),
)
async def add_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """Create the consumer's connection (enabled unless ``"enabled": false``) with its settings:
    the body is PATCH's (the spec's Connection). 422 when the consumer already has it (update
    it with PATCH)."""
    caller = await authenticate_connections_caller(request)
    body = await read_json_body(request, ConnectionInput, required=True)
    body.refuse_custom_mappings("connectionsAdd")
    runtime = runtime_of(request)
    existing = await find_connection(runtime, caller, unified_api, service_id)
    if existing.record is not None:
        raise Unprocessable(
            f"The consumer already has a connection {connection_id(unified_api, service_id)!r}",
            detail="Change it with PATCH /vault/connections/{unified_api}/{service_id}.",
        )
    created = await apply_connection_update(
        runtime,
        caller,
        unified_api,
        service_id,
        enabled=True if body.enabled is None else body.enabled,
        settings=body.settings,
        configuration=body.configuration_to_store(),
        metadata=body.metadata,
    )
    return ok(offered_connection_view(created))


@router.post(
    ONE + "/import",
    summary="Import connection (API key only)",
    operation_id="connectionsImport",
    openapi_extra=_body(ImportConnectionRequest, required=True),
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422),
)
async def import_existing_connection(request: Request, unified_api: str, service_id: str) -> Response:
    """Bring a connection over from another system: its settings and (OAuth) tokens are stored
    sealed and it ends ``callable`` (``authorized`` while a required setting is missing). A
    token without ``issued_at`` and ``expires_in`` is refreshed on the next credentials read.
    Nothing secret is answered: sensitive settings come back masked, tokens not at all."""
    caller = await authenticate_connections_caller(request)
    caller.require_backend("import a connection")
    body = await read_json_body(request, ImportConnectionRequest, required=True)
    imported = await import_connection(
        runtime_of(request),
        caller,
        unified_api,
        service_id,
        settings=body.settings,
        metadata=body.metadata,
        tokens=body.credentials.tokens() if body.credentials is not None else None,
    )
    return ok(offered_connection_view(imported))


@router.post(
    ONE + "/token",
    summary="Authorize Access Token",
    operation_id="connectionsToken",
    openapi_extra=_body(EmptyBody, required=False),
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422, 502, 504),
)
async def request_access_token(request: Request, unified_api: str, service_id: str) -> Response:
    """For integrations whose token comes from stored credentials (``oauth_grant_type``
    client_credentials or password): ask the provider for an access token and store it sealed.
    The token is not in the answer; the connection is. The body is empty or ``{}``."""
    caller = await authenticate_connections_caller(request)
    await read_json_body(request, EmptyBody, required=False)
    updated = await exchange_stored_credentials(runtime_of(request), caller, unified_api, service_id)
    return ok(offered_connection_view(updated))
