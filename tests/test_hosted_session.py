"""Opening a Hosted Vault session: the clean URL and cookie, the error pages (expired, invalid,
revoked, missing), and a session that ends while its page is open."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.support.connections import offer
from tests.support.hosted import SAME_ORIGIN, expired_token, mint, open_session
from tests.support.tenants import Tenant

BODY = {"redirect_uri": "https://mysaas.com/dashboard", "theme": {"vault_name": "Intercom"}}


async def test_opening_a_session_swaps_the_token_for_a_cookie_and_a_clean_url(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await mint(client, tenant, BODY)
    response = await client.get(f"/session/{token}")
    assert response.status_code == 303
    location = response.headers["location"]
    assert token not in location and location.startswith("/hosted/") and location.endswith("/integrations")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "vaultline_session=" in v)
    session_id = location.split("/")[2]
    assert f"vaultline_session={token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Path=/hosted/{session_id}" in cookie
    assert "Secure" not in cookie  # plain http here; https public URLs get Secure
    page = await client.get(location)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<title>Intercom Vault</title>" in page.text
    assert token not in page.text


async def test_a_deep_link_opens_one_integration(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    await offer(app, tenant)
    token = await mint(client, tenant, {"settings": {"unified_apis": ["crm"]}})
    response = await client.get(f"/session/{token}", params={"service_id": "pipedrive"})
    assert response.headers["location"].endswith("/integrations/crm/pipedrive")
    # Outside the session's unified_apis, a deep link falls back to the list.
    token = await mint(client, tenant, {"settings": {"unified_apis": ["crm"]}})
    response = await client.get(f"/session/{token}", params={"service_id": "bamboohr"})
    assert response.headers["location"].endswith("/integrations")


async def test_an_invalid_token_gets_a_friendly_page_not_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/session/not-a-token")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in response.text
    assert "Traceback" not in response.text and "Return to application" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_an_expired_token_says_expired_and_offers_the_way_back(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await expired_token(app, tenant, redirect_uri="https://mysaas.com/dashboard")
    response = await client.get(f"/session/{token}")
    assert response.status_code == 401
    assert "This session has expired" in response.text
    assert 'href="https://mysaas.com/dashboard"' in response.text and "Return to application" in response.text


@pytest.mark.parametrize(
    "claims",
    [{"aud": ["vaultline-session", "vaultline-oauth-link"]}, {"aud": "vaultline-oauth-link"}],
    ids=["aud-list", "another-audience"],
)
async def test_an_expired_token_for_another_audience_offers_no_way_back(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, claims: dict[str, Any]
) -> None:
    """The way back comes from claims verified as strictly as a live session's, time aside:
    a token of ours minted for something else must not put its redirect_uri on our page."""
    token = await expired_token(app, tenant, redirect_uri="https://evil.example/phish", **claims)
    response = await client.get(f"/session/{token}")
    assert response.status_code == 401
    assert "evil.example" not in response.text and "Return to application" not in response.text


async def test_a_revoked_token_says_revoked(client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = await mint(client, tenant, BODY)
    opened = await client.get(f"/session/{token}")
    session_id = opened.headers["location"].split("/")[2]
    assert (await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers())).status_code == 200
    response = await client.get(f"/session/{token}")
    assert response.status_code == 401 and "This session has been ended" in response.text
    assert "https://mysaas.com/dashboard" in response.text
    # The page already open: its next click says so too.
    again = await client.get(opened.headers["location"])
    assert again.status_code == 401 and "This session has been ended" in again.text


async def test_a_session_that_expires_while_open_says_so_on_the_next_action(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await offer(app, tenant)
    token = await expired_token(app, tenant, redirect_uri="https://mysaas.com/dashboard")
    # The browser still holds the cookie from when the session was opened, an hour ago.
    session_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    client.cookies.set("vaultline_session", token, domain="vault.test", path=f"/hosted/{session_id}")
    page = await client.get(f"/hosted/{session_id}/integrations")
    assert page.status_code == 401 and "This session has expired" in page.text
    post = await client.post(
        f"/hosted/{session_id}/integrations/crm/pipedrive/connect", data={"api_token": "x"}, headers=SAME_ORIGIN
    )
    assert post.status_code == 401 and "This session has expired" in post.text


async def test_a_clean_url_without_its_cookie_explains_what_happened(client: httpx.AsyncClient, tenant: Tenant) -> None:
    opened = await open_session(client, tenant, BODY)
    client.cookies.clear()
    response = await client.get(opened.page())
    assert response.status_code == 401 and "This page needs an open session" in response.text
    # Another session's cookie does not open this one.
    other = await open_session(client, tenant, BODY, consumer_id="c2")
    assert other.session_id != opened.session_id
    response = await client.get(opened.page())
    assert response.status_code == 401
