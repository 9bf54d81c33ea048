"""``GET /vault/revoke/{service_id}/{application_id}`` (Apideck's ``connectionsRevoke``): the
page a consumer's browser follows to disconnect an OAuth connection, then sent back with a
301 as the spec says (never cached: the link is single-purpose and short-lived)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vaultline.consumer_logs.subject import note_caller, note_consumer
from vaultline.oauth.browser_binding import BINDING_COOKIE
from vaultline.oauth.revoke_link import revoke_for_link, verified_revoke_link
from vaultline.runtime import runtime_of
from vaultline.strict_url import safe_link

router = APIRouter(prefix="/vault", tags=["OAuth"])
_REDIRECT_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
# A page a person's browser follows: failures are friendly HTML pages (hosted/error_pages.py).
_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    for code, description in (
        (400, "A missing, forged or expired state"),
        (401, "The session behind the link has ended"),
        (403, "The session may not disconnect, or this browser does not hold the session"),
        (404, "The application offers no such integration, or the consumer has no connection to it"),
        (422, "The connection is not an OAuth connection, or is not connected"),
    )
}


@router.get(
    "/revoke/{service_id}/{application_id}",
    summary="Revoke connection",
    operation_id="connectionsRevoke",
    status_code=301,
    responses=_PAGE_ERRORS,
)
async def revoke(
    request: Request,
    service_id: str,
    application_id: str,
    state: str = Query(max_length=4096, description="The signed link of a Hosted Vault page"),
    redirect_uri: str | None = Query(default=None, max_length=2048, description="Where to go back afterwards"),
) -> Response:
    """Revoke the consumer's OAuth tokens at the provider (RFC 7009), clear them, emit
    ``vault.connection.revoked`` and send the consumer back to ``redirect_uri`` (an address the
    application allows; the connection page of the Hosted Vault when absent). The session must
    allow ``disconnect``."""
    runtime = runtime_of(request)
    verified = await verified_revoke_link(
        runtime,
        link=state,
        service_id=service_id,
        application_id=application_id,
        binding_cookie=request.cookies.get(BINDING_COOKIE),
    )
    # In the consumer's logs like the session's API calls, whatever the outcome from here on.
    note_caller(request, application_id=verified.application_id, caller="session")
    note_consumer(request, verified.consumer_id)
    target = await revoke_for_link(runtime, verified, redirect_uri)
    return RedirectResponse(safe_link(target) or "/", status_code=301, headers=_REDIRECT_HEADERS)
