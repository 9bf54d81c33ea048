"""Errors on Hosted Vault paths become a friendly page, never JSON or a stack trace: which
kind of session problem it was (expired, revoked, invalid, missing) and the way back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from vaultline.errors import Forbidden, NotFound, VaultError
from vaultline.hosted.popup_result import opener_origin
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.vault_session import ErrorContext
from vaultline.strict_url import safe_link
from vaultline.tokens.session_tokens import SessionTokenError

# The OAuth routes are pages a consumer sees too (hosted/oauth_pages.py).
HOSTED_PREFIXES = (
    "/session/",
    "/link/",
    "/hosted/",
    "/hosted-static/",
    "/vault/authorize/",
    "/vault/callback",
    "/vault/revoke/",
    "/vault/oauth/disconnect/",
    "/vault/oauth-popup/",
)

_SESSION_PAGES = {
    "expired": (
        "This session has expired",
        "For your security, vault links only work for a limited time. "
        "Go back to the application and open the vault again.",
    ),
    "revoked": (
        "This session has been ended",
        "The application ended this session. Go back to the application and open the vault again.",
    ),
    "not_yet_valid": (
        "This link is not valid yet",
        "This vault link is not active yet. Check your computer's clock, or open the vault again from the application.",
    ),
    "missing": (
        "This page needs an open session",
        "This vault page was opened without its session (it may have been opened in another browser, "
        "or its link was already used). Go back to the application and open the vault again.",
    ),
    "invalid": (
        "This link is not valid",
        "The vault link is incomplete or was changed. Go back to the application and open the vault again.",
    ),
}


def is_hosted_path(path: str) -> bool:
    return path.startswith(HOSTED_PREFIXES)


def renders_error_pages(method: str, path: str) -> bool:
    """Whether an error on this request is a page for a person (else the JSON error shape). A
    provider's server posting to the disconnect URL is answered in JSON, its browser with a page."""
    if method == "POST" and path.startswith("/vault/oauth/disconnect/"):
        return False
    return is_hosted_path(path)


def _describe(error: VaultError) -> tuple[str, str, str]:
    if isinstance(error, SessionTokenError):
        reason = error.reason if error.reason in _SESSION_PAGES else "invalid"
        title, message = _SESSION_PAGES[reason]
        return reason, title, message
    if isinstance(error, Forbidden):
        return "forbidden", "This is not allowed", error.message
    if isinstance(error, NotFound):
        return "not_found", "Page not found", "This page does not exist. Go back and try again."
    if error.status_code < 500:
        return "bad_request", "Something is not right", error.message
    if error.status_code in (502, 504):  # an OAuth provider failed us; its message is written for people
        return "provider_error", "Could not finish signing in", error.message
    return "server_error", "Something went wrong", "Something went wrong on our side. Please try again in a moment."


def render_error_page(request: Request, error: VaultError) -> Response:
    context: ErrorContext = getattr(request.state, "hosted_error", None) or ErrorContext()
    reason, title, message = _describe(error)
    event = {"type": "session_expired" if reason == "expired" else "error", "reason": reason}
    response = renderer_of(request).render(
        "error.html",
        status_code=error.status_code,
        embed_origins=context.embed_origins,
        theme={"primary_color": context.primary_color} if context.primary_color else None,
        title=title,
        message=message,
        reason=reason,
        # Tokens minted before today's URL rules may still carry an ambiguous address.
        redirect_uri=safe_link(context.redirect_uri),
        vault_name=context.vault_name,
        embed_origin=context.embed_origin,
        event=event if context.embed_origin else None,
        opener_origin=opener_origin(request) if context.popup else None,
        request_id=request.scope.get("state", {}).get("request_id"),
    )
    for name, value in error.headers.items():
        response.headers.setdefault(name, value)
    return response
