"""``POST /vault/oauth/disconnect/{jwt}/{service_id}`` (Apideck's ``vaultOAuthDisconnectCallback``):
a provider's server telling us that a user disconnected the app there. The JWT is ours (minted by
``vaultline integrations disconnect-url``) and says which application, and optionally which
consumer, it stands for; the provider-specific body is accepted whatever its fields, since
Vaultline keeps no provider-side account ids to match it against. Same effect as the browser
``GET`` (hosted/provider_disconnect_pages.py), answered in JSON for a server."""

from __future__ import annotations

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict
from starlette.requests import Request

from vaultline.api.body import read_json_body
from vaultline.api.openapi_docs import documented_errors
from vaultline.oauth.provider_disconnect import handle_provider_disconnect
from vaultline.responses import PRIVATE, JSONResponse
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/oauth", tags=["OAuth"])


class ProviderDisconnectNotice(BaseModel):
    """The provider's own body: any JSON object (an array or a scalar is a 400)."""

    model_config = ConfigDict(extra="allow")


class DisconnectAcknowledged(BaseModel):
    status: str


@router.post(
    "/disconnect/{jwt}/{service_id}",
    summary="Provider disconnect server callback",
    operation_id="vaultOAuthDisconnectCallback",
    response_model=DisconnectAcknowledged,
    responses=documented_errors(400, 401, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        }
    },
)
async def provider_disconnect_callback(
    request: Request,
    jwt: str = Path(max_length=4096),
    service_id: str = Path(max_length=64),
) -> JSONResponse:
    """``{"status": "disconnected"}`` when the link names a consumer whose tokens were cleared
    (with ``vault.connection.revoked``), else ``{"status": "acknowledged"}``."""
    await read_json_body(request, ProviderDisconnectNotice, required=True)
    notice = await handle_provider_disconnect(runtime_of(request), jwt, service_id)
    return JSONResponse({"status": "disconnected" if notice.cleared else "acknowledged"}, headers=PRIVATE)
