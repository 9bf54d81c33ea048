"""Apideck's ``createCallbackState``: a provider ``state`` the application's backend creates for
an OAuth flow it runs itself (its own authorize URL, scopes or install page), with
``redirect_uri`` = Vaultline's ``/vault/callback``. The callback then stores the tokens on the
consumer's connection, as for a flow the Hosted Vault started.

Such a state stands for no session and no browser: the backend vouches for the consumer with
its API key, so only the API key may create one (a session token could otherwise mint a state
that skips the browser binding of oauth/browser_binding.py). It has its own audience, lives
10 minutes and works once (its ``oauth_states`` row). It comes with a PKCE challenge (S256) the
backend puts in its authorize URL: the callback sends the verifier when exchanging the code, as
for every flow. Where the consumer goes afterwards must be on the application's redirect allowlist.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.clock import now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import offered_definition
from vaultline.errors import Unprocessable
from vaultline.oauth.authorization import pkce_pair
from vaultline.oauth.state import BACKEND_SESSION_ID, STATE_TTL_SECONDS, OAuthState, mint_oauth_token, new_jti
from vaultline.runtime import Runtime
from vaultline.store.applications import get_application
from vaultline.store.consumers import ConsumerUpsert, upsert_consumers
from vaultline.store.integrations import get_oauth_client
from vaultline.store.oauth_states import insert_oauth_state
from vaultline.strict_url import AmbiguousUrl, NotHttpUrl, parse_strict_url

CALLBACK_STATE_AUDIENCE = "vaultline-oauth-callback-state"


@dataclass(frozen=True, slots=True)
class CallbackState:
    state: str
    code_challenge: str  # S256, for the backend's own authorize URL


def backend_caller(state: OAuthState) -> ConnectionsCaller:
    return ConnectionsCaller(state.application_id, state.consumer_id, None)


async def _allowed_redirect(runtime: Runtime, application_id: str, redirect_uri: str | None) -> str:
    if not redirect_uri:
        raise Unprocessable(
            "redirect_uri is required: the consumer is sent there after the callback",
            detail={"redirect_uri": redirect_uri},
        )
    try:
        origin = parse_strict_url(redirect_uri).origin
    except AmbiguousUrl as exc:
        raise Unprocessable(f"redirect_uri {exc}", detail={"redirect_uri": redirect_uri}) from None
    except NotHttpUrl:
        raise Unprocessable("redirect_uri must be an http(s) URL", detail={"redirect_uri": redirect_uri}) from None
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=application_id)
    if application is None or origin not in application.redirect_origins:
        raise Unprocessable(
            "redirect_uri is not on the application's redirect allowlist",
            detail={"redirect_uri": redirect_uri, "allowed_origins": list(application.redirect_origins or ())}
            if application
            else None,
        )
    return redirect_uri


async def create_callback_state(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str, *, redirect_uri: str | None
) -> CallbackState:
    """The signed state for ``/vault/callback``, with its PKCE challenge. 403 for a session token, 404 when not offered,
    422 for an integration that is not OAuth or has no client yet, or a redirect_uri not allowed."""
    caller.require_backend("create a callback state (it is not bound to a browser)")
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    if definition.oauth is None:
        raise Unprocessable(
            f"{definition.name} is not connected by signing in", detail={"auth_type": definition.auth_type}
        )
    async with runtime.engine.connect() as connection:
        client = await get_oauth_client(
            connection, application_id=caller.application_id, service_id=service_id, ring=runtime.master_keys
        )
    if client is None:
        raise Unprocessable(f"{definition.name} has no OAuth client id/secret yet: add them with the CLI first")
    back_to = await _allowed_redirect(runtime, caller.application_id, redirect_uri)
    verifier, challenge = pkce_pair()
    state = OAuthState(
        new_jti(), caller.application_id, caller.consumer_id, unified_api, service_id,
        BACKEND_SESSION_ID, back_to, BACKEND_SESSION_ID,
    )  # fmt: skip
    async with runtime.engine.begin() as connection:
        await upsert_consumers(
            connection, [ConsumerUpsert(caller.application_id, caller.consumer_id, None, None, now_ms())]
        )
        await insert_oauth_state(
            connection,
            jti=state.jti,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            service_id=service_id,
            code_verifier=verifier,
            expires_at=now_ms() + STATE_TTL_SECONDS * 1000,
            ring=runtime.master_keys,
        )
    issuer = runtime.settings.public_url
    return CallbackState(
        mint_oauth_token(runtime.keyring, state, audience=CALLBACK_STATE_AUDIENCE, issuer=issuer), challenge
    )
