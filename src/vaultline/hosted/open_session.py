"""``GET /session/{token}``: the link a consumer follows. The token is verified and swapped for a
handle (store/hosted_handles.py) in an HttpOnly cookie scoped to this session's pages, and the
browser is sent to a clean URL, so the token leaves the address bar, the history and every
Referer. The cookie never carries the token itself: a token with a long theme and redirect_uri
is larger than the 4 KB a browser keeps of a cookie, and would be dropped silently."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vaultline.auth_throttle import throttle_of
from vaultline.client_address import client_address
from vaultline.errors import Forbidden, NotFound
from vaultline.hosted.security import (
    COOKIE_GRACE_SECONDS,
    FLASH_COOKIE,
    SESSION_COOKIE,
    VIEW_COOKIE,
    clear_cookie,
    page_headers,
    set_scoped_cookie,
)
from vaultline.hosted.vault_session import ErrorContext, HostedView, embed_origin_for, error_context_for
from vaultline.i18n.locales import choose_locale
from vaultline.runtime import Runtime, runtime_of
from vaultline.sessions.throttled import verify_session_throttled
from vaultline.sessions.verification import VerifiedSession
from vaultline.store.applications import get_application
from vaultline.store.hosted_handles import issue_hosted_handle
from vaultline.tokens.session_tokens import SessionTokenError

router = APIRouter(include_in_schema=False)

# Apideck's initialView names (and ours) → where a deep link lands.
_VIEWS = {"suggestions": "/suggestions", "logs": "/logs", "integrations": "/integrations"}
_SECTIONS = {"settings": "#settings", "configurable-resources": "#resources", "resources": "#resources"}


def _focus(
    runtime: Runtime, session: VerifiedSession, service_id: str | None, unified_api: str | None
) -> tuple[str, str] | None:
    if not service_id:
        return None
    definition = runtime.catalog.get(service_id)
    if definition is None or (unified_api and definition.unified_api.value != unified_api):
        return None
    allowed = session.settings.get("unified_apis") or []
    if allowed and definition.unified_api.value not in allowed:
        return None
    return definition.unified_api.value, definition.service_id


def _claimed_object(session: VerifiedSession, name: str) -> dict[str, Any]:
    value = session.claims.get(name)
    return value if isinstance(value, dict) else {}


@router.get("/session/{token}")
async def open_session(
    request: Request,
    token: str,
    service_id: str | None = Query(default=None, max_length=64),
    unified_api: str | None = Query(default=None, max_length=64),
    view: str | None = Query(default=None, max_length=64),
    embedded: str | None = Query(default=None, max_length=8),
    origin: str | None = Query(default=None, max_length=2048),
    locale: str | None = Query(default=None, max_length=35),
) -> Response:
    """Query: ``service_id`` (and optionally ``unified_api``) opens one integration directly;
    ``view`` opens suggestions/logs or a connection's settings/resources section; Vault JS adds
    ``embedded=1&origin=<its page's origin>``, which must be one of the application's embedding
    origins; ``locale`` (Vault JS's ``locale`` option) picks the language, else the browser's
    ``Accept-Language`` does. The language is kept in the view cookie for the session's pages."""
    runtime = runtime_of(request)
    # Before anything can fail: the error page speaks it too.
    request.state.locale = choose_locale(locale, accept_language=request.headers.get("accept-language"))
    wants_embed = embedded in ("1", "true")
    try:
        session = await verify_session_throttled(runtime, throttle_of(request), token, address=client_address(request))
    except SessionTokenError:
        request.state.hosted_error = await error_context_for(
            runtime, token, embed_origin=origin if wants_embed else None
        )
        raise
    embed_to = origin if wants_embed else None
    return await enter_vault(
        request, session, service_id=service_id, unified_api=unified_api, view=view, embed_to=embed_to
    )


async def enter_vault(
    request: Request,
    session: VerifiedSession,
    *,
    service_id: str | None = None,
    unified_api: str | None = None,
    view: str | None = None,
    embed_to: str | None = None,
) -> RedirectResponse:
    """Swap a verified session for a handle cookie and send the browser to its first page: what
    a session link does, and what a Vault link does with the session it minted (link_pages.py).
    ``embed_to``: the origin of the page embedding the vault (Vault JS), None when not embedded.
    The session's language is the caller's choice (``request.state.locale``), else the browser's."""
    runtime = runtime_of(request)
    locale = getattr(request.state, "locale", None) or choose_locale(
        accept_language=request.headers.get("accept-language")
    )
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=session.application_id)
    if application is None:
        raise NotFound("This application no longer exists")
    embed_origin = embed_origin_for(application, embed_to) if embed_to is not None else None
    if embed_to is not None and embed_origin is None:
        request.state.hosted_error = ErrorContext(embed_origins=application.embed_origins)
        raise Forbidden("This website is not allowed to open the vault", detail={"origin": embed_to})
    focus = _focus(runtime, session, service_id, unified_api)
    base = f"/hosted/{session.record.id}"
    if focus is not None:
        location = f"{base}/integrations/{focus[0]}/{focus[1]}{_SECTIONS.get(view or '', '')}"
    else:
        location = base + _VIEWS.get(view or "", "/integrations")
    async with runtime.engine.begin() as connection:
        handle = await issue_hosted_handle(
            connection,
            session_id=session.record.id,
            theme=_claimed_object(session, "theme"),
            consumer_metadata=_claimed_object(session, "consumer_metadata"),
        )
    headers = page_headers(nonce=None, embed_origins=application.embed_origins)
    response = RedirectResponse(location, status_code=303, headers=headers)
    secure = runtime.settings.serves_https
    max_age = max(int(session.claims["exp"]) - int(time.time()), 0) + COOKIE_GRACE_SECONDS
    view_cookie = HostedView(embed_origin, focus, locale).encode()
    for name, value in ((SESSION_COOKIE, handle.cookie_value), (VIEW_COOKIE, view_cookie)):
        set_scoped_cookie(
            response,
            name,
            value,
            session_id=session.record.id,
            max_age=max_age,
            secure=secure,
            cross_site=embed_origin is not None,
        )
    clear_cookie(response, FLASH_COOKIE, session_id=session.record.id)
    return response
