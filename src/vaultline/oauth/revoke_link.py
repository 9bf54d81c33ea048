"""``connectionsRevoke``: a Hosted Vault link (the same signed ``state`` an Authorize link
carries, as Apideck's ``authorize_url`` and ``revoke_url`` share theirs) disconnects an OAuth
connection: RFC 7009 revocation at the provider and ``vault.connection.revoked``
(oauth/revocation.py), then the consumer goes back.

Everything is checked again on the server, as for an authorization: the signature and
audience, that this browser holds the session's binding cookie, the live session, the
offering, the session's ``unified_apis`` and ``disconnect`` in its ``allow_actions``.
"""

from __future__ import annotations

from vaultline.connections.offered import offered_definition
from vaultline.errors import Unprocessable
from vaultline.oauth.authorization import allowed_return, hosted_prefix, live_session
from vaultline.oauth.browser_binding import check_browser_binding
from vaultline.oauth.revocation import disconnect_oauth
from vaultline.oauth.state import LINK_AUDIENCE, OAuthState, OAuthStateError, verify_oauth_token
from vaultline.runtime import Runtime


async def verified_revoke_link(
    runtime: Runtime, *, link: str, service_id: str, application_id: str, binding_cookie: str | None
) -> OAuthState:
    """The link's claims, once its signature, audience, path and browser binding check out."""
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


async def revoke_for_link(runtime: Runtime, state: OAuthState, redirect_uri: str | None) -> str:
    """Disconnect what a verified link names; returns where to send the consumer."""
    grant = await live_session(runtime, state)
    definition, _ = await offered_definition(runtime, grant.caller, state.unified_api, state.service_id)
    if definition.auth_type != "oauth2":
        raise Unprocessable(f"{definition.name} is not connected by signing in: there is nothing to revoke")
    back_to = await allowed_return(runtime, state, redirect_uri)
    await disconnect_oauth(runtime, grant.caller, definition)
    return back_to or f"{hosted_prefix(runtime, state.session_id)}integrations/{state.unified_api}/{state.service_id}"
