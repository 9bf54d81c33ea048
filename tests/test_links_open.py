"""Opening a Vault link (``GET /link/{secret}``) on both backends, each client a browser with its
own cookies: a fresh session per opening; a single-use link bound to the first browser; expired,
revoked, used and unknown links refused with a page; failed lookups throttled; the secret never
in the access log; openings in the consumer logs and as events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import PUBLIC_URL
from tests.support.consumer_logs import read_logs
from tests.support.tenants import Tenant, create_tenant
from tests.support.webhooks import outbox, point_webhook
from vaultline.app import create_app
from vaultline.config import Settings

HOUR_MS = 3600 * 1000


async def create_link(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/vault/links", headers=tenant.headers("alice"), json=body or {})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def browser(app: FastAPI, base_url: str = PUBLIC_URL) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def session_id_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/hosted/") and location.endswith("/integrations")
    return location.split("/")[2]


async def test_a_single_use_link_opens_again_in_its_browser_and_is_refused_in_another(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    link = await create_link(client, tenant)
    async with browser(app) as first, browser(app) as second:
        opened = await first.get(path_of(link["url"]))
        session_id = session_id_of(opened)
        cookies = opened.headers.get_list("set-cookie")
        binding = [c for c in cookies if c.startswith(f"vaultline_link_{link['id']}=")]
        assert len(binding) == 1
        attributes = binding[0].lower()
        assert "httponly" in attributes and "samesite=lax" in attributes and "path=/link/" in attributes
        assert "secure" not in attributes  # http: a Secure cookie would never come back
        assert any(c.startswith("vaultline_session=") for c in cookies)
        page = await first.get(opened.headers["location"])
        assert page.status_code == 200 and "Integrations" in page.text

        again = await first.get(path_of(link["url"]))
        assert session_id_of(again) != session_id  # each visit mints a fresh session

        refused = await second.get(path_of(link["url"]))
        assert refused.status_code == 403
        assert "already used" in refused.text and 'data-reason="link-used"' in refused.text
        assert not any(c.startswith("vaultline_session=") for c in refused.headers.get_list("set-cookie"))
        assert refused.headers["content-security-policy"].startswith("default-src 'none'")

        # A forged binding cookie is no way in either.
        second.cookies.set(f"vaultline_link_{link['id']}", "A" * 43, domain="vault.test", path="/link/")
        assert (await second.get(path_of(link["url"]))).status_code == 403

    view = (await client.get(f"/vault/links/{link['id']}", headers=tenant.headers(None))).json()["data"]
    assert view["bound"] is True and view["open_count"] == 2 and view["first_opened_at"] is not None
    sessions = (await client.get("/vault/sessions", headers=tenant.headers("alice"))).json()["data"]
    assert len(sessions) == 2 and all(s["state"] == "active" for s in sessions)


async def test_a_multi_use_link_opens_in_any_browser(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    settings = {"session_length": "30m", "unified_apis": ["crm"], "allow_actions": ["disconnect"]}
    link = await create_link(client, tenant, {"single_use": False, "settings": settings})
    async with browser(app) as first, browser(app) as second:
        one = session_id_of(await first.get(path_of(link["url"])))
        two = session_id_of(await second.get(path_of(link["url"])))
    assert one != two
    detail = (await client.get(f"/vault/sessions/{one}", headers=tenant.headers(None))).json()["data"]
    stored = detail["settings"]  # the session body stored with the link
    assert stored["session_length"] == "30m" and stored["unified_apis"] == ["crm"]
    assert stored["allow_actions"] == ["disconnect"]


async def test_an_expired_link_gets_its_page_and_one_event(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/hook")
    link = await create_link(client, tenant, {"expires_in": 3600})
    runtime = app.state.runtime
    real_clock = runtime.clock
    async with browser(app) as first:
        assert (await first.get(path_of(link["url"]))).status_code == 303
        runtime.clock = lambda: real_clock() + HOUR_MS + 1000  # an hour and a second later
        for _ in range(2):
            expired = await first.get(path_of(link["url"]))
            assert expired.status_code == 410 and "has expired" in expired.text
            assert 'data-reason="link-expired"' in expired.text
    view = (await client.get(f"/vault/links/{link['id']}", headers=tenant.headers(None))).json()["data"]
    assert view["state"] == "expired"
    types = [e["type"] for e in await outbox(app, tenant.application_id)]
    assert types == ["vault.link.created", "vault.link.opened", "vault.link.expired"]


async def test_a_revoked_link_gets_its_page(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    link = await create_link(client, tenant)
    async with browser(app) as first:
        assert (await first.get(path_of(link["url"]))).status_code == 303
        await client.delete(f"/vault/links/{link['id']}", headers=tenant.headers(None))
        revoked = await first.get(path_of(link["url"]))
    assert revoked.status_code == 410 and "withdrawn" in revoked.text
    assert not any(c.startswith("vaultline_session=") for c in revoked.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    "path",
    [
        "/link/vl_link_" + "A" * 43,  # well-formed, unknown
        "/link/nonsense",
        "/link/" + "x" * 3000,
        "/link/vl_link_%C3%A9%E2%80%AE",
    ],
)
async def test_unknown_and_malformed_links_get_the_invalid_page(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html") and "not valid" in response.text


@pytest.fixture
async def throttled_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"auth_throttle_failures": 3, "access_log": True}))
    async with application.router.lifespan_context(application):
        yield application


async def test_failed_lookups_are_throttled_and_the_secret_never_reaches_the_access_log(
    throttled_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await create_tenant(throttled_app, name="Throttled SaaS")
    caplog.set_level(logging.INFO, logger="vaultline.access")
    async with browser(throttled_app) as guesser:
        link = await create_link(guesser, tenant)
        assert (await guesser.get(path_of(link["url"]))).status_code == 303
        statuses = [(await guesser.get("/link/vl_link_" + str(n) * 43)).status_code for n in range(5)]
        assert statuses == [404, 404, 404, 429, 429]
        throttled = await guesser.get("/link/vl_link_" + "9" * 43)
        assert throttled.headers["content-type"].startswith("text/html") and "retry-after" in throttled.headers
    secret = link["url"].rsplit("/", 1)[1]
    lines = [record.getMessage() for record in caplog.records if record.name == "vaultline.access"]
    assert any(line.startswith("GET /link/[redacted] 303") for line in lines), lines
    assert not any(secret in line or "vl_link_" in line for line in lines)


async def test_openings_are_consumer_log_rows_and_events(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await point_webhook(app, tenant.application_id, "http://127.0.0.1:9/hook")
    link = await create_link(client, tenant)
    async with browser(app) as first, browser(app) as second:
        session_id = session_id_of(await first.get(path_of(link["url"])))
        assert (await second.get(path_of(link["url"]))).status_code == 403
    logs = await read_logs(app, client, tenant.headers("alice"))
    rows = [(row["http_method"], row["path"], row["status_code"], row["operation"]["id"]) for row in logs]
    link_path = f"/link/[{link['id']}]"
    assert ("GET", link_path, 303, "vaultLinkOpen") in rows and ("GET", link_path, 403, "vaultLinkOpen") in rows
    assert not any("vl_link_" in str(row) for row in logs)
    events = await outbox(app, tenant.application_id)
    opened = [e for e in events if e["type"] == "vault.link.opened"]
    assert len(opened) == 1
    assert opened[0]["payload"]["payload"]["session_id"] == session_id
    assert "vl_link_" not in str(events)


async def test_https_binding_cookie_is_secure(settings: Settings) -> None:
    secure_app = create_app(settings.model_copy(update={"public_url": "https://vault.test"}))
    async with secure_app.router.lifespan_context(secure_app):
        tenant = await create_tenant(secure_app, name="Secure SaaS")
        async with browser(secure_app, "https://vault.test") as first:
            link = await create_link(first, tenant)
            assert link["url"].startswith("https://vault.test/link/")
            opened = await first.get(path_of(link["url"]))
    binding = [c for c in opened.headers.get_list("set-cookie") if c.startswith("vaultline_link_")]
    assert len(binding) == 1 and "secure" in binding[0].lower() and "samesite=lax" in binding[0].lower()


async def test_two_browsers_opening_at_once_bind_the_link_to_exactly_one(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    link = await create_link(client, tenant)
    browsers = [browser(app) for _ in range(4)]
    try:
        answers = await asyncio.gather(*(b.get(path_of(link["url"])) for b in browsers))
        assert sorted(a.status_code for a in answers) == [303, 403, 403, 403]
        [winner] = [b for b, a in zip(browsers, answers, strict=True) if a.status_code == 303]
        assert (await winner.get(path_of(link["url"]))).status_code == 303  # and it keeps working there
    finally:
        for b in browsers:
            await b.aclose()
