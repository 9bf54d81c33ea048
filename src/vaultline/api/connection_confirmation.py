"""The backend's half of an OAuth flow: ``POST …/confirm`` (``connectionsConfirm``, the second
step of the CSRF-protected flow) and ``POST …/callback-state`` (``createCallbackState``, a
state for an OAuth flow the application runs itself). See docs/oauth.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_connections_caller
from vaultline.api.body import read_json_body
from vaultline.api.openapi_docs import documented_errors
from vaultline.fields import RequestModel
from vaultline.oauth.callback_states import create_callback_state
from vaultline.oauth.confirmation import confirm_connection
from vaultline.responses import ok
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/connections/{unified_api}/{service_id}", tags=["Connections"])


class ConfirmConnectionRequest(RequestModel):
    confirm_token: str = Field(min_length=1, max_length=512, description="From the callback's #fragment")


class CreateCallbackStateRequest(RequestModel):
    redirect_uri: str | None = Field(
        default=None, max_length=2048, description="Where the consumer goes after the callback (allowlisted origin)"
    )


def _body_doc(model: type[RequestModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@router.post(
    "/confirm",
    summary="Confirm Connection",
    operation_id="connectionsConfirm",
    openapi_extra=_body_doc(ConfirmConnectionRequest),
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422),
)
async def confirm(request: Request, unified_api: str, service_id: str) -> Response:
    """Confirm OAuth tokens obtained with a ``nonce``, with the ``confirm_token`` the callback put
    in the redirect's fragment (single-use, 30 minutes). The connection becomes callable."""
    caller = await authenticate_connections_caller(request)
    body = await read_json_body(request, ConfirmConnectionRequest, required=True)
    await confirm_connection(runtime_of(request), caller, unified_api, service_id, confirm_token=body.confirm_token)
    return ok({"confirmed": True})


@router.post(
    "/callback-state",
    summary="Create Callback State",
    operation_id="createCallbackState",
    openapi_extra=_body_doc(CreateCallbackStateRequest),
    responses=documented_errors(400, 401, 403, 404, 413, 415, 422),
)
async def callback_state(request: Request, unified_api: str, service_id: str) -> Response:
    """A single-use ``state`` (10 minutes) for an OAuth flow your backend runs itself: send it,
    with ``code_challenge`` (S256) and ``redirect_uri=<this server>/vault/callback``, to the
    provider's authorize URL. API key only."""
    caller = await authenticate_connections_caller(request)
    body = await read_json_body(request, CreateCallbackStateRequest, required=False)
    redirect_uri = body.redirect_uri if body is not None else None
    created = await create_callback_state(
        runtime_of(request), caller, unified_api, service_id, redirect_uri=redirect_uri
    )
    # Beyond the spec's ``state``: the PKCE challenge to send with it (the callback sends the verifier).
    return ok({"state": created.state, "code_challenge": created.code_challenge, "code_challenge_method": "S256"})
