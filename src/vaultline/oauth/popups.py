"""OAuth inside Vault JS: the sign-in runs in a popup, because providers refuse to be framed.

The embedded modal (a cross-site iframe) asks for a popup with its session cookie and gets a
single-use start token (store/oauth_popups.py). The popup is a top-level window, so it may see
neither the iframe's partitioned session cookie nor its binding cookie: its first request trades
the start token for a fresh, random browser binding (a first-party cookie for the callback) and
goes straight on to the provider with a link bound to it. The callback records the outcome on
the popup's row for the modal, whether or not the popup can still reach ``window.opener``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vaultline.errors import VaultError
from vaultline.oauth.authorization import begin_authorization
from vaultline.oauth.browser_binding import binding_digest, new_popup_binding
from vaultline.oauth.state import LINK_AUDIENCE, OAuthState, OAuthStateError, mint_oauth_token, new_jti
from vaultline.runtime import Runtime
from vaultline.store.oauth_popups import PopupOutcome, claim_popup_start, record_popup_outcome
from vaultline.store.sessions import get_session

log = logging.getLogger(__name__)


class PopupStartInvalid(OAuthStateError):
    default_message = (
        "This sign-in window was already used or has expired. Close it and choose Authorize again in the vault."
    )


@dataclass(frozen=True, slots=True, repr=False)
class PopupStart:
    binding: str  # the popup's binding secret, for its cookie; never in a URL or a log
    provider_url: str
    popup_id: str


async def start_popup_authorization(runtime: Runtime, start_token: str) -> PopupStart:
    """Spend the start token, then begin the authorization exactly as ``/vault/authorize`` does
    (the same checks of the session, the integration and ``allow_actions``), bound to this popup."""
    async with runtime.engine.begin() as connection:
        popup = await claim_popup_start(connection, token=start_token)
    if popup is None:
        raise PopupStartInvalid()
    async with runtime.engine.connect() as connection:
        session = await get_session(connection, session_id=popup.session_id)
    if session is None:
        raise PopupStartInvalid(detail="the popup's session no longer exists")
    binding = new_popup_binding()
    state = OAuthState(
        new_jti(), session.application_id, session.consumer_id, popup.unified_api, popup.service_id,
        popup.session_id, None, binding_digest(binding), None, popup.id,
    )  # fmt: skip
    link = mint_oauth_token(runtime.keyring, state, audience=LINK_AUDIENCE, issuer=runtime.settings.public_url)
    try:
        _, url = await begin_authorization(
            runtime,
            link=link,
            service_id=popup.service_id,
            application_id=session.application_id,
            redirect_uri=None,
            binding_cookie=binding,
        )
    except VaultError as exc:
        await record_popup_result(runtime, state, "failed", message=exc.message)
        raise
    return PopupStart(binding, url, popup.id)


async def record_popup_result(
    runtime: Runtime, state: OAuthState, outcome: PopupOutcome, *, message: str | None = None
) -> None:
    """What the modal will read for this state's popup (nothing when it ran in no popup)."""
    if state.popup is None:
        return
    async with runtime.engine.begin() as connection:
        await record_popup_outcome(
            connection, popup_id=state.popup, session_id=state.session_id, outcome=outcome, message=message
        )
    log.info("OAuth popup for %s ended: %s", state.service_id, outcome)
