"""Where the client's settings come from: constructor argument, then environment, then a clear error."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from vaultline_sdk._constants import ENV_API_KEY, ENV_APP_ID, ENV_SERVER_URL
from vaultline_sdk._exceptions import ConfigurationError
from vaultline_sdk._session_auth import SessionTokenAuth


@dataclass(frozen=True)
class ClientConfig:
    """The resolved settings. ``api_key`` and ``app_id`` may be missing until a call needs them,
    because the seeds' call passes its key per call. With ``session``, calls are the consumer's."""

    server_url: str
    api_key: str | None = field(default=None, repr=False)
    app_id: str | None = None
    session: SessionTokenAuth | None = None

    def require_api_key(self, override: str | None = None) -> str:
        key = override or self.api_key
        if not key:
            raise ConfigurationError(
                f"No API key: pass SDK(api_key=...), set {ENV_API_KEY}, or give this call a security argument."
            )
        return key

    def require_app_id(self, override: str | None = None) -> str:
        app_id = override or self.app_id
        if not app_id:
            raise ConfigurationError(
                f"No application id: pass SDK(app_id=...), set {ENV_APP_ID}, or set x_apideck_app_id on the request."
            )
        return app_id


def resolve_config(
    *,
    server_url: str | None,
    api_key: str | None,
    app_id: str | None,
    session_token: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    env = os.environ if environ is None else environ
    url = server_url or env.get(ENV_SERVER_URL)
    if not url:
        raise ConfigurationError(
            f"No server URL: pass SDK(server_url='https://vault.example.com') or set {ENV_SERVER_URL}."
        )
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"server_url must be an absolute http(s) URL, not {url!r}")
    resolved_app_id = app_id or env.get(ENV_APP_ID) or None
    # A session token is short-lived and per consumer: an argument only, never the environment.
    session = SessionTokenAuth.from_token(session_token, fallback_app_id=resolved_app_id) if session_token else None
    return ClientConfig(
        server_url=url.rstrip("/"),
        api_key=api_key or env.get(ENV_API_KEY) or None,
        app_id=resolved_app_id,
        session=session,
    )
