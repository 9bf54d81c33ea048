"""The signed ``state`` of an OAuth authorization (EdDSA, the session key ring, ``kid`` header).

Two tokens, two audiences, so one can never stand for the other:

- the *link* (``vaultline-oauth-link``): minted by the Hosted Vault page for its session, it is
  the ``state`` query parameter of ``/vault/authorize/…``;
- the *provider state* (``vaultline-oauth-state``): minted by ``/vault/authorize`` with a fresh
  ``jti`` whose database row (PKCE verifier, ``used_at``) makes it single-use; the provider
  hands it back to ``/vault/callback``.

Both live 10 minutes and carry the application, consumer, integration, session, return URI and
``bnd``, the digest of the browser binding cookie set by the page that rendered the link
(oauth/browser_binding.py): neither is honoured in a browser without that cookie.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from vaultline.errors import BadRequest
from vaultline.i18n.locales import supported_locale
from vaultline.tokens.keyring import KeyRing
from vaultline.tokens.session_tokens import (
    SessionTokenError,
    SessionTokenExpired,
    UnknownSigningKey,
    decode_signed_token,
    mint_session_token,
)

LINK_AUDIENCE = "vaultline-oauth-link"
STATE_AUDIENCE = "vaultline-oauth-state"
STATE_TTL_SECONDS = 600
# The ``sid`` (and ``bnd``) of a state the backend created: it stands for no session or browser.
BACKEND_SESSION_ID = ""
_REQUIRED = ["iss", "aud", "jti", "iat", "exp", "application_id", "consumer_id", "unified_api", "service_id", "sid"]
_REQUIRED += ["bnd"]  # a state without a browser binding is never honoured


class OAuthStateError(BadRequest):
    """The authorization link or the provider's answer cannot be trusted: the connection is left alone."""

    type_name = "OAuthStateError"
    default_message = "This sign-in link is not valid. Go back and start connecting again."


class OAuthStateExpired(OAuthStateError):
    default_message = "This sign-in took too long and has expired. Go back and start connecting again."


class OAuthStateUsed(OAuthStateError):
    default_message = "This sign-in was already completed or cancelled. Go back and start connecting again."


@dataclass(frozen=True, slots=True)
class OAuthState:
    """Verified claims: who is connecting what, from which session, and where they go back."""

    jti: str
    application_id: str
    consumer_id: str
    unified_api: str
    service_id: str
    session_id: str
    redirect_uri: str | None
    binding: str  # digest of the browser binding cookie; the cookie itself is never in a token
    # The application's ``nonce`` from /vault/authorize: its tokens then wait for POST …/confirm.
    nonce: str | None = None
    # The Vault JS sign-in popup (store/oauth_popups.py) this authorization runs in, if any: the
    # callback then records its outcome there and answers the popup instead of redirecting.
    popup: str | None = None
    # The language of the Hosted Vault page the sign-in began on: the callback's pages use it
    # (the session's own cookie is scoped to the page's path and never reaches the callback).
    locale: str | None = None

    @property
    def from_backend(self) -> bool:
        """Created by the application's backend (createCallbackState): no session, no browser."""
        return self.session_id == BACKEND_SESSION_ID

    def claims(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"nonce": self.nonce} if self.nonce is not None else {}
        if self.popup is not None:
            extra["pop"] = self.popup
        if self.locale is not None:
            extra["loc"] = self.locale
        return {
            **extra,
            "jti": self.jti,
            "application_id": self.application_id,
            "consumer_id": self.consumer_id,
            "unified_api": self.unified_api,
            "service_id": self.service_id,
            "sid": self.session_id,
            "redirect_uri": self.redirect_uri,
            "bnd": self.binding,
        }

    def renewed(self, *, redirect_uri: str | None, nonce: str | None = None) -> OAuthState:
        """The same authorization under a new ``jti`` (the provider state's own row)."""
        return OAuthState(
            new_jti(), self.application_id, self.consumer_id, self.unified_api, self.service_id,
            self.session_id, redirect_uri, self.binding, nonce, self.popup, self.locale,
        )  # fmt: skip


def new_jti() -> str:
    return secrets.token_urlsafe(24)


def mint_oauth_token(keyring: KeyRing, state: OAuthState, *, audience: str, issuer: str) -> str:
    now = int(time.time())
    claims = {**state.claims(), "iss": issuer, "aud": audience, "iat": now, "exp": now + STATE_TTL_SECONDS}
    token, _ = mint_session_token(keyring, claims)
    return token


def verify_oauth_token(keyring: KeyRing, token: str, *, audience: str, issuer: str) -> OAuthState:
    """Signature and every claim checked by the key ring's one decoder; any failure is an
    ``OAuthStateError``."""
    try:
        claims = decode_signed_token(keyring, token, audience=audience, issuer=issuer, required=_REQUIRED)
    except UnknownSigningKey as exc:
        raise OAuthStateError(detail="unknown signing key") from exc
    except SessionTokenExpired as exc:
        raise OAuthStateExpired() from exc
    except SessionTokenError as exc:
        raise OAuthStateError(detail=exc.detail) from exc
    redirect_uri, nonce, popup = claims.get("redirect_uri"), claims.get("nonce"), claims.get("pop")
    locale = claims.get("loc")
    return OAuthState(
        str(claims["jti"]), str(claims["application_id"]), str(claims["consumer_id"]), str(claims["unified_api"]),
        str(claims["service_id"]), str(claims["sid"]), redirect_uri if isinstance(redirect_uri, str) else None,
        str(claims["bnd"]), nonce if isinstance(nonce, str) else None, popup if isinstance(popup, str) else None,
        supported_locale(locale) if isinstance(locale, str) else None,
    )  # fmt: skip
