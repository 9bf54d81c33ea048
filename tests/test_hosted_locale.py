"""Which language the Hosted Vault speaks, in-process: the ``locale`` query parameter of the
session link, else the browser's Accept-Language, else English; chosen once when the link is
opened and kept for the session's pages (and its error pages); bad values are ignored, never
a 500. (tests/browser/test_i18n_pages.py walks every page in every language in Chromium.)"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import PUBLIC_URL
from tests.support.connections import offer
from tests.support.consumer_logs import flush_logs
from tests.support.hosted import SAME_ORIGIN, OpenedSession, expired_token, mint
from tests.support.tenants import Tenant
from vaultline.i18n.locales import choose_locale, from_accept_language, supported_locale
from vaultline.oauth.provider_disconnect import disconnect_url, mint_disconnect_token
from vaultline.runtime import Runtime


@pytest.fixture
async def offering(app: FastAPI, tenant: Tenant) -> Tenant:
    await offer(app, tenant)
    return tenant


async def _open(
    client: httpx.AsyncClient, tenant: Tenant, query: str = "", accept_language: str | None = None
) -> OpenedSession:
    token = await mint(client, tenant, {"settings": {"show_logs": True}})
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = await client.get(f"/session/{token}{query}", headers=headers)
    assert response.status_code == 303, response.text
    base = "/".join(response.headers["location"].split("/")[:3])
    return OpenedSession(token, base.split("/")[2], base)


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match, html[:200]
    return match.group(1)


def test_tags_and_accept_language_headers_are_read_as_browsers_send_them() -> None:
    assert supported_locale("de-AT") == supported_locale("DE") == supported_locale("de_CH") == "de"
    assert supported_locale("pt-BR") is None and supported_locale("") is None and supported_locale("<x>") is None
    assert from_accept_language("pt-BR,pt;q=0.9,fr;q=0.8,de;q=0.9") == "de"  # highest q we speak
    assert from_accept_language("ja;q=0.5, nl;q=0.5") == "ja"  # a tie keeps the header's order
    assert from_accept_language("fr;q=0, es") == "es"  # q=0 means "not this one"
    assert from_accept_language("*;q=0.5,;;;,q=,en-GB;q=bogus") is None
    assert choose_locale("xx", "nl", accept_language="fr") == "nl"
    assert choose_locale(None, accept_language=None) == "en"


async def test_the_locale_query_parameter_picks_the_language_and_it_sticks(
    client: httpx.AsyncClient, offering: Tenant
) -> None:
    opened = await _open(client, offering, "?locale=de", accept_language="fr-FR,fr;q=0.9")
    page = (await client.get(opened.page(), headers={"Accept-Language": "ja"})).text
    assert _lang(page) == "de"
    assert "<h1>Integrationen</h1>" in page and "Nicht verbunden" in page
    assert "<h1>Integrations</h1>" not in page
    # Every later page of the session, whatever the browser says now.
    logs = (await client.get(opened.page("/logs"), headers={"Accept-Language": "es"})).text
    assert _lang(logs) == "de" and "<h1>Protokolle</h1>" in logs
    pipedrive = (await client.get(opened.page("/integrations/crm/pipedrive"))).text
    assert "Pipedrive verbinden" in pipedrive and "Ihr persönliches API-Token" in pipedrive  # catalog texts too


async def test_accept_language_is_used_without_a_query_parameter(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await _open(client, offering, accept_language="es-MX, en;q=0.5")
    page = (await client.get(opened.page())).text
    assert _lang(page) == "es" and "<h1>Integraciones</h1>" in page


async def test_no_preference_we_speak_is_english(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await _open(client, offering, "?locale=klingon", accept_language="pt-BR")
    page = (await client.get(opened.page())).text
    assert _lang(page) == "en" and "<h1>Integrations</h1>" in page


@pytest.mark.parametrize("bad", ["%00", "x" * 36, "de-" + "a" * 30, "ja\u00e9"])
async def test_a_malformed_locale_parameter_is_ignored_never_a_500(
    client: httpx.AsyncClient, offering: Tenant, bad: str
) -> None:
    token = await mint(client, offering, {})
    response = await client.get(f"/session/{token}", params={"locale": bad}, headers={"Accept-Language": "nl"})
    assert response.status_code in (303, 400), response.text
    if response.status_code == 303:
        page = await client.get(response.headers["location"])
        assert _lang(page.text) == "nl"
    else:
        assert response.headers["content-type"].startswith("text/html")


async def test_a_tampered_view_cookie_falls_back_to_english(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await _open(client, offering, "?locale=ja")
    for value in ("l=zz", "l=ja&e=1&f=2&x=3&y=4&z=5"):  # unknown language; more fields than we write
        client.cookies.set("vaultline_view", value, path=opened.base)
        response = await client.get(opened.page())
        assert response.status_code == 200 and _lang(response.text) == "en"


async def test_error_pages_speak_the_requested_language(
    app: FastAPI, client: httpx.AsyncClient, offering: Tenant
) -> None:
    expired = await expired_token(app, offering)
    page = await client.get(f"/session/{expired}?locale=ja")
    assert page.status_code == 401 and _lang(page.text) == "ja"
    assert "このセッションは期限切れです" in page.text
    invalid = await client.get("/session/not-a-token", headers={"Accept-Language": "fr"})
    assert invalid.status_code == 401 and "Ce lien n’est pas valide" in invalid.text
    # Inside an open session, the session's language: a 404 and a refused post.
    opened = await _open(client, offering, "?locale=nl")
    missing = await client.get(opened.page("/suggestions"), headers={"Accept-Language": "de"})
    assert missing.status_code == 404 and "Pagina niet gevonden" in missing.text
    # A message the page raised in the session's language is shown as it is...
    unconnected = await client.post(opened.page("/integrations/crm/pipedrive/disconnect"), headers=SAME_ORIGIN)
    assert unconnected.status_code == 422 and "Pipedrive is niet gekoppeld" in unconnected.text
    # ...an English one from below the pages gives way to a translated explanation of its kind.
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    refused = await client.post(opened.page("/integrations/crm/pipedrive/disable"), headers=cross_site)
    assert refused.status_code == 403 and _lang(refused.text) == "nl" and "Dit is niet toegestaan" in refused.text
    assert "Dit is in deze sessie niet toegestaan." in refused.text and "another site" not in refused.text


async def test_form_errors_and_notices_are_translated(client: httpx.AsyncClient, offering: Tenant) -> None:
    opened = await _open(client, offering, "?locale=fr")
    path = opened.page("/integrations/crm/pipedrive")
    wrong = await client.post(path + "/connect", data={"api_token": "nope"}, headers=SAME_ORIGIN)
    assert wrong.status_code == 422
    assert "Veuillez corriger les champs signalés." in wrong.text
    assert "Jeton d’API n’est pas au format attendu." in wrong.text
    empty = await client.post(path + "/connect", data={"api_token": ""}, headers=SAME_ORIGIN)
    assert "Saisissez votre Jeton d’API" in empty.text
    connected = await client.post(path + "/connect", data={"api_token": "0" * 40}, headers=SAME_ORIGIN)
    assert connected.status_code == 303
    page = (await client.get(path)).text
    assert '<div class="notice" role="status">Connecté.</div>' in page
    assert '<span class="badge badge-callable" id="connection-state">Connecté</span>' in page


async def test_dates_in_the_logs_are_written_the_locale_s_way(
    app: FastAPI, client: httpx.AsyncClient, offering: Tenant
) -> None:
    pages: dict[str, Any] = {}
    for locale in ("en", "de", "ja"):
        opened = await _open(client, offering, f"?locale={locale}")
        await flush_logs(app)
        pages[locale] = (await client.get(opened.page("/logs"))).text
    # The operation is named in the language too (its route's summary is in the catalog).
    assert "Create Session" in pages["en"] and "Sitzung erstellen" in pages["de"] and "セッションの作成" in pages["ja"]
    shown = {locale: re.search(r'<time datetime="[^"]+">([^<]+)</time>', html) for locale, html in pages.items()}
    assert all(shown.values()), pages["en"][-2000:]
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2}\s[AP]M", shown["en"].group(1))  # type: ignore[union-attr]
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2}", shown["de"].group(1))  # type: ignore[union-attr]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}:\d{2}", shown["ja"].group(1))  # type: ignore[union-attr]


async def test_the_provider_disconnect_page_speaks_the_browser_s_language(
    app: FastAPI, client: httpx.AsyncClient, offering: Tenant
) -> None:
    runtime: Runtime = app.state.runtime
    token = mint_disconnect_token(
        runtime, application_id=offering.application_id, service_id="hubspot", consumer_id="c1"
    )
    path = urlsplit(disconnect_url(runtime, token, "hubspot")).path
    page = await client.get(path, headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"})
    assert page.status_code == 200, page.text
    assert _lang(page.text) == "ja" and "HubSpot の接続は解除されました" in page.text
    english = await client.get(path)
    assert _lang(english.text) == "en" and "HubSpot is disconnected" in english.text


async def test_a_vault_link_opens_in_its_locale_and_refuses_in_it(
    app: FastAPI, client: httpx.AsyncClient, offering: Tenant
) -> None:
    created = await client.post("/vault/links", headers=offering.headers("c9"), json={"locale": "es-ES"})
    assert created.status_code == 201, created.text
    path = "/" + created.json()["data"]["url"].split("/", 3)[3]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as first:
        opened = await first.get(path, headers={"Accept-Language": "de"})  # the link's language wins
        assert opened.status_code == 303, opened.text
        page = await first.get(opened.headers["location"])
        assert _lang(page.text) == "es" and "<h1>Integraciones</h1>" in page.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as second:
        refused = await second.get(path)  # single-use: another browser is refused, in Spanish
        assert refused.status_code == 403 and _lang(refused.text) == "es"
        assert "Este enlace ya se ha usado" in refused.text
    unknown = await client.get("/link/vl_link_unknown", headers={"Accept-Language": "ja"})
    assert _lang(unknown.text) == "ja" and "このリンクは無効です" in unknown.text
