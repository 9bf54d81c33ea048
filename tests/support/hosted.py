"""Helpers for the Hosted Vault's in-process tests: open a session as a browser would."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.tenants import Tenant
from vaultline.runtime import Runtime
from vaultline.store.hosted_handles import issue_hosted_handle
from vaultline.store.sessions import SessionRecord, insert_sessions
from vaultline.tokens.session_tokens import SESSION_AUDIENCE, mint_session_token

SAME_ORIGIN = {"Origin": "http://vault.test"}


@dataclass
class OpenedSession:
    token: str
    session_id: str
    base: str  # /hosted/<session id>

    def page(self, path: str = "/integrations") -> str:
        return self.base + path


async def mint(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], consumer_id: str = "c1") -> str:
    response = await client.post("/vault/sessions", headers=tenant.headers(consumer_id), json=body)
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["session_token"]
    return token


async def open_session(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any] | None = None, consumer_id: str = "c1"
) -> OpenedSession:
    token = await mint(client, tenant, body or {}, consumer_id)
    response = await client.get(f"/session/{token}")
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    base = "/".join(location.split("/")[:3])
    return OpenedSession(token, base.split("/")[2], base)


async def expired_token(app: FastAPI, tenant: Tenant, *, consumer_id: str = "c1", **claims: Any) -> str:
    """A correctly signed, recorded session that expired a minute ago."""
    return await expired_token_for(app.state.runtime, tenant.application_id, consumer_id=consumer_id, **claims)


async def expired_token_for(runtime: Runtime, application_id: str, *, consumer_id: str = "c1", **claims: Any) -> str:
    now = int(time.time())
    session_id = f"expired-{now}-{consumer_id}"
    full_claims = {
        "application_id": application_id,
        "consumer_id": consumer_id,
        "consumer_metadata": {},
        "settings": {"unified_apis": [], "allow_actions": [], "show_sidebar": True},
        "theme": {},
        "iss": runtime.settings.public_url,
        "aud": SESSION_AUDIENCE,
        "sub": consumer_id,
        "jti": session_id,
        "iat": now - 3600,
        "nbf": now - 3600,
        "exp": now - 60,
        **claims,
    }
    token, kid = mint_session_token(runtime.keyring, full_claims)
    async with runtime.engine.begin() as connection:
        await insert_sessions(
            connection,
            [
                SessionRecord(
                    id=session_id,
                    application_id=application_id,
                    consumer_id=consumer_id,
                    kid=kid,
                    settings=full_claims["settings"],
                    redirect_uri=full_claims.get("redirect_uri"),
                    created_at=(now - 3600) * 1000,
                    expires_at=(now - 60) * 1000,
                )
            ],
        )
    return token


async def handle_cookie(app: FastAPI, session_id: str, theme: dict[str, Any] | None = None) -> str:
    """The cookie a browser kept from opening ``session_id`` earlier (as /session/<token> issues it)."""
    async with app.state.runtime.engine.begin() as connection:
        handle = await issue_hosted_handle(connection, session_id=session_id, theme=theme or {}, consumer_metadata={})
    return handle.cookie_value
