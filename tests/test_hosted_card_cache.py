"""The Hosted Vault's integration cards are cached by everything a card shows
(hosted/card_cache.py): a cached card is byte for byte what the template renders, and a
change made on another instance (a connection disabled, an integration no longer offered)
shows on the next page of every instance (two apps on one database, both backends)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial

import httpx
import pytest
from fastapi import FastAPI

from tests.support.connections import PIPEDRIVE_TOKEN, offer
from tests.support.hosted import open_session
from tests.support.tenants import create_tenant
from tests.test_app_config_freshness import running
from vaultline.config import Settings
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import offered_connections
from vaultline.hosted.presentation import badge_for
from vaultline.hosted.rendering import PageRenderer
from vaultline.runtime import Runtime
from vaultline.store.integrations import set_integrations_enabled

CONSUMER = "c1"


@pytest.fixture
async def instances(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient]]:
    async with running(settings) as (app_a, http_a), running(settings) as (app_b, http_b):
        yield app_a, http_a, app_b, http_b


def _pipedrive_card(html: str) -> str:
    cards = [card for card in re.findall(r'<li class="card-item".*?</li>', html, re.S) if "/crm/pipedrive" in card]
    assert len(cards) == 1, html
    return cards[0]


async def test_cached_cards_are_what_the_template_renders_for_every_state(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, _, _ = instances
    runtime: Runtime = app_a.state.runtime
    tenant = await create_tenant(app_a, name="Acme SaaS")
    await offer(app_a, tenant)
    body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    patched = await http_a.patch("/vault/connections/crm/pipedrive", headers=tenant.headers(CONSUMER), json=body)
    assert patched.status_code == 200, patched.text
    items = await offered_connections(runtime, ConnectionsCaller(tenant.application_id, CONSUMER, None))
    renderer: PageRenderer = app_a.state.hosted_renderer
    english = renderer.translator("en")
    assert len({badge_for(item, english).key for item in items}) >= 2, "a connected card and available ones"

    included = renderer.environment.from_string(
        '{% for item in items %}{% with why = None %}{% include "_card.html" %}{% endwith %}{% endfor %}'
    )
    base_path = "/hosted/some-session"
    rendered = {}
    for locale in ("en", "ja", "en"):  # each language its own cards (badges are translated)
        translator = renderer.translator(locale)
        expected = included.render(
            items=items, page={"base_path": base_path}, badge_for=partial(badge_for, translator=translator)
        )
        for _ in range(2):  # rendered, then from the cache
            cards = [renderer.cards.render(item, base_path=base_path, translator=translator) for item in items]
            assert "".join(cards) == expected
        rendered[locale] = expected
    assert "Not connected" in rendered["en"] and "未接続" in rendered["ja"] and "Not connected" not in rendered["ja"]


async def test_a_change_on_another_instance_shows_on_the_next_page(
    instances: tuple[FastAPI, httpx.AsyncClient, FastAPI, httpx.AsyncClient],
) -> None:
    app_a, http_a, app_b, http_b = instances
    tenant = await create_tenant(app_a, name="Acme SaaS")
    await offer(app_a, tenant)
    body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
    patched = await http_a.patch("/vault/connections/crm/pipedrive", headers=tenant.headers(CONSUMER), json=body)
    assert patched.status_code == 200, patched.text
    hosted = await open_session(http_a, tenant, consumer_id=CONSUMER)
    for _ in range(2):  # warm A's card cache
        page = await http_a.get(hosted.page())
        assert page.status_code == 200 and "badge-callable" in _pipedrive_card(page.text)
    assert f'href="{hosted.base}/integrations/crm/pipedrive"' in _pipedrive_card(page.text)

    disabled = await http_b.patch(
        "/vault/connections/crm/pipedrive", headers=tenant.headers(CONSUMER), json={"enabled": False}
    )
    assert disabled.status_code == 200, disabled.text
    assert "badge-disabled" in _pipedrive_card((await http_a.get(hosted.page())).text)

    deleted = await http_b.delete("/vault/connections/crm/pipedrive", headers=tenant.headers(CONSUMER))
    assert deleted.status_code == 204, deleted.text
    assert "badge-available" in _pipedrive_card((await http_a.get(hosted.page())).text)

    runtime_b: Runtime = app_b.state.runtime
    async with runtime_b.engine.begin() as connection:
        await set_integrations_enabled(
            connection, application_id=tenant.application_id, service_ids=["pipedrive"], enabled=False
        )
    page = await http_a.get(hosted.page())
    assert page.status_code == 200 and "/crm/pipedrive" not in page.text
