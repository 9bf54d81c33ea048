"""Starting an authorization: from the Hosted Vault's signed link to the provider's consent
page, with PKCE (S256) and a fresh single-use provider ``state``.

Everything the link claims is checked again here, on the server: the session is live, the
application still offers the integration and has an OAuth client for it, the session may
see its unified API, and replacing existing tokens needs ``reauthorize`` in ``allow_actions``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from vaultline.catalog.definitions import OAuthSpec
from vaultline.clock import now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import find_connection
from vaultline.connections.state import has_credentials
from vaultline.errors import Forbidden, Unprocessable
from vaultline.oauth.browser_binding import check_browser_binding
from vaultline.oauth.state import (
    LINK_AUDIENCE,
    STATE_AUDIENCE,
    STATE_TTL_SECONDS,
    OAuthState,
    OAuthStateError,
    mint_oauth_token,
    verify_oauth_token,
)
from vaultline.runtime import Runtime
from vaultline.sessions.verification import VerifiedSession
from vaultline.store.applications import get_application
from vaultline.store.integrations import get_oauth_client
from vaultline.store.oauth_states import insert_oauth_state
from vaultline.store.sessions import SessionRecord, get_session
from vaultline.strict_url import AmbiguousUrl, NotHttpUrl, is_http_url, parse_strict_url

CALLBACK_PATH = "/vault/callback"


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """The session an OAuth state was minted for, as a connections caller."""

    record: SessionRecord

    @property
    def caller(self) -> ConnectionsCaller:
        verified = VerifiedSession({"settings": self.record.settings}, self.record)
        return ConnectionsCaller(self.record.application_id, self.record.consumer_id, verified)


def callback_url(runtime: Runtime) -> str:
    return runtime.settings.public_url + CALLBACK_PATH


def hosted_prefix(runtime: Runtime, session_id: str) -> str:
    return f"{runtime.settings.public_url}/hosted/{session_id}/"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636: 64 random bytes, 86 characters."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def live_session(runtime: Runtime, state: OAuthState, *, allow_expired: bool = False) -> SessionGrant:
    async with runtime.engine.connect() as connection:
        record = await get_session(connection, session_id=state.session_id)
    if record is None or (record.application_id, record.consumer_id) != (state.application_id, state.consumer_id):
        raise OAuthStateError(detail="the state names no session of this consumer")
    if record.revoked_at is not None or (not allow_expired and record.expires_at <= now_ms()):
        raise OAuthStateError("This vault session has ended. Go back to the application and open it again.")
    return SessionGrant(record)


async def allowed_return(runtime: Runtime, state: OAuthState, redirect_uri: str | None) -> str | None:
    """Where the consumer may be sent back: the link's own return address, a page of this
    session's Hosted Vault, or an origin on the application's redirect allowlist. Each is read
    as a browser reads it (strict_url): ``https://evil.com\\@mysaas.com`` goes to evil.com."""
    not_allowed = OAuthStateError("This sign-in link asks to return to an address the application does not allow.")
    if redirect_uri is None or redirect_uri == state.redirect_uri:
        if state.redirect_uri is not None and not is_http_url(state.redirect_uri):
            raise OAuthStateError(detail="the link's own return address is not an unambiguous URL")
        return state.redirect_uri
    try:
        target = parse_strict_url(redirect_uri)
    except AmbiguousUrl as exc:
        raise Unprocessable(f"redirect_uri {exc}", detail={"redirect_uri": redirect_uri}) from None
    except NotHttpUrl:
        raise not_allowed from None
    if redirect_uri.startswith(hosted_prefix(runtime, state.session_id)):
        return redirect_uri
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=state.application_id)
    if application is not None and target.origin in application.redirect_origins:
        return redirect_uri
    raise not_allowed


def provider_url(oauth: OAuthSpec, params: dict[str, str]) -> str:
    base = str(oauth.authorize_url)
    joiner = "&" if urlsplit(base).query else "?"
    return base + joiner + urlencode({**params, **oauth.authorize_params})


async def verified_link(
    runtime: Runtime, *, link: str, service_id: str, application_id: str, binding_cookie: str | None
) -> OAuthState:
    """A Hosted Vault link's claims (for authorize and revoke alike), once its signature,
    audience, path and browser binding check out — before anything is stored or revealed."""
    issuer = runtime.settings.public_url
    try:
        state = verify_oauth_token(runtime.keyring, link, audience=LINK_AUDIENCE, issuer=issuer)
    except OAuthStateError:
        await runtime.keyring.reload_for_unknown_kid()  # another instance may have rotated
        state = verify_oauth_token(runtime.keyring, link, audience=LINK_AUDIENCE, issuer=issuer)
    if (state.service_id, state.application_id) != (service_id, application_id):
        raise OAuthStateError(detail="the link was minted for another integration or application")
    check_browser_binding(state.binding, binding_cookie)
    return state


async def begin_authorization(
    runtime: Runtime,
    *,
    link: str,
    service_id: str,
    application_id: str,
    redirect_uri: str | None,
    binding_cookie: str | None,
    nonce: str | None = None,
) -> tuple[OAuthState, str]:
    """Verify the link, that this browser holds its session's binding cookie, and everything
    the link claims; returns the verified link and the provider's authorize URL to send the
    consumer to. With the application's ``nonce``, the tokens will wait for POST …/confirm."""
    state = await verified_link(
        runtime, link=link, service_id=service_id, application_id=application_id, binding_cookie=binding_cookie
    )
    grant = await live_session(runtime, state)
    item = await find_connection(runtime, grant.caller, state.unified_api, state.service_id)
    definition = item.definition
    if definition.oauth is None or definition.oauth.grant_type != "authorization_code":
        raise Unprocessable(f"{definition.name} is not connected by signing in")
    if item.record is not None and has_credentials(definition, item.record):
        grant.caller.require_action("reauthorize", "replace a connection's credentials")
    async with runtime.engine.connect() as connection:
        client = await get_oauth_client(
            connection, application_id=application_id, service_id=service_id, ring=runtime.master_keys
        )
    if client is None:
        raise Forbidden(f"{definition.name} cannot be authorized yet: the application has not finished setting it up.")
    back_to = await allowed_return(runtime, state, redirect_uri)
    verifier, challenge = pkce_pair()
    provider_state = state.renewed(redirect_uri=back_to, nonce=nonce)
    async with runtime.engine.begin() as connection:
        await insert_oauth_state(
            connection,
            jti=provider_state.jti,
            application_id=application_id,
            consumer_id=state.consumer_id,
            service_id=service_id,
            code_verifier=verifier,
            expires_at=now_ms() + STATE_TTL_SECONDS * 1000,
            ring=runtime.master_keys,
        )
    token = mint_oauth_token(
        runtime.keyring, provider_state, audience=STATE_AUDIENCE, issuer=runtime.settings.public_url
    )
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": callback_url(runtime),
        "state": token,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if definition.oauth.default_scopes:
        params["scope"] = definition.oauth.scope_separator.join(definition.oauth.default_scopes)
    return provider_state, provider_url(definition.oauth, params)
