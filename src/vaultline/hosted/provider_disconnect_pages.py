"""``GET /vault/oauth/disconnect/{jwt}/{service_id}`` (Apideck's ``vaultOAuthDisconnect``): where
a provider sends the browser after a user disconnected the app there. A static page confirms it;
errors are the Hosted Vault's friendly pages (the JWT is ours: oauth/provider_disconnect.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.vault_session import page_locale
from vaultline.oauth.provider_disconnect import handle_provider_disconnect
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/vault/oauth", tags=["OAuth"])

_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    for code, description in (
        (400, "The link was made for another integration"),
        (401, "The link is forged, expired, or signed by a retired key"),
    )
}


@router.get(
    "/disconnect/{jwt}/{service_id}",
    summary="Provider disconnect callback",
    operation_id="vaultOAuthDisconnect",
    responses={200: {"description": "Static HTML disconnected page", "content": {"text/html": {}}}, **_PAGE_ERRORS},
    response_class=Response,
)
async def provider_disconnect(
    request: Request,
    jwt: str = Path(max_length=4096),
    service_id: str = Path(max_length=64),
) -> Response:
    """Clear the tokens of the connection the link names (if it names one) and emit
    ``vault.connection.revoked``; the page says the integration is disconnected."""
    notice = await handle_provider_disconnect(runtime_of(request), jwt, service_id)
    definition = runtime_of(request).catalog.get(notice.service_id)
    name = definition.name if definition is not None else notice.service_id
    renderer, locale = renderer_of(request), page_locale(request)  # no session here: the browser's language
    t = renderer.translator(locale)
    response = renderer.render(
        "disconnected.html",
        locale=locale,
        title=t.gettext("%(name)s is disconnected", name=name),
        message=t.gettext("%(name)s was disconnected. You can close this page.", name=name),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
