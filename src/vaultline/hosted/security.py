"""The Hosted Vault's browser-facing safety: response headers (CSP with ``frame-ancestors`` from
the application's embedding origins), the CSRF check on state-changing requests, and cookies."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie

from starlette.requests import Request
from starlette.responses import Response

from vaultline.errors import Forbidden
from vaultline.oauth.browser_binding import BINDING_COOKIE, BINDING_MAX_AGE, BINDING_PATHS
from vaultline.store.applications import InvalidOrigin, normalize_origin

SESSION_COOKIE = "vaultline_session"
VIEW_COOKIE = "vaultline_view"
FLASH_COOKIE = "vaultline_flash"
# Kept a while past the session's expiry so the next action says "expired", not "no session".
COOKIE_GRACE_SECONDS = 3600


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def frame_ancestors(embed_origins: Iterable[str]) -> str:
    origins = " ".join(embed_origins)
    return origins or "'none'"


def page_headers(*, nonce: str | None, embed_origins: Iterable[str] = ()) -> dict[str, str]:
    """Headers for every Hosted Vault HTML response. No inline script is ever allowed; the one
    inline ``<style>`` (the theme's custom properties) carries the per-response nonce."""
    ancestors = frame_ancestors(embed_origins)
    style_src = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    csp = (
        "default-src 'none'; script-src 'self'; "
        f"style-src {style_src}; img-src 'self' https: http: data:; connect-src 'self'; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
    headers = {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers that predate frame-ancestors
    return headers


def own_origins(request: Request, public_url: str) -> set[str]:
    origins = {normalize_origin(public_url)}
    host = request.headers.get("host")
    if host:
        try:
            origins.add(normalize_origin(f"{request.url.scheme}://{host}"))
        except InvalidOrigin:
            pass
    return origins


def check_same_origin(request: Request, public_url: str) -> None:
    """CSRF: a state-changing request must come from one of our own pages. Modern browsers say
    so in ``Sec-Fetch-Site``; older ones send ``Origin``. A request with neither is refused."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        if fetch_site == "same-origin":
            return
        raise Forbidden("This form was sent from another site", detail={"sec-fetch-site": fetch_site})
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        raise Forbidden("This form was sent without an Origin header")
    try:
        normalized = normalize_origin(origin)
    except InvalidOrigin:
        raise Forbidden("This form was sent with an invalid Origin header") from None
    if normalized not in own_origins(request, public_url):
        raise Forbidden("This form was sent from another site", detail={"origin": origin})


def cookie_path(session_id: str) -> str:
    return f"/hosted/{session_id}"


def set_scoped_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    session_id: str,
    max_age: int,
    secure: bool,
    cross_site: bool,
) -> None:
    """An HttpOnly cookie visible only under this session's pages (see ``set_page_cookie``)."""
    set_page_cookie(
        response, name, value, path=cookie_path(session_id), max_age=max_age, secure=secure, cross_site=cross_site
    )


def set_page_cookie(
    response: Response, name: str, value: str, *, path: str, max_age: int, secure: bool, cross_site: bool
) -> None:
    """An HttpOnly cookie for the Hosted Vault's pages. Inside a cross-site iframe (Vault JS on
    https) a Lax cookie is never sent, so embedded pages use ``SameSite=None; Secure; Partitioned``
    (CHIPS: kept in a jar of the embedding site only). ``Partitioned`` is written here because
    Starlette's ``set_cookie`` refuses it before Python 3.14 (a ValueError: a 500 for every
    embedded session on https)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    same_site = "none" if cross_site and secure else "lax"
    morsel = cookie[name]
    morsel["max-age"], morsel["path"], morsel["samesite"] = str(max_age), path, same_site
    morsel["httponly"] = True
    if secure:
        morsel["secure"] = True
    header = cookie.output(header="").strip()
    if cross_site and secure:
        header += "; Partitioned"
    response.headers.append("set-cookie", header)


def clear_cookie(response: Response, name: str, *, session_id: str) -> None:
    response.delete_cookie(name, path=cookie_path(session_id), httponly=True)


def set_oauth_binding_cookie(response: Response, binding: str, *, secure: bool, cross_site: bool) -> None:
    """The OAuth browser binding (oauth/browser_binding.py), on the paths that read it."""
    for path in BINDING_PATHS:
        set_page_cookie(
            response, BINDING_COOKIE, binding, path=path, max_age=BINDING_MAX_AGE, secure=secure, cross_site=cross_site
        )
