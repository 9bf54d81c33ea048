"""The consent panel in Chromium: an application that asks for consent to its data scopes, the
consumer allowing it on the connection page at desktop and phone width, and inside Vault JS's
modal (where the decision is reported as a connection change)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.browser.test_vault_js import events, open_example
from tests.support.browser import Vault, screenshot, seed_body
from tests.support.live_server import create_app_via_cli, env_for, run_cli

pytestmark = pytest.mark.browser

PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"
DATA_SCOPES = {
    "crm.contacts": {"email": {"read": True}, "first_name": {"read": True, "write": True}},
    "crm.deals": {"value": {"read": True}, "stage": {"read": True, "write": True}},
}


@pytest.fixture(scope="module")
def scoped(vault: Vault) -> Vault:
    """An application of its own (the shared one asks for no consent), with data scopes."""
    env = env_for(vault.settings)
    created = create_app_via_cli(env, "Acme Sales", "--embed-origin", vault.example_url)
    run_cli(env, "integrations", "enable", "--app", created["application_id"], "--all")
    run_cli(env, "apps", "data-scopes", created["application_id"], "--resources", json.dumps(DATA_SCOPES))
    return Vault(
        vault.url, created["application_id"], created["api_key"], vault.settings, vault.example_url, vault.hostile_url
    )


def connected(scoped: Vault, consumer_id: str) -> None:
    response = httpx.patch(
        f"{scoped.url}/vault/connections/crm/pipedrive",
        headers=scoped.headers(consumer_id),
        json={"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}},
    )
    assert response.status_code == 200 and response.json()["data"]["health"] == "needs_consent", response.text


def consent_state(scoped: Vault, consumer_id: str) -> str:
    response = httpx.get(f"{scoped.url}/vault/connections/crm/pipedrive", headers=scoped.headers(consumer_id))
    state: str = response.json()["data"]["consent_state"]
    return state


def no_sideways_scroll(page: Any) -> bool:
    fits: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def test_the_consumer_allows_the_data_scopes_on_desktop_phone_and_in_the_modal(page: Any, scoped: Vault) -> None:
    connected(scoped, "desk")
    page.goto(scoped.mint("desk", seed_body(show_sidebar=True))["session_uri"])
    assert page.locator(".badge-needs_consent").first.inner_text() == "Needs your consent"
    page.get_by_role("link", name="Pipedrive").click()
    panel = page.locator("#consent")
    assert panel.get_by_role("heading").inner_text() == "Acme Sales asks for your consent"
    assert "Contacts" in panel.inner_text() and "First name" in panel.inner_text() and "Stage" in panel.inner_text()
    screenshot(page, "consent-desktop-asking")
    panel.get_by_role("button", name="Allow", exact=True).click()
    assert page.get_by_role("status").first.inner_text() == "Thank you: your consent was recorded."
    assert page.locator("#consent").get_by_role("heading").inner_text() == "Your consent"
    assert page.get_by_role("button", name="Withdraw consent").is_visible()
    assert consent_state(scoped, "desk") == "granted"
    screenshot(page, "consent-desktop-granted")

    connected(scoped, "phone")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(scoped.mint("phone", seed_body(show_sidebar=True))["session_uri"])
    page.get_by_role("link", name="Pipedrive").click()
    allow = page.get_by_role("button", name="Allow", exact=True)
    allow.scroll_into_view_if_needed()
    assert no_sideways_scroll(page) and allow.bounding_box()["width"] > 300  # full width on a phone
    screenshot(page, "consent-phone-asking")
    allow.click()
    assert consent_state(scoped, "phone") == "granted" and no_sideways_scroll(page)
    screenshot(page, "consent-phone-granted")

    connected(scoped, "modal")
    page.set_viewport_size({"width": 1200, "height": 860})
    open_example(page, scoped.example_url, scoped, scoped.mint("modal", seed_body())["session_token"], "pipedrive")
    frame = page.frame_locator("iframe[title=Integrations]")
    frame.get_by_role("button", name="Allow", exact=True).click()
    frame.get_by_role("button", name="Withdraw consent").wait_for()
    page.wait_for_function("document.querySelectorAll('#events li').length >= 2")
    assert events(page)[-1] == "connection_change crm+pipedrive callable"
    assert consent_state(scoped, "modal") == "granted"
    screenshot(page, "consent-modal-granted", full_page=False)
