"""``GET /link/{secret}``: a Vault link opened in a browser. A usable link mints a fresh session
and continues exactly as a session link does (open_session.enter_vault); a single-use link
first binds itself to this browser with a cookie. A refused link gets a page saying why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from vaultline.auth_throttle import throttle_of
from vaultline.client_address import client_address
from vaultline.hosted.open_session import enter_vault
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.security import set_page_cookie
from vaultline.i18n.locales import choose_locale
from vaultline.links.opening import REFUSAL_STATUS, LinkOutcome, binding_cookie_name, open_link
from vaultline.runtime import runtime_of
from vaultline.sessions.verification import verify_session

router = APIRouter(include_in_schema=False)

BINDING_COOKIE_PATH = "/link/"


def _theme(outcome: LinkOutcome) -> dict[str, Any]:
    theme = outcome.record.session_request.get("theme") if outcome.record else None
    return theme if isinstance(theme, dict) else {}


@router.get("/link/{secret}")
async def open_vault_link(request: Request, secret: str) -> Response:
    runtime = runtime_of(request)
    outcome = await open_link(
        runtime, throttle_of(request), secret, address=client_address(request), cookies=request.cookies
    )
    # The link's language (the one its email was written in), else the browser's: for the
    # refusal page, and kept by the session it opens (enter_vault) like a session link's.
    link_locale = outcome.record.locale if outcome.record is not None else None
    request.state.locale = choose_locale(link_locale, accept_language=request.headers.get("accept-language"))
    if outcome.refusal is not None or outcome.minted is None or outcome.record is None:
        reason = outcome.refusal or "invalid"
        theme = _theme(outcome)
        return renderer_of(request).render(
            "link_refused.html",
            locale=request.state.locale,
            status_code=REFUSAL_STATUS[reason],
            theme=theme,
            reason=reason,
            vault_name=theme.get("vault_name"),
            request_id=request.scope.get("state", {}).get("request_id"),
        )
    session = await verify_session(runtime, outcome.minted.token)
    response = await enter_vault(request, session)
    if outcome.binding is not None:
        seconds_left = max((outcome.record.expires_at - runtime.clock()) // 1000, 1)
        set_page_cookie(
            response,
            binding_cookie_name(outcome.record.id),
            outcome.binding,
            path=BINDING_COOKIE_PATH,
            max_age=seconds_left,
            secure=runtime.settings.serves_https,
            cross_site=False,
        )
    return response
