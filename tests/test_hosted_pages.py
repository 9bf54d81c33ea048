"""The Hosted Vault's pages in-process: each session setting and theme field's effect on the
HTML, the safety headers, the CSRF check, and server-side enforcement of unified_apis and
allow_actions. (tests/browser/ checks the same pages visually in Chromium.)"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer
from tests.support.consumer_logs import flush_logs
from tests.support.hosted import SAME_ORIGIN, OpenedSession, mint, open_session
from tests.support.tenants import Tenant, create_tenant
from vaultline.app import create_app
from vaultline.config import Settings


async def _page(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], path: str = "/integrations") -> str:
    opened = await open_session(client, tenant, body)
    response = await client.get(opened.page(path))
    assert response.status_code == 200, response.text
    return response.text


async def _connect(client: httpx.AsyncClient, opened: OpenedSession) -> httpx.Response:
    return await client.post(
        opened.page("/integrations/crm/pipedrive/connect"), data={"api_token": PIPEDRIVE_TOKEN}, headers=SAME_ORIGIN
    )


@pytest.fixture
async def offering(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    return tenant


async def test_theme_fields_reach_the_page_escaped(client: httpx.AsyncClient, offering: Tenant) -> None:
    theme = {
        "vault_name": "<script>alert(1)</script>Acme",
        "primary_color": "#286efa",
        "sidepanel_background_color": "#101010",
        "sidepanel_text_color": "#FFFFFF",
        "logo": 'https://cdn.example.com/logo.png?a=1&b="2"',
        "favicon": "https://cdn.example.com/favicon.ico",
        "privacy_url": "https://example.com/privacy",
        "terms_url": "https://example.com/terms",
    }
    metadata = {"account_name": "<b>SpaceX</b>", "user_name": "Elon", "email": "e@x.com"}
    html = await _page(client, offering, {"theme": theme, "consumer_metadata": metadata})
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;Acme" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;Acme Vault</title>" in html
    assert "--primary:#286efa;--on-primary:#ffffff;--side-bg:#101010;--side-fg:#FFFFFF" in html
    assert 'src="https://cdn.example.com/logo.png?a=1&amp;b=&#34;2&#34;"' in html
    assert '<link rel="icon" href="https://cdn.example.com/favicon.ico">' in html
    assert 'href="https://example.com/privacy"' in html and 'href="https://example.com/terms"' in html
    assert "&lt;b&gt;SpaceX&lt;/b&gt;" in html and "<b>SpaceX" not in html


async def test_a_pale_primary_colour_gets_dark_text(client: httpx.AsyncClient, offering: Tenant) -> None:
    html = await _page(client, offering, {"theme": {"primary_color": "#ffe066"}})
    assert "--primary:#ffe066;--on-primary:#111111" in html


@pytest.mark.parametrize(
    ("session_settings", "present", "absent"),
    [
        ({"show_sidebar": True}, ['<aside class="sidebar"', 'class="consumer-card"'], ['class="topbar"']),
        ({"show_sidebar": False}, ['class="topbar"'], ["<aside", "consumer-card"]),
        ({"hide_consumer_card": True}, ['<aside class="sidebar"'], ["consumer-card"]),
        ({"sandbox_mode": True}, ['class="sandbox-banner"', "Sandbox mode"], []),
        ({"sandbox_mode": False}, [], ["sandbox-banner"]),
        ({"show_logs": True}, ['/logs">Logs</a>'], []),
        ({"show_logs": False}, [], [">Logs</a>"]),
        ({"show_suggestions": True}, ['/suggestions">Suggestions</a>'], []),
        ({"show_suggestions": False}, [], [">Suggestions</a>"]),
        ({"isolation_mode": True}, [], ['class="side-nav"', ">Integrations</a>"]),
    ],
)
async def test_layout_settings(
    client: httpx.AsyncClient, offering: Tenant, session_settings: dict[str, Any], present: list[str], absent: list[str]
) -> None:
    body = {"settings": session_settings, "consumer_metadata": {"account_name": "SpaceX"}}
    html = await _page(client, offering, body)
    for fragment in present:
        assert fragment in html, fragment
    for fragment in absent:
        assert fragment not in html, fragment


async def test_unified_apis_limit_the_list_and_are_enforced(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await open_session(client, offering, {"settings": {"unified_apis": ["crm"]}})
    html = (await client.get(opened.page())).text
    assert re.findall(r'<h2 id="group-([a-z-]+)">', html) == ["crm"]
    response = await client.get(opened.page("/integrations/hris/bamboohr"))
    assert response.status_code == 403 and "text/html" in response.headers["content-type"]
    response = await client.post(
        opened.page("/integrations/hris/bamboohr/connect"), data={"api_key": "k", "subdomain": "x"}, headers=SAME_ORIGIN
    )
    assert response.status_code == 403


async def test_integrations_are_searchable_and_connected_first(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await open_session(client, offering, {"settings": {"unified_apis": ["crm"]}})
    html = (await client.get(opened.page(), params={"q": "freshworks"})).text
    assert "Freshsales" in html and "Pipedrive" not in html
    assert (await client.post(
        opened.page("/integrations/crm/close/connect"), data={"api_key": "api_secret"}, headers=SAME_ORIGIN
    )).status_code == 303  # fmt: skip
    html = (await client.get(opened.page())).text
    names = re.findall(r'<span class="card-name">([^<]+)</span><span class="badge badge-([a-z]+)">', html)
    assert names[0] == ("Close", "callable") and all(state == "available" for _, state in names[1:])


async def test_connect_form_shows_inline_errors_then_connects(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await open_session(client, offering)
    empty = await client.post(
        opened.page("/integrations/crm/pipedrive/connect"), data={"api_token": ""}, headers=SAME_ORIGIN
    )
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text and "Enter your API token" in empty.text
    bad = await client.post(
        opened.page("/integrations/crm/pipedrive/connect"), data={"api_token": "nope"}, headers=SAME_ORIGIN
    )
    assert bad.status_code == 422 and "not in the expected format" in bad.text
    assert "nope" not in bad.text  # a sensitive value is never echoed back
    done = await _connect(client, opened)
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert 'id="connection-state">Connected<' in page.text
    assert PIPEDRIVE_TOKEN not in page.text
    event = re.search(r'data-vault-event="([^"]+)"', page.text)
    assert event and "connection_change" in event.group(1) and "callable" in event.group(1)


async def test_allow_actions_choose_the_buttons_and_the_server_enforces_them(
    client: httpx.AsyncClient, offering: Tenant
) -> None:
    opened = await open_session(client, offering, {"settings": {"allow_actions": ["reauthorize", "disable"]}})
    await _connect(client, opened)
    html = (await client.get(opened.page("/integrations/crm/pipedrive"))).text
    assert re.findall(r'data-action="([a-z]+)"', html) == ["disable", "reauthorize"]
    for action in ("delete", "disconnect"):
        response = await client.post(opened.page(f"/integrations/crm/pipedrive/{action}"), headers=SAME_ORIGIN)
        assert response.status_code == 403, action
        confirm = await client.get(opened.page(f"/integrations/crm/pipedrive/confirm/{action}"))
        assert confirm.status_code == 403
    none = await open_session(client, offering, {"settings": {"allow_actions": []}}, consumer_id="c9")
    await _connect(client, none)
    html = (await client.get(none.page("/integrations/crm/pipedrive"))).text
    assert "data-action=" not in html
    assert (await client.post(none.page("/integrations/crm/pipedrive/disable"), headers=SAME_ORIGIN)).status_code == 403


async def test_destructive_actions_are_confirmed_first(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await open_session(client, offering)
    await _connect(client, opened)
    html = (await client.get(opened.page("/integrations/crm/pipedrive"))).text
    assert 'href="' + opened.page("/integrations/crm/pipedrive/confirm/delete") + '"' in html
    confirm = await client.get(opened.page("/integrations/crm/pipedrive/confirm/disconnect"))
    assert "Disconnect Pipedrive?" in confirm.text and 'method="post"' in confirm.text
    done = await client.post(opened.page("/integrations/crm/pipedrive/disconnect"), headers=SAME_ORIGIN)
    page = await client.get(done.headers["location"])
    assert "Needs authorization" in page.text
    deleted = await client.post(opened.page("/integrations/crm/pipedrive/delete"), headers=SAME_ORIGIN)
    listing = await client.get(deleted.headers["location"])
    assert "Pipedrive connection deleted." in listing.text and "connection_delete" in listing.text


@pytest.mark.parametrize(
    ("session_settings", "present", "absent"),
    [
        ({"hide_guides": False}, ["How to connect Pipedrive"], []),
        ({"hide_guides": True}, [], ["How to connect Pipedrive"]),
        ({"hide_resource_settings": False}, ["Resource settings"], []),
        ({"hide_resource_settings": True}, [], ["Resource settings"]),
    ],
)
async def test_connection_page_settings(
    client: httpx.AsyncClient, offering: Tenant, session_settings: dict[str, Any], present: list[str], absent: list[str]
) -> None:
    opened = await open_session(client, offering, {"settings": session_settings})
    await _connect(client, opened)
    html = (await client.get(opened.page("/integrations/crm/pipedrive"))).text
    for fragment in present:
        assert fragment in html
    for fragment in absent:
        assert fragment not in html


async def test_the_title_of_a_connection_page_with_resource_settings_is_plain_text(
    client: httpx.AsyncClient, offering: Tenant
) -> None:
    """Regression: the resource-settings <details>/<form> once sat inside {% block title %}."""
    opened = await open_session(client, offering, {"theme": {"vault_name": "Acme"}})
    await _connect(client, opened)
    html = (await client.get(opened.page("/integrations/crm/pipedrive"))).text
    assert "Save resource settings" in html  # Pipedrive has configurable resources: the panel is shown
    assert re.findall(r"<title>(.*?)</title>", html, re.DOTALL) == ["Pipedrive · Acme Vault"]
    assert html.count('id="resources"') == 1


async def test_auto_redirect_sends_a_callable_connection_back(client: httpx.AsyncClient, offering: Tenant) -> None:
    body = {"redirect_uri": "https://mysaas.com/dashboard?tab=1", "settings": {"auto_redirect": True}}
    opened = await open_session(client, offering, body)
    done = await _connect(client, opened)
    html = (await client.get(done.headers["location"])).text
    assert 'data-auto-redirect="https://mysaas.com/dashboard?tab=1&amp;authorizedConnection=pipedrive"' in html
    plain = await open_session(client, offering, {**body, "settings": {"auto_redirect": False}}, consumer_id="c2")
    done = await _connect(client, plain)
    assert "data-auto-redirect" not in (await client.get(done.headers["location"])).text


async def test_isolation_mode_shows_only_the_connection_at_hand(client: httpx.AsyncClient, offering: Tenant) -> None:
    token = (
        await client.post("/vault/sessions", headers=offering.headers(), json={"settings": {"isolation_mode": True}})
    ).json()
    opened = await client.get(f"/session/{token['data']['session_token']}", params={"service_id": "pipedrive"})
    location = opened.headers["location"]
    assert location.endswith("/integrations/crm/pipedrive")
    html = (await client.get(location)).text
    assert "All integrations" not in html and "side-nav" not in html
    base = "/".join(location.split("/")[:3])
    back = await client.get(base + "/integrations")
    assert back.status_code == 303 and back.headers["location"] == location


async def test_logs_and_suggestions_pages(app: FastAPI, client: httpx.AsyncClient, offering: Tenant) -> None:
    for consumer in ("peer-1", "peer-2"):
        peer = await open_session(client, offering, consumer_id=consumer)
        await client.post(peer.page("/integrations/crm/close/connect"), data={"api_key": "api_k"}, headers=SAME_ORIGIN)
    opened = await open_session(client, offering, {"settings": {"show_suggestions": True, "unified_apis": ["crm"]}})
    html = (await client.get(opened.page("/suggestions"))).text
    names = re.findall(r'<span class="card-name">([^<]+)</span>', html)
    assert names[0] == "Close" and "Connected by 2 other accounts" in html
    await flush_logs(app)
    logs = (await client.get(opened.page("/logs"))).text
    assert "Create Session" in logs and "POST /vault/sessions" in logs  # the backend's mint, logged
    hidden = await open_session(client, offering, {"settings": {"show_logs": False}}, consumer_id="c3")
    assert (await client.get(hidden.page("/logs"))).status_code == 404
    assert (await client.get(hidden.page("/suggestions"))).status_code == 404


async def test_pages_carry_a_strict_csp_and_frame_ancestors(app: FastAPI, client: httpx.AsyncClient) -> None:
    closed = await create_tenant(app, name="No embedding")
    opened = await open_session(client, closed)
    response = await client.get(opened.page())
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'<style nonce="{nonce.group(1)}">' in response.text
    assert "<script>" not in response.text  # only <script src=…>
    embeddable = await create_tenant(app, name="Embeds", embed_origins=("https://app.example.com",))
    opened = await open_session(client, embeddable)
    csp = (await client.get(opened.page())).headers["content-security-policy"]
    assert csp.endswith("frame-ancestors https://app.example.com")


async def test_state_changing_requests_need_our_own_origin(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await open_session(client, offering)
    url = opened.page("/integrations/crm/pipedrive/connect")
    data = {"api_token": PIPEDRIVE_TOKEN}
    for headers in ({}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        response = await client.post(url, data=data, headers=headers)
        assert response.status_code == 403, headers
        assert "text/html" in response.headers["content-type"]
    assert (await client.post(url, data=data, headers={"Sec-Fetch-Site": "same-origin"})).status_code == 303


async def test_embedding_is_limited_to_the_applications_origins(app: FastAPI, client: httpx.AsyncClient) -> None:
    tenant = await create_tenant(app, name="Embeds", embed_origins=("https://app.example.com",))
    token = (await client.post("/vault/sessions", headers=tenant.headers(), json={})).json()["data"]["session_token"]
    refused = await client.get(f"/session/{token}", params={"embedded": "1", "origin": "https://evil.example"})
    assert refused.status_code == 403 and "not allowed to open the vault" in refused.text
    assert "set-cookie" not in refused.headers
    allowed = await client.get(f"/session/{token}", params={"embedded": "1", "origin": "https://app.example.com"})
    assert allowed.status_code == 303
    html = (await client.get(allowed.headers["location"])).text
    assert 'data-embed-origin="https://app.example.com"' in html
    assert "<aside" not in html and "data-vault-close" in html


async def test_embedded_session_on_https_opens(settings: Settings) -> None:
    """Vault JS on an https deployment: the session cookie is ``SameSite=None; Secure; Partitioned``.
    Starlette's set_cookie(partitioned=True) raises before Python 3.14, which made this a 500."""
    https = settings.model_copy(update={"public_url": "https://vault.test"})
    application = create_app(https)
    async with application.router.lifespan_context(application):
        tenant = await create_tenant(application, name="Embeds", embed_origins=("https://app.example.com",))
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://vault.test") as browser:
            token = await mint(browser, tenant, {})
            opened = await browser.get(
                f"/session/{token}", params={"embedded": "1", "origin": "https://app.example.com"}
            )
            assert opened.status_code == 303, opened.text
            session_cookie = next(
                c for c in opened.headers.get_list("set-cookie") if c.startswith("vaultline_session=")
            )
            assert "; Secure" in session_cookie and "SameSite=none" in session_cookie
            assert session_cookie.endswith("; Partitioned")
            page = await browser.get(opened.headers["location"])
            assert page.status_code == 200 and 'data-embed-origin="https://app.example.com"' in page.text


async def test_static_files_and_vault_js(client: httpx.AsyncClient, offering: Tenant) -> None:
    html = await _page(client, offering, {})
    css_url = re.search(r'href="(/hosted-static/[0-9a-f]+/vault\.css)"', html)
    assert css_url
    css = await client.get(css_url.group(1))
    assert css.status_code == 200 and "immutable" in css.headers["cache-control"]
    script = await client.get("/vault.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "window.ApideckVault" in script.text and "max-age=300" in script.headers["cache-control"]
    assert (await client.get("/hosted-static/x/nothing.js")).status_code == 404
