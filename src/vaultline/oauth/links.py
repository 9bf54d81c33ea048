"""The Authorize link a Hosted Vault page (or a session-token API caller) gets:
``/vault/authorize/{service_id}/{application_id}?state=<signed link>&redirect_uri=<return>``."""

from __future__ import annotations

from urllib.parse import urlencode

from vaultline.oauth.state import LINK_AUDIENCE, OAuthState, mint_oauth_token, new_jti
from vaultline.runtime import Runtime


def authorize_link(
    runtime: Runtime,
    *,
    application_id: str,
    consumer_id: str,
    unified_api: str,
    service_id: str,
    session_id: str,
    redirect_uri: str | None,
    binding_digest: str,
    locale: str | None = None,
) -> str:
    """``binding_digest``: of the browser binding cookie the rendering page sets (browser_binding.py);
    ``locale``: the page's language, for the pages the sign-in ends on."""
    state = OAuthState(
        new_jti(), application_id, consumer_id, unified_api, service_id, session_id, redirect_uri, binding_digest,
        locale=locale,
    )  # fmt: skip
    token = mint_oauth_token(runtime.keyring, state, audience=LINK_AUDIENCE, issuer=runtime.settings.public_url)
    query = {"state": token, **({"redirect_uri": redirect_uri} if redirect_uri else {})}
    return f"{runtime.settings.public_url}/vault/authorize/{service_id}/{application_id}?{urlencode(query)}"
