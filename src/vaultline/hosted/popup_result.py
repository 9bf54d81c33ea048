"""The page Vault JS's sign-in popup ends on: it tells the embedded vault that opened it (a
postMessage to that exact origin, our own) and closes itself. The outcome is also on the popup's
row (store/oauth_popups.py), which the vault reads when the provider severed ``window.opener``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.vault_session import page_locale
from vaultline.oauth.browser_binding import POPUP_BINDING_COOKIE, POPUP_BINDING_PATH
from vaultline.oauth.callback import CallbackResult
from vaultline.runtime import Runtime, runtime_of
from vaultline.store.applications import normalize_origin


def opener_origin(request: Request) -> str:
    """The popup's opener is the Hosted Vault's own iframe: messages go to our origin only."""
    return normalize_origin(runtime_of(request).settings.public_url)


def render_popup_result(request: Request, runtime: Runtime, result: CallbackResult) -> Response:
    state = result.state
    definition = runtime.catalog.find(unified_api=state.unified_api, service_id=state.service_id)
    response = renderer_of(request).render(
        "oauth_popup.html",
        locale=page_locale(request),  # the popup has no session cookie: the browser's language
        outcome=result.outcome,
        name=definition.name if definition else state.service_id,
        opener_origin=opener_origin(request),
    )
    # Random per popup and spent with the state: worth clearing (unlike the page's derived one).
    response.delete_cookie(POPUP_BINDING_COOKIE, path=POPUP_BINDING_PATH, httponly=True)
    return response
