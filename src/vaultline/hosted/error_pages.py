"""Errors on Hosted Vault paths become a friendly page, never JSON or a stack trace: which
kind of session problem it was (expired, revoked, invalid, missing) and the way back, in the
reader's language. A message raised below the pages is in English (it is the API's too): it is
shown when the catalog translates it, else a general explanation of its kind that is."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from vaultline.errors import Forbidden, NotFound, VaultError
from vaultline.hosted.popup_result import opener_origin
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.vault_session import ErrorContext, page_locale
from vaultline.i18n.markers import N_
from vaultline.i18n.translations import TranslatedText, Translator
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
        N_("This session has expired"),
        N_(
            "For your security, vault links only work for a limited time. "
            "Go back to the application and open the vault again."
        ),
    ),
    "revoked": (
        N_("This session has been ended"),
        N_("The application ended this session. Go back to the application and open the vault again."),
    ),
    "not_yet_valid": (
        N_("This link is not valid yet"),
        N_(
            "This vault link is not active yet. Check your computer's clock, "
            "or open the vault again from the application."
        ),
    ),
    "missing": (
        N_("This page needs an open session"),
        N_(
            "This vault page was opened without its session (it may have been opened in another browser, "
            "or its link was already used). Go back to the application and open the vault again."
        ),
    ),
    "invalid": (
        N_("This link is not valid"),
        N_("The vault link is incomplete or was changed. Go back to the application and open the vault again."),
    ),
}
# What a page says of an error whose own message the catalog does not translate.
_GENERAL_MESSAGES = {
    "forbidden": N_("This is not allowed in this session. Go back to the application and open the vault again."),
    "bad_request": N_("This could not be done. Go back and try again."),
    "provider_error": N_("The provider did not complete the sign-in. Please try again in a moment."),
}


def is_hosted_path(path: str) -> bool:
    return path.startswith(HOSTED_PREFIXES)


def renders_error_pages(method: str, path: str) -> bool:
    """Whether an error on this request is a page for a person (else the JSON error shape). A
    provider's server posting to the disconnect URL is answered in JSON, its browser with a page."""
    if method == "POST" and path.startswith("/vault/oauth/disconnect/"):
        return False
    return is_hosted_path(path)


def _own_message(t: Translator, reason: str, message: str) -> str:
    if isinstance(message, TranslatedText):
        return message
    return t.gettext(message) if t.has(message) else t.gettext(_GENERAL_MESSAGES[reason])


def _describe(error: VaultError, t: Translator) -> tuple[str, str, str]:
    if isinstance(error, SessionTokenError):
        reason = error.reason if error.reason in _SESSION_PAGES else "invalid"
        title, message = _SESSION_PAGES[reason]
        return reason, t.gettext(title), t.gettext(message)
    if isinstance(error, Forbidden):
        return "forbidden", t.gettext("This is not allowed"), _own_message(t, "forbidden", error.message)
    if isinstance(error, NotFound):
        return "not_found", t.gettext("Page not found"), t.gettext("This page does not exist. Go back and try again.")
    if error.status_code < 500:
        return "bad_request", t.gettext("Something is not right"), _own_message(t, "bad_request", error.message)
    if error.status_code in (502, 504):  # an OAuth provider failed us; its message is written for people
        message = _own_message(t, "provider_error", error.message)
        return "provider_error", t.gettext("Could not finish signing in"), message
    message = t.gettext("Something went wrong on our side. Please try again in a moment.")
    return "server_error", t.gettext("Something went wrong"), message


def render_error_page(request: Request, error: VaultError) -> Response:
    context: ErrorContext = getattr(request.state, "hosted_error", None) or ErrorContext()
    renderer = renderer_of(request)
    locale = page_locale(request)
    reason, title, message = _describe(error, renderer.translator(locale))
    event = {"type": "session_expired" if reason == "expired" else "error", "reason": reason}
    response = renderer.render(
        "error.html",
        locale=locale,
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
