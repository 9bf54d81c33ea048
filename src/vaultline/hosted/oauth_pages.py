"""Apideck's OAuth routes: ``GET /vault/authorize/{service_id}/{application_id}`` sends the
consumer to the provider; ``GET /vault/callback`` brings them back; ``GET /vault/oauth-popup/start``
is the first request of Vault JS's sign-in popup (oauth/popups.py). All are pages a person
sees, so every failure renders the Hosted Vault's friendly error page (see error_pages)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vaultline.errors import VaultError
from vaultline.hosted.page_chrome import with_query
from vaultline.hosted.popup_result import render_popup_result
from vaultline.hosted.security import FLASH_COOKIE, set_page_cookie, set_scoped_cookie
from vaultline.hosted.vault_session import ErrorContext
from vaultline.oauth.authorization import begin_authorization, hosted_prefix
from vaultline.oauth.browser_binding import BINDING_COOKIE, BINDING_MAX_AGE, POPUP_BINDING_COOKIE, POPUP_BINDING_PATH
from vaultline.oauth.callback import CallbackResult, complete_authorization, signed_state, verified_state
from vaultline.oauth.popups import record_popup_result, start_popup_authorization
from vaultline.runtime import Runtime, runtime_of
from vaultline.strict_url import safe_link

router = APIRouter(prefix="/vault", tags=["OAuth"])
# The code and state must not leak to the next page through Referer, nor be cached.
_REDIRECT_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


# These routes are pages a person's browser follows, not API calls: failures are friendly
# HTML pages (hosted/error_pages.py), which the document must say for clients and fuzzers.
_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    for code, description in (
        (400, "A missing, forged, expired or replayed state, or a refused consent"),
        (401, "The session behind the link has ended"),
        (403, "The session may not connect this integration, or this browser does not hold the session"),
        (404, "The application offers no such integration"),
        (422, "The integration is not ready for OAuth (no client id/secret)"),
        (502, "The provider answered with an error"),
        (504, "The provider did not answer"),
    )
}


@router.get(
    "/authorize/{service_id}/{application_id}",
    summary="Start an OAuth authorization",
    status_code=302,
    responses=_PAGE_ERRORS,
)
async def authorize(
    request: Request,
    service_id: str,
    application_id: str,
    state: str = Query(max_length=4096, description="The signed link of a Hosted Vault page"),
    redirect_uri: str | None = Query(default=None, max_length=2048),
    nonce: str | None = Query(
        default=None,
        min_length=1,
        max_length=256,
        description="Your single-use value: the connection then waits for POST …/confirm (docs/oauth.md)",
    ),
) -> Response:
    runtime = runtime_of(request)
    _, url = await begin_authorization(
        runtime,
        link=state,
        service_id=service_id,
        application_id=application_id,
        redirect_uri=redirect_uri,
        binding_cookie=request.cookies.get(BINDING_COOKIE),
        nonce=nonce,
    )
    return RedirectResponse(url, status_code=302, headers=_REDIRECT_HEADERS)


@router.get("/callback", summary="The provider's return after consent", status_code=303, responses=_PAGE_ERRORS)
async def callback(
    request: Request,
    state: str | None = Query(default=None, max_length=4096),
    code: str | None = Query(default=None, max_length=4096),
    error: str | None = Query(default=None, max_length=200),
) -> Response:
    runtime = runtime_of(request)
    popup_cookie = request.cookies.get(POPUP_BINDING_COOKIE)
    # In Vault JS's popup, an error page also tells the modal (which shows it), then closes.
    request.state.hosted_error = ErrorContext(popup=popup_cookie is not None)
    signed, _ = signed_state(runtime, state)
    if signed.locale is not None:
        request.state.locale = signed.locale  # the pages below speak the Hosted Vault page's language
    in_popup = signed.popup is not None
    request.state.hosted_error = ErrorContext(redirect_uri=signed.redirect_uri, popup=in_popup)
    # Not recorded on the popup when refused: this may be someone else's browser, while the
    # consumer's own popup can still finish with the same (unspent) state.
    verified = verified_state(
        runtime, state, binding_cookie=request.cookies.get(BINDING_COOKIE), popup_cookie=popup_cookie
    )
    try:
        result = await complete_authorization(runtime, verified, code=code, error=error)
    except VaultError as exc:
        await record_popup_result(runtime, verified, "failed", message=exc.message)
        raise
    if in_popup:
        await record_popup_result(runtime, verified, result.outcome)
        return render_popup_result(request, runtime, result)
    return _back(runtime, result)


@router.get("/oauth-popup/start", summary="Vault JS's sign-in popup: its first request", status_code=302,
            responses=_PAGE_ERRORS, include_in_schema=False)  # fmt: skip
async def start_popup(
    request: Request,
    token: str = Query(max_length=128, description="The single-use start token the embedded vault was given"),
) -> Response:
    """Trade the start token for this popup's own binding cookie (first-party: the popup is a
    top-level window) and go on to the provider."""
    runtime = runtime_of(request)
    request.state.hosted_error = ErrorContext(popup=True)
    started = await start_popup_authorization(runtime, token)
    response = RedirectResponse(started.provider_url, status_code=302, headers=_REDIRECT_HEADERS)
    set_page_cookie(
        response,
        POPUP_BINDING_COOKIE,
        started.binding,
        path=POPUP_BINDING_PATH,
        max_age=BINDING_MAX_AGE,
        secure=runtime.settings.serves_https,
        cross_site=False,
    )
    return response


def with_confirmation(target: str, result: CallbackResult) -> str:
    """Apideck's two-step flow: ``#nonce=…&confirm_token=…&service_id=…`` in the fragment, which
    browsers never send to a server (nor in a Referer), for the application's page to read."""
    fragment = urlencode(
        {
            "nonce": result.state.nonce or "",
            "confirm_token": result.confirm_token,
            "service_id": result.state.service_id,
        }
    )
    return target.split("#", 1)[0] + "#" + fragment


def _back(runtime: Runtime, result: CallbackResult) -> Response:
    state = result.state
    hosted = hosted_prefix(runtime, state.session_id)
    # Checked when the flow started (allowed_return); checked again for states minted before.
    target = safe_link(state.redirect_uri) or f"{hosted}integrations/{state.unified_api}/{state.service_id}"
    if result.confirm_token is not None:
        target = with_confirmation(target, result)
    if target.startswith(hosted):
        response = RedirectResponse(target, status_code=303, headers=_REDIRECT_HEADERS)
        kind = "oauth_denied" if result.outcome == "denied" else result.outcome
        set_scoped_cookie(
            response,
            FLASH_COOKIE,
            f"{kind}:{state.unified_api}/{state.service_id}",
            session_id=state.session_id,
            max_age=120,
            secure=runtime.settings.serves_https,
            cross_site=False,
        )
        return response
    if result.outcome == "denied":
        target = with_query(target, error=result.error or "access_denied", service_id=state.service_id)
    else:
        target = with_query(target, authorizedConnection=state.service_id)
    return RedirectResponse(target, status_code=303, headers=_REDIRECT_HEADERS)
