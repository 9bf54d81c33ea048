"""Opening a Hosted Vault session: the clean URL and its cookie (a short handle, never the token),
the error pages (expired, invalid, revoked, missing), and a session that ends while its page is open."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from tests.conftest import PUBLIC_URL
from tests.support.connections import offer
from tests.support.hosted import SAME_ORIGIN, expired_token, handle_cookie, mint, open_session
from tests.support.tenants import Tenant
from vaultline.clock import now_ms
from vaultline.db.schema import hosted_handles
from vaultline.runtime import Runtime
from vaultline.sessions.handle_pruning import HANDLE_KEPT_MS, prune_hosted_handles
from vaultline.store.hosted_handles import MAX_HANDLES_PER_SESSION, HostedHandle

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
    assert token not in cookie and len(cookie.split(";")[0]) < 100
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
    cookie = await handle_cookie(app, session_id, theme={"vault_name": "Intercom"})
    client.cookies.set("vaultline_session", cookie, domain="vault.test", path=f"/hosted/{session_id}")
    page = await client.get(f"/hosted/{session_id}/integrations")
    assert page.status_code == 401 and "This session has expired" in page.text
    # The way back comes from what was stored when it was opened: the token is not at hand any more.
    assert 'href="https://mysaas.com/dashboard"' in page.text and "Return to application" in page.text
    assert "Intercom" in page.text
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


# The probe's session: every URL within its documented limit, the token past what a cookie holds.
LARGE_BODY = {
    "consumer_metadata": {"account_name": "SpaceX", "image": "https://cdn.mysaas.com/a/" + "i" * 275},
    "redirect_uri": "https://mysaas.com/back?to=" + "r" * 873,
    "theme": {
        "vault_name": "Intercom",
        "logo": "https://cdn.mysaas.com/l/" + "l" * 775,
        "favicon": "https://cdn.mysaas.com/f/" + "f" * 275,
    },
}


def session_cookie(response: httpx.Response) -> str:
    header = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "vaultline_session=" in v)
    return header.split(";")[0].removeprefix("vaultline_session=")


def browser(app: FastAPI) -> httpx.AsyncClient:
    """Another browser: its own cookie jar."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)


