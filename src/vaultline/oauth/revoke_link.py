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
from vaultline.oauth.authorization import allowed_return, hosted_prefix, live_session, verified_link
from vaultline.oauth.revocation import disconnect_oauth
from vaultline.oauth.state import OAuthState
from vaultline.runtime import Runtime


async def verified_revoke_link(
    runtime: Runtime, *, link: str, service_id: str, application_id: str, binding_cookie: str | None
) -> OAuthState:
    """The link's claims, checked as for an authorization (oauth/authorization.verified_link)."""
    return await verified_link(
        runtime, link=link, service_id=service_id, application_id=application_id, binding_cookie=binding_cookie
    )


async def revoke_for_link(runtime: Runtime, state: OAuthState, redirect_uri: str | None) -> str:
    """Disconnect what a verified link names; returns where to send the consumer."""
    grant = await live_session(runtime, state)
    definition, _ = await offered_definition(runtime, grant.caller, state.unified_api, state.service_id)
    if definition.auth_type != "oauth2":
        raise Unprocessable(f"{definition.name} is not connected by signing in: there is nothing to revoke")
    back_to = await allowed_return(runtime, state, redirect_uri)
    await disconnect_oauth(runtime, grant.caller, definition)
    return back_to or f"{hosted_prefix(runtime, state.session_id)}integrations/{state.unified_api}/{state.service_id}"
