"""Finishing an authorization at ``/vault/callback``: the provider state verified and spent
(once, on every instance), the code exchanged with its PKCE verifier, the tokens sealed into
the connection. Whatever fails, the connection is left as it was."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from vaultline.connections.offered import read_connection
from vaultline.connections.state import has_credentials
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.errors import Forbidden
from vaultline.log_escape import escape_for_log
from vaultline.oauth.authorization import callback_url, live_session
from vaultline.oauth.browser_binding import check_browser_binding
from vaultline.oauth.callback_states import CALLBACK_STATE_AUDIENCE, backend_caller
from vaultline.oauth.confirmation import new_pending_confirmation
from vaultline.oauth.provider_client import credentials_from, token_request
from vaultline.oauth.state import STATE_AUDIENCE, OAuthState, OAuthStateError, OAuthStateUsed, verify_oauth_token
from vaultline.runtime import Runtime
from vaultline.store.connections import ensure_connection
from vaultline.store.integrations import get_oauth_client
from vaultline.store.oauth_states import consume_oauth_state

log = logging.getLogger(__name__)

Outcome = Literal["connected", "reauthorized", "denied"]


@dataclass(frozen=True, slots=True)
class CallbackResult:
    state: OAuthState
    outcome: Outcome
    error: str | None = None  # the provider's ``error`` when denied
    # With the application's nonce: the token it confirms the connection with (in the fragment).
    confirm_token: str | None = None


def signed_state(runtime: Runtime, token: str | None) -> tuple[OAuthState, bool]:
    """The provider state's signature, audience and expiry, before the browser is checked; and
    whether it is a browser's (True) or the backend's own callback state, which stands for none."""
    if not token:
        raise OAuthStateError(detail="the provider returned no state")
    issuer = runtime.settings.public_url
    try:
        return verify_oauth_token(runtime.keyring, token, audience=STATE_AUDIENCE, issuer=issuer), True
    except OAuthStateError as browser_state_error:
        try:  # a state the application's backend created for its own flow (createCallbackState)
            return verify_oauth_token(runtime.keyring, token, audience=CALLBACK_STATE_AUDIENCE, issuer=issuer), False
        except OAuthStateError:
            raise browser_state_error from None


def verified_state(
    runtime: Runtime, token: str | None, *, binding_cookie: str | None, popup_cookie: str | None = None
) -> OAuthState:
    """The provider state, signed by us and returning to the browser that was sent out with it.
    Checked before the state is spent, so a refused callback changes nothing at all."""
    state, of_a_browser = signed_state(runtime, token)
    if of_a_browser:
        check_browser_binding(state.binding, binding_cookie, popup_cookie)
    return state


async def complete_authorization(
    runtime: Runtime, state: OAuthState, *, code: str | None, error: str | None
) -> CallbackResult:
    """Spend the state, then store the tokens (or report the provider's refusal)."""
    async with runtime.engine.begin() as connection:
        pending = await consume_oauth_state(connection, jti=state.jti, ring=runtime.master_keys)
    if pending is None:
        raise OAuthStateUsed()
    if (pending.application_id, pending.consumer_id, pending.service_id) != (
        state.application_id,
        state.consumer_id,
        state.service_id,
    ):
        raise OAuthStateError(detail="the state does not match its authorization")
    caller = (
        backend_caller(state) if state.from_backend else (await live_session(runtime, state, allow_expired=True)).caller
    )
    if error is not None:
        log.info("OAuth consent for %s ended with %s", state.service_id, escape_for_log(error))
        return CallbackResult(state, "denied", error)
    if not code:
        raise OAuthStateError(detail="the provider returned neither a code nor an error")
    definition = runtime.catalog.find(unified_api=state.unified_api, service_id=state.service_id)
    async with runtime.engine.connect() as connection:
        client = await get_oauth_client(
            connection, application_id=state.application_id, service_id=state.service_id, ring=runtime.master_keys
        )
    if definition is None or definition.oauth is None or client is None:
        raise Forbidden("This integration is no longer offered. Go back to the application.")
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(runtime),
        "code_verifier": pending.code_verifier,
    }
    answer = await token_request(
        str(definition.oauth.token_url), client, exchange, allow_private=runtime.settings.allow_private_webhooks
    )
    credentials = credentials_from(answer)
    confirm_token, pending_confirmation = new_pending_confirmation() if state.nonce is not None else (None, None)
    ids = {
        "application_id": state.application_id,
        "consumer_id": state.consumer_id,
        "unified_api": state.unified_api,
        "service_id": state.service_id,
    }
    async with runtime.engine.begin() as connection:
        created = await ensure_connection(connection, **ids)
        before = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        reauthorized = has_credentials(definition, before)
        if reauthorized:  # the session may have changed hands between link and callback: check again
            caller.require_action("reauthorize", "replace a connection's credentials")
        tokens = NewTokens(credentials, pending_confirmation=pending_confirmation)
        await write_connection_change(connection, runtime, definition, before, tokens, created=created)
    return CallbackResult(state, "reauthorized" if reauthorized else "connected", confirm_token=confirm_token)
