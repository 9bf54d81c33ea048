"""The embedded vault's side of an OAuth sign-in in a popup (oauth/popups.py), both on the
Hosted Vault session (its cookie) and answered in JSON for app.js:

- ``POST …/integrations/{api}/{service}/oauth-popup``: a new popup's single-use start URL (the
  popup cannot use the iframe's session cookie, which may be partitioned) and its status URL;
- ``GET …/oauth-popups/{id}``: ``pending`` until the callback records the outcome. The modal
  reads it when the popup reports back, and polls it when the provider severed ``window.opener``.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from vaultline.connections.offered import find_connection
from vaultline.errors import NotFound, Unprocessable
from vaultline.hosted.flash import Flash, set_flash
from vaultline.hosted.security import check_same_origin
from vaultline.hosted.vault_session import open_vault
from vaultline.runtime import runtime_of
from vaultline.store.oauth_popups import POPUP_TTL_MS, create_oauth_popup, get_oauth_popup, mark_popup_reported

router = APIRouter(prefix="/hosted/{session_id}", include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_POPUP_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Outcomes the connection page announces itself (its notice, and Vault JS's event) once reloaded.
_FLASH_KINDS = {"connected": "connected", "reauthorized": "reauthorized", "denied": "oauth_denied"}


@router.post("/integrations/{unified_api}/{service_id}/oauth-popup")
async def open_popup(request: Request, session_id: str, unified_api: str, service_id: str) -> JSONResponse:
    runtime = runtime_of(request)
    check_same_origin(request, runtime.settings.public_url)
    vault = await open_vault(request, runtime, session_id)
    item = await find_connection(runtime, vault.caller, unified_api, service_id)
    if item.definition.grant_type != "authorization_code" or item.needs_oauth_client:
        raise Unprocessable(f"{item.definition.name} is not connected by signing in here")
    async with runtime.engine.begin() as connection:
        popup, token = await create_oauth_popup(
            connection, session_id=vault.session_id, unified_api=item.unified_api, service_id=item.service_id
        )
    body = {
        "start_url": f"{runtime.settings.public_url}/vault/oauth-popup/start?{urlencode({'token': token})}",
        "status_url": f"{vault.base_path}/oauth-popups/{popup.id}",
        "expires_in": POPUP_TTL_MS // 1000,
    }
    return JSONResponse(body, headers=_NO_STORE)


@router.get("/oauth-popups/{popup_id}")
async def popup_status(request: Request, session_id: str, popup_id: str) -> JSONResponse:
    runtime = runtime_of(request)
    vault = await open_vault(request, runtime, session_id)
    if not _POPUP_ID.fullmatch(popup_id):
        raise NotFound("There is no such sign-in")
    async with runtime.engine.connect() as connection:
        popup = await get_oauth_popup(connection, popup_id=popup_id, session_id=vault.session_id)
    if popup is None:
        raise NotFound("There is no such sign-in")
    body: dict[str, str] = {"status": popup.status}
    if popup.outcome == "failed" and popup.message:
        body["message"] = popup.message
    response = JSONResponse(body, headers=_NO_STORE)
    kind = _FLASH_KINDS.get(popup.outcome or "")
    if kind is not None:
        async with runtime.engine.begin() as connection:
            first_report = await mark_popup_reported(connection, popup_id=popup.id)
        if first_report:  # the reloaded page then says "Connected." and tells the embedding page
            set_flash(response, vault, Flash(kind, popup.unified_api, popup.service_id))
    return response
