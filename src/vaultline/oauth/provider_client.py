"""Talking to an OAuth provider from the server: the token endpoint (code exchange, refresh)
and the RFC 7009 revocation endpoint. Every URL passes ``net_guard`` before each call (an
operator's catalog could point one inside the network); every failure is a ``ProviderError``.

    ProviderError (502)            the provider answered with an error, or nonsense
    ├── ProviderRefused            an OAuth error body (``error`` = invalid_grant, …)
    └── ProviderUnreachable (504)  no answer within the timeout, or no connection at all
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from vaultline.clock import now_ms
from vaultline.errors import VaultError
from vaultline.net_guard import UnresolvableHost, UnsafeUrl, check_public_url
from vaultline.store.integrations import OAuthClient

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0)


class ProviderError(VaultError):
    status_code = 502
    type_name = "OAuthProviderError"
    default_message = "The provider did not complete the sign-in. Please try again in a moment."


class ProviderRefused(ProviderError):
    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(detail={"error": error, "error_description": description})
        self.error = error


class ProviderUnreachable(ProviderError):
    status_code = 504
    default_message = "The provider did not answer. Please try again in a moment."


def credentials_from(answer: dict[str, Any], *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """What is stored (sealed) and handed to the backend: ``expires_at`` in epoch milliseconds.
    A refresh answer without a new refresh token keeps the old one (RFC 6749 §6)."""
    access_token = answer.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise ProviderError(detail="the token endpoint answered without an access_token")
    expires_in = answer.get("expires_in")
    refresh_token = answer.get("refresh_token") or (previous or {}).get("refresh_token")
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": answer.get("token_type") or "Bearer",
        "scope": answer.get("scope") if answer.get("scope") is not None else (previous or {}).get("scope"),
        "expires_at": now_ms() + int(expires_in) * 1000 if isinstance(expires_in, int | float) else None,
    }


async def _post_form(url: str, form: dict[str, str], *, allow_private: bool) -> httpx.Response:
    try:
        await check_public_url(url, allow_private=allow_private)
    except UnresolvableHost as exc:
        raise ProviderError(detail="the provider's host name does not resolve") from exc
    except UnsafeUrl as exc:
        log.warning("refusing OAuth endpoint %s: %s", url, exc)
        raise ProviderError(detail="the provider's endpoint is not allowed by this server") from exc
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as http:
            return await http.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        log.warning("OAuth endpoint %s unreachable: %r", url, exc)
        raise ProviderUnreachable() from exc


async def token_request(
    token_url: str, client: OAuthClient, form: dict[str, str], *, allow_private: bool
) -> dict[str, Any]:
    """POST to the token endpoint (client_secret_post); the JSON answer, or ``ProviderError``."""
    body = {**form, "client_id": client.client_id, "client_secret": client.client_secret}
    response = await _post_form(token_url, body, allow_private=allow_private)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        log.warning("token endpoint %s answered %s without JSON", token_url, response.status_code)
        raise ProviderError(detail=f"the token endpoint answered {response.status_code}")
    if response.status_code >= 400 or "error" in answer:
        raise ProviderRefused(str(answer.get("error") or response.status_code), answer.get("error_description"))
    return answer


async def revoke_token(revoke_url: str, client: OAuthClient, token: str, *, hint: str, allow_private: bool) -> bool:
    """RFC 7009: True when the provider confirmed (200). Never raises: a disconnect goes on."""
    form = {"token": token, "token_type_hint": hint, "client_id": client.client_id,
            "client_secret": client.client_secret}  # fmt: skip
    try:
        response = await _post_form(revoke_url, form, allow_private=allow_private)
    except ProviderError:
        return False
    if response.status_code != 200:
        log.warning("revocation at %s answered %s", revoke_url, response.status_code)
    return response.status_code == 200
