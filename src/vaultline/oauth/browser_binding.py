"""Binds an OAuth authorization to the browser that holds the Hosted Vault session behind it,
so a link or a provider answer sent to someone else is refused (account-linking CSRF, RFC 6749
§10.12).

The page that renders an Authorize link sets ``vaultline_oauth_binding``; the link's signed
``state`` (and then the provider state) carries a SHA-256 digest of it; ``/vault/authorize`` and
``/vault/callback`` compare the cookie with that digest before doing anything.

The secret is derived from the session cookie (a high-entropy bearer secret only that browser
holds) rather than drawn at random per link: every page and tab of one session then sets the same
value, so opening a second integration, or reloading while the provider's page is open, never
invalidates a link already on screen. Whoever lacks the session cookie cannot compute it. For the
same reason the callback does not clear it: a random value would be worth clearing, this one would
only break the session's other tabs (and turn a same-browser replay's "already completed" into a
false "another browser"); it expires 20 minutes after the last page that set it.

The cookie is HttpOnly and exists only on the paths that read it (one copy per path, never
sent with API calls). It is ``SameSite=Lax``: the callback is a top-level GET navigation from the
provider's site, which Lax cookies accompany (Strict ones would not). Inside Vault JS's cross-site
iframe on https it is ``SameSite=None; Secure; Partitioned``, like the session cookie, so it lives
in the same cookie jar as the session it stands for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from vaultline.errors import Forbidden
from vaultline.oauth.state import STATE_TTL_SECONDS

BINDING_COOKIE = "vaultline_oauth_binding"
# Vault JS's sign-in popup is a top-level window that may not see the iframe's partitioned
# cookies: its first request sets its own binding, random per popup, first-party, for the callback.
POPUP_BINDING_COOKIE = "vaultline_oauth_popup"
POPUP_BINDING_PATH = "/vault/callback"
BINDING_PATHS = ("/vault/authorize", "/vault/callback", "/vault/revoke")
# A link lives 10 minutes, then its provider state 10 more: the cookie must outlive both.
BINDING_MAX_AGE = 2 * STATE_TTL_SECONDS
_DERIVATION_LABEL = b"vaultline oauth browser binding\x00"


class OAuthBrowserMismatch(Forbidden):
    """The link or the provider's answer belongs to a Hosted Vault session this browser does not hold."""

    type_name = "OAuthBrowserMismatchError"
    default_message = (
        "This sign-in was started in another browser, so it cannot be finished here. If someone sent you "
        "this link, do not continue. To connect your own account, open the vault from your application "
        "and choose Authorize there."
    )


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def browser_binding(session_cookie: str) -> str:
    """The binding secret of the browser holding this session cookie (the cookie's value)."""
    return _b64(hashlib.sha256(_DERIVATION_LABEL + session_cookie.encode()).digest())


def binding_digest(binding: str) -> str:
    """What a signed state carries: it proves nothing to whoever reads the state."""
    return _b64(hashlib.sha256(binding.encode()).digest())


def new_popup_binding() -> str:
    """A popup's binding secret: random (it cannot be derived from a session cookie the popup
    may not see), 256 bits, set by the popup's first response and compared like the derived one."""
    return secrets.token_urlsafe(32)


def check_browser_binding(expected_digest: str, *cookies: str | None) -> None:
    """Passes when one of this browser's binding cookies (the page's, or a popup's) is the one
    the state was minted for: each is a secret only this browser holds."""
    expected = expected_digest.encode()
    matches = [hmac.compare_digest(binding_digest(cookie).encode(), expected) for cookie in cookies if cookie]
    if not any(matches):
        raise OAuthBrowserMismatch(detail="the binding cookie is missing or belongs to another session")
