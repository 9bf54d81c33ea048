"""``vaultOAuthDisconnect``: a provider tells Vaultline that a user disconnected the app on the
provider's side, by sending the browser to ``/vault/oauth/disconnect/{jwt}/{service_id}``.

The JWT is Vaultline's own (the key ring's signature, its own audience), minted for the URL an
operator registers at the provider. It names the application, as Apideck's does, and may also
name one consumer's connection: then that connection's tokens are cleared at once (the provider
already dropped them, so nothing is revoked there) with ``vault.connection.revoked``. A token
naming only the application changes nothing: the page just confirms the disconnection. The
token lives a year, and no longer than the signing key that made it (key rotation retires it).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import read_connection
from vaultline.connections.writes import NewTokens, write_connection_change
from vaultline.errors import BadRequest, Unauthorized
from vaultline.runtime import Runtime
from vaultline.tokens.session_tokens import SessionTokenError, decode_signed_token, mint_session_token
from vaultline.webhooks.events import CONNECTION_REVOKED

DISCONNECT_AUDIENCE = "vaultline-provider-disconnect"
DISCONNECT_TTL_SECONDS = 365 * 24 * 3600
_REQUIRED = ["iss", "aud", "iat", "exp", "jti", "application_id", "service_id"]


class DisconnectLinkInvalid(Unauthorized):
    type_name = "DisconnectLinkInvalidError"
    default_message = "This disconnect link is not valid."


@dataclass(frozen=True, slots=True)
class ProviderDisconnect:
    application_id: str
    service_id: str
    consumer_id: str | None
    cleared: bool  # a connection's tokens were cleared by this call


def mint_disconnect_token(
    runtime: Runtime, *, application_id: str, service_id: str, consumer_id: str | None = None
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": runtime.settings.public_url, "aud": DISCONNECT_AUDIENCE, "iat": now,
        "exp": now + DISCONNECT_TTL_SECONDS, "jti": secrets.token_urlsafe(16),
        "application_id": application_id, "service_id": service_id,
    }  # fmt: skip
    if consumer_id is not None:
        claims["consumer_id"] = consumer_id
    token, _ = mint_session_token(runtime.keyring, claims)
    return token


def disconnect_url(runtime: Runtime, token: str, service_id: str) -> str:
    return f"{runtime.settings.public_url}/vault/oauth/disconnect/{token}/{service_id}"


async def _claims(runtime: Runtime, token: str) -> dict[str, object]:
    issuer = runtime.settings.public_url
    try:
        return decode_signed_token(
            runtime.keyring, token, audience=DISCONNECT_AUDIENCE, issuer=issuer, required=_REQUIRED
        )
    except SessionTokenError:
        await runtime.keyring.reload_for_unknown_kid()  # another instance may have rotated
    try:
        return decode_signed_token(
            runtime.keyring, token, audience=DISCONNECT_AUDIENCE, issuer=issuer, required=_REQUIRED
        )
    except SessionTokenError as exc:
        raise DisconnectLinkInvalid(detail=exc.detail) from exc


async def handle_provider_disconnect(runtime: Runtime, token: str, service_id: str) -> ProviderDisconnect:
    claims = await _claims(runtime, token)
    if claims["service_id"] != service_id:
        raise BadRequest("This disconnect link was made for another integration")
    application_id = str(claims["application_id"])
    consumer_id = claims.get("consumer_id")
    definition = runtime.catalog.get(service_id)
    if not isinstance(consumer_id, str) or definition is None or definition.auth_type != "oauth2":
        return ProviderDisconnect(application_id, service_id, None, cleared=False)
    # The provider's word, carried by our own signed link: the backend's authority, not a session's.
    caller = ConnectionsCaller(application_id, consumer_id, None)
    async with runtime.engine.begin() as connection:
        record = await read_connection(connection, runtime, caller, definition, for_update=True)
        cleared = record is not None and bool((record.oauth_credentials or {}).get("access_token"))
        if record is not None and cleared:
            await write_connection_change(
                connection, runtime, definition, record, NewTokens(None), event=CONNECTION_REVOKED
            )
    return ProviderDisconnect(application_id, service_id, consumer_id, cleared=cleared)
