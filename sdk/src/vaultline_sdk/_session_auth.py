"""Calling as a consumer: the headers a browser (Vault JS, the Hosted Vault) sends with a session
token, for a client built with ``session_token=``. The server verifies the token; this only addresses it."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from vaultline_sdk._constants import APP_ID_HEADER, AUTH_TYPE_HEADER, CONSUMER_ID_HEADER
from vaultline_sdk._exceptions import ConfigurationError

_NOT_A_SESSION_TOKEN = (
    "session_token must be a session JWT (what sessions.create returns as session_token), "
    "whose payload names application_id and consumer_id"
)


def _payload(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ConfigurationError(_NOT_A_SESSION_TOKEN)
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        raise ConfigurationError(_NOT_A_SESSION_TOKEN) from None
    if not isinstance(payload, dict):
        raise ConfigurationError(_NOT_A_SESSION_TOKEN)
    return payload


@dataclass(frozen=True)
class SessionTokenAuth:
    """A session token and the application and consumer it names.

    The ids are read from the token without verifying it: they only fill the headers the server
    checks against the (verified) token. Never trust them for anything else; use
    ``sessions.verify_token`` for that.
    """

    token: str = field(repr=False)
    application_id: str
    consumer_id: str

    @classmethod
    def from_token(cls, token: str, *, fallback_app_id: str | None = None) -> SessionTokenAuth:
        claims = _payload(token.strip())
        application_id = claims.get("application_id") or fallback_app_id
        consumer_id = claims.get("consumer_id") or claims.get("sub")
        if not isinstance(application_id, str) or not isinstance(consumer_id, str):
            raise ConfigurationError(_NOT_A_SESSION_TOKEN)
        return cls(token=token.strip(), application_id=application_id, consumer_id=consumer_id)

    def headers(self, *, app_id: str | None = None, consumer_id: str | None = None) -> dict[str, str]:
        """The headers of one call. ``app_id``/``consumer_id`` are what the call names: naming
        another consumer than the token's is a mistake caught here, before the server's 401."""
        for what, named, own in (
            ("consumer", consumer_id, self.consumer_id),
            ("application", app_id, self.application_id),
        ):
            if named is not None and named != own:
                raise ConfigurationError(
                    f"This client calls with a session token for {what} {own!r}; it cannot act for {named!r}. "
                    "Use the API key (a client without session_token) to act for any consumer."
                )
        return {
            "Authorization": f"Bearer {self.token}",
            APP_ID_HEADER: self.application_id,
            CONSUMER_ID_HEADER: self.consumer_id,
            AUTH_TYPE_HEADER: "JWT",
        }