async def test_the_session_cookie_is_a_short_handle_with_no_part_of_the_token(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await mint(client, tenant, LARGE_BODY)
    assert len(token) > 4096  # as a cookie, browsers would drop it
    response = await client.get(f"/session/{token}")
    cookie = session_cookie(response)
    assert HostedHandle.parse(cookie) is not None and len(cookie) < 100
    assert all(part not in cookie for part in token.split(".")) and cookie not in token
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "<title>Intercom Vault</title>" in page.text
    assert LARGE_BODY["theme"]["logo"] in page.text and LARGE_BODY["redirect_uri"] in page.text
    # Only a hash of the handle's secret is stored.
    secret = cookie.split(".")[1]
    async with app.state.runtime.engine.connect() as connection:
        rows = (await connection.execute(select(hosted_handles))).all()
    assert len(rows) == 1 and all(secret not in str(value) for value in rows[0])


async def test_a_forged_or_guessed_handle_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = await mint(client, tenant, BODY)
    response = await client.get(f"/session/{token}")
    page = response.headers["location"]
    handle = HostedHandle.parse(session_cookie(response))
    assert handle is not None
    forged = [
        f"{handle.id}.{secrets.token_urlsafe(32)}",  # the right handle, a guessed secret
        f"{handle.id}.{handle.secret[:-1]}{'A' if handle.secret[-1] != 'A' else 'B'}",  # one character off
        f"{secrets.token_urlsafe(12)}.{handle.secret}",  # the secret under another id
        token,  # the session token itself: only /session/<token> takes it
        f"{handle.id}.{handle.secret}.x",
        "",
        "not a handle\x7f",
    ]
    for value in forged:
        client.cookies.clear()
        client.cookies.set("vaultline_session", value, domain="vault.test", path=page.rsplit("/", 1)[0])
        refused = await client.get(page)
        assert refused.status_code == 401 and "This page needs an open session" in refused.text, value
        assert "Return to application" not in refused.text
    client.cookies.clear()
    client.cookies.set("vaultline_session", handle.cookie_value, domain="vault.test", path=page.rsplit("/", 1)[0])
    assert (await client.get(page)).status_code == 200


async def test_a_handle_sent_to_a_path_no_database_accepts_is_refused_not_an_error(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    opened = await client.get(f"/session/{await mint(client, tenant, BODY)}")
    cookie = session_cookie(opened)
    for session_id in ("a%00b", "x" * 300, "%C3%A9t%C3%A9"):
        client.cookies.clear()
        client.cookies.set("vaultline_session", cookie, domain="vault.test", path=f"/hosted/{session_id}")
        refused = await client.get(f"/hosted/{session_id}/integrations")
        assert refused.headers["content-type"].startswith("text/html"), session_id
        if "%00" in session_id:  # nul_guard refuses a NUL in any URL before the page runs
            assert refused.status_code == 400, session_id
        else:
            assert refused.status_code == 401 and "This page needs an open session" in refused.text, session_id


async def test_a_handle_of_one_session_does_not_open_another(client: httpx.AsyncClient, tenant: Tenant) -> None:
    first = await client.get(f"/session/{await mint(client, tenant, {'redirect_uri': 'https://mysaas.com/a'})}")
    second = await client.get(f"/session/{await mint(client, tenant, BODY, consumer_id='c2')}")
    first_cookie, second_page = session_cookie(first), second.headers["location"]
    client.cookies.clear()
    # Sent on purpose to the other session's path, as a hand-made request would.
    client.cookies.set("vaultline_session", first_cookie, domain="vault.test", path=second_page.rsplit("/", 1)[0])
    refused = await client.get(second_page)
    assert refused.status_code == 401 and "This page needs an open session" in refused.text
    assert "https://mysaas.com/a" not in refused.text  # nothing of the cookie's own session either


async def test_a_session_opened_twice_works_in_both_browsers_until_revoked(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await mint(client, tenant, BODY)
    async with browser(app) as laptop, browser(app) as phone:
        on_laptop = await laptop.get(f"/session/{token}")
        on_phone = await phone.get(f"/session/{token}")
        assert session_cookie(on_laptop) != session_cookie(on_phone)  # one handle per opening
        page = on_laptop.headers["location"]
        assert (await laptop.get(page)).status_code == 200
        assert (await phone.get(page)).status_code == 200
        session_id = page.split("/")[2]
        assert (await client.delete(f"/vault/sessions/{session_id}", headers=tenant.headers())).status_code == 200
        for holder in (laptop, phone):
            stopped = await holder.get(page)
            assert stopped.status_code == 401 and "This session has been ended" in stopped.text
            assert 'href="https://mysaas.com/dashboard"' in stopped.text
            post = await holder.post(
                f"/hosted/{session_id}/integrations/crm/pipedrive/connect", data={"api_token": "x"}, headers=SAME_ORIGIN
            )
            assert post.status_code == 401 and "This session has been ended" in post.text
        # Opening the link again does not bring a revoked session back.
        again = await laptop.get(f"/session/{token}")
        assert again.status_code == 401 and "set-cookie" not in {k for k, _ in again.headers.multi_items()}


async def test_opening_a_link_in_a_loop_keeps_only_the_newest_handles(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await mint(client, tenant, BODY)
    cookies = []
    for _ in range(MAX_HANDLES_PER_SESSION + 3):
        client.cookies.clear()
        opened = await client.get(f"/session/{token}")
        cookies.append((session_cookie(opened), opened.headers["location"]))
    session_id = cookies[0][1].split("/")[2]
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(func.count()).select_from(hosted_handles).where(hosted_handles.c.session_id == session_id)
        )
        assert rows.scalar_one() == MAX_HANDLES_PER_SESSION
    for cookie, page in (cookies[0], cookies[-1]):
        client.cookies.clear()
        client.cookies.set("vaultline_session", cookie, domain="vault.test", path=page.rsplit("/", 1)[0])
        expected = 401 if cookie == cookies[0][0] else 200  # the oldest was dropped, the newest works
        assert (await client.get(page)).status_code == expected


async def test_handles_older_than_any_session_are_pruned_and_newer_ones_kept(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = await mint(client, tenant, BODY)
    fresh = await client.get(f"/session/{token}")
    client.cookies.clear()
    stale = await client.get(f"/session/{token}")
    session_id = fresh.headers["location"].split("/")[2]
    stale_id = session_cookie(stale).split(".")[0]
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:  # made more than a week and a day ago
        long_ago = now_ms() - HANDLE_KEPT_MS - 1000
        await connection.execute(
            update(hosted_handles).where(hosted_handles.c.id == stale_id).values(created_at=long_ago)
        )
    assert await prune_hosted_handles(runtime.engine, batch_size=1) == 1
    assert await prune_hosted_handles(runtime.engine) == 0
    async with runtime.engine.connect() as connection:
        ids = (
            (await connection.execute(select(hosted_handles.c.id).where(hosted_handles.c.session_id == session_id)))
            .scalars()
            .all()
        )
    assert ids == [session_cookie(fresh).split(".")[0]]
    client.cookies.clear()
    client.cookies.set("vaultline_session", session_cookie(fresh), domain="vault.test", path=f"/hosted/{session_id}")
    assert (await client.get(fresh.headers["location"])).status_code == 200
