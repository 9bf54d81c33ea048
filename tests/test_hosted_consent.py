"""The Hosted Vault's consent panel (hosted/consent_panel.py) and the credentials read's consent
check (oauth/credentials.py), in-process on both backends: the panel shows only while consent is
needed, its three decisions go through the API's flow (records, event, health), the session's
rules hold on the POST, every language has it, and a backend cannot read what was not agreed to."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN
from tests.support.consents import connect_pipedrive, require_scopes
from tests.support.hosted import SAME_ORIGIN, OpenedSession, mint
from tests.support.tenants import Tenant
from tests.support.webhooks import outbox
from vaultline.runtime import Runtime
from vaultline.store.applications import get_application

CONNECTION = "/vault/connections/crm/pipedrive"
PAGE = "/integrations/crm/pipedrive"
CONTACT_EMAIL = {"crm.contacts": {"email": {"read": True, "write": False}}}
CONTACTS_AND_DEALS = {
    "crm.contacts": {"email": {"read": True}, "first_name": {"read": True, "write": True}},
    "crm.deals": {"value": {"read": True}},
}
# The panel's English words: none of them may show on a page in another language.
ENGLISH = [
    "asks for your consent",
    "would like to use this data",
    "Can see",
    "Can change",
    ">Allow<",
    "allow</button>",
    "withdraw your consent at any time",
    "Needs your consent",
    "What you allowed",
    "Withdraw consent",
    "Your consent",
    "You allowed",
]


@pytest.fixture
async def connected(app: FastAPI, tenant: Tenant, client: httpx.AsyncClient) -> dict[str, str]:
    """Consumer c1's callable Pipedrive connection; the application's webhook is set (events kept)."""
    return await connect_pipedrive(app, tenant, client)


async def open_vault(client: httpx.AsyncClient, tenant: Tenant, locale: str = "en", **settings: Any) -> OpenedSession:
    token = await mint(client, tenant, {"settings": settings} if settings else {}, "c1")
    response = await client.get(f"/session/{token}?locale={locale}")
    assert response.status_code == 303, response.text
    base = "/".join(response.headers["location"].split("/")[:3])
    return OpenedSession(token, base.split("/")[2], base)


async def page(client: httpx.AsyncClient, opened: OpenedSession, path: str = PAGE) -> str:
    response = await client.get(opened.page(path))
    assert response.status_code == 200, response.text
    return response.text


async def app_name_of(app: FastAPI, tenant: Tenant) -> str:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=tenant.application_id)
    return application.name if application is not None else ""


def consent_state_shown(html: str) -> str | None:
    match = re.search(r'data-consent-state="([a-z_]+)"', html)
    return match.group(1) if match else None


def scopes_version(html: str) -> str:
    match = re.search(r'name="scopes_version" value="([0-9]*)"', html)
    assert match, html
    return match.group(1)


async def decide(client: httpx.AsyncClient, opened: OpenedSession, decision: str, version: str = "") -> httpx.Response:
    return await client.post(
        opened.page(PAGE + "/consent"), data={"decision": decision, "scopes_version": version}, headers=SAME_ORIGIN
    )


async def connection_of(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(CONNECTION, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_no_panel_while_the_application_asks_for_no_consent(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    opened = await open_vault(client, tenant)
    assert consent_state_shown(await page(client, opened)) is None
    await require_scopes(app, tenant, CONTACT_EMAIL, enabled=False)
    assert consent_state_shown(await page(client, opened)) is None
    await require_scopes(app, tenant, CONTACT_EMAIL)
    assert consent_state_shown(await page(client, opened, "/integrations/accounting/xero")) is None  # no connection


async def test_the_panel_names_the_application_and_what_it_asks_for(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACTS_AND_DEALS)
    opened = await open_vault(client, tenant)
    html = await page(client, opened)
    assert consent_state_shown(html) == "pending"
    app_name = re.search(r"<h2 id=\"consent-title\">(.+) asks for your consent</h2>", html)
    assert app_name and app_name.group(1) == (await app_name_of(app, tenant)) and "from your Pipedrive account" in html
    panel = html[html.index('id="consent"') : html.index("</section>", html.index('id="consent"'))]
    assert "Contacts" in panel and "Deals" in panel and "CRM" in panel
    assert "First name" in panel and "Email" in panel and "Value" in panel and "crm.contacts" not in panel
    see, change = panel.index("Can see"), panel.index("Can change")
    assert see < panel.index("First name") and change < panel.rindex("First name")  # seen and changed
    assert 'value="allow"' in panel and 'value="deny"' in panel and 'value="withdraw"' not in panel
    integrations = await page(client, opened, "/integrations")
    assert "badge-needs_consent" in integrations and "Needs your consent" in integrations


async def test_allow_grants_through_the_api_flow(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    assert (await connection_of(client, connected))["health"] == "needs_consent"
    opened = await open_vault(client, tenant)
    events = len(await outbox(app, tenant.application_id))
    response = await decide(client, opened, "allow", scopes_version(await page(client, opened)))
    assert response.status_code == 303 and response.headers["location"] == opened.page(PAGE)
    data = await connection_of(client, connected)
    assert (data["consent_state"], data["health"]) == ("granted", "ok")
    assert (data["latest_consent"]["granted"], data["latest_consent"]["resources"]) == (True, CONTACT_EMAIL)
    sent = await outbox(app, tenant.application_id)
    assert len(sent) == events + 1 and sent[-1]["type"] == "vault.connection.updated"
    html = await page(client, opened)
    assert "your consent was recorded" in html  # the flash, once
    assert consent_state_shown(html) == "granted" and "You allowed" in html and 'value="withdraw"' in html
    assert 'value="allow"' not in html and "badge-needs_consent" not in html


async def test_dont_allow_records_denied_and_withdraw_records_revoked(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    opened = await open_vault(client, tenant)
    assert (await decide(client, opened, "deny")).status_code == 303
    assert (await connection_of(client, connected))["consent_state"] == "denied"
    html = await page(client, opened)
    assert consent_state_shown(html) == "denied" and 'value="allow"' in html and 'value="deny"' not in html
    assert (await decide(client, opened, "allow", scopes_version(html))).status_code == 303
    assert (await decide(client, opened, "withdraw")).status_code == 303
    data = await connection_of(client, connected)
    assert (data["consent_state"], data["health"]) == ("revoked", "needs_consent")
    assert [record["granted"] for record in data["consents"]] == [False, True, False]
    assert consent_state_shown(await page(client, opened)) == "revoked"


async def test_reconsent_says_what_is_new(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    opened = await open_vault(client, tenant)
    await decide(client, opened, "allow", scopes_version(await page(client, opened)))
    await require_scopes(app, tenant, CONTACTS_AND_DEALS)
    html = await page(client, opened)
    assert consent_state_shown(html) == "requires_reconsent" and "now asks for more" in html
    new = re.findall(r'<span class="chip chip-new">([^<]+) <mark', html)
    assert sorted(new) == ["First name", "First name", "Value"]  # seen and changed, and the deals' value
    assert re.findall(r'<span class="chip">([^<]+)</span>', html) == ["Email"]  # granted before


async def test_an_allow_for_scopes_the_page_did_not_show_records_nothing(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    opened = await open_vault(client, tenant)
    shown = scopes_version(await page(client, opened))
    await require_scopes(app, tenant, CONTACTS_AND_DEALS)  # widened while the consumer was reading
    assert (await decide(client, opened, "allow", shown)).status_code == 303
    assert (await connection_of(client, connected))["consents"] == []
    html = await page(client, opened)
    assert "changed while you were reading" in html and consent_state_shown(html) == "pending"


async def test_the_post_keeps_the_session_rules(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    outside = await open_vault(client, tenant, unified_apis=["accounting"])
    assert (await decide(client, outside, "allow")).status_code == 403
    no_actions = await open_vault(client, tenant, allow_actions=[])  # consent needs no allow_actions entry
    assert (await decide(client, no_actions, "deny")).status_code == 303
    cross_site = await client.post(
        no_actions.page(PAGE + "/consent"), data={"decision": "withdraw"}, headers={"Origin": "https://evil.test"}
    )
    assert cross_site.status_code == 403
    assert (await decide(client, no_actions, "maybe")).status_code == 400
    assert [r["granted"] for r in (await connection_of(client, connected))["consents"]] == [False]


@pytest.mark.parametrize("locale", ["nl", "fr", "de", "es", "ja"])
async def test_the_panel_speaks_every_language(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str], locale: str
) -> None:
    await require_scopes(app, tenant, CONTACT_EMAIL)
    opened = await open_vault(client, tenant, locale)
    pending = await page(client, opened)
    integrations = await page(client, opened, "/integrations")  # the "needs consent" badge
    await decide(client, opened, "allow", scopes_version(pending))
    granted = await page(client, opened)
    assert "badge-needs_consent" in integrations
    for html in (pending, granted, integrations):
        untranslated = [english for english in ENGLISH if english in html]
        assert untranslated == [], (locale, untranslated)
    assert consent_state_shown(pending) == "pending" and consent_state_shown(granted) == "granted"


async def test_credentials_are_refused_until_the_consumer_consents(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, connected: dict[str, str]
) -> None:
    assert (await client.get(CONNECTION + "/credentials", headers=connected)).status_code == 200  # implicit
    await require_scopes(app, tenant, CONTACT_EMAIL)
    refused = await client.get(CONNECTION + "/credentials", headers=connected)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert (body["status_code"], body["type_name"]) == (403, "ForbiddenError")
    assert "consent" in body["message"] and body["detail"] == {"consent_state": "pending"}
    assert set(body) == {"status_code", "error", "type_name", "message", "detail", "ref"}
    opened = await open_vault(client, tenant)
    await decide(client, opened, "allow", scopes_version(await page(client, opened)))
    read = await client.get(CONNECTION + "/credentials", headers=connected)
    assert read.status_code == 200, read.text
    assert read.json()["data"]["settings"]["api_token"] == PIPEDRIVE_TOKEN
    await decide(client, opened, "withdraw")
    withdrawn = await client.get(CONNECTION + "/credentials", headers=connected)
    assert withdrawn.status_code == 403 and withdrawn.json()["detail"] == {"consent_state": "revoked"}
