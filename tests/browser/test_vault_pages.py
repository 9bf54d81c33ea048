"""The Done-when of the Hosted Vault issue, in Chromium: the seeds' session opened with and
without the sidebar, a clean URL and a session cookie, and an API-key connection made end to end."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.browser import Vault, screenshot, seed_body

pytestmark = pytest.mark.browser

PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"


def css(page: Any, selector: str, prop: str) -> str:
    value: str = page.eval_on_selector(selector, f"el => getComputedStyle(el).{prop}")
    return value


def test_seed_session_with_sidebar_is_the_intercom_vault_for_spacex(page: Any, vault: Vault) -> None:
    minted = vault.mint("spacex", seed_body(show_sidebar=True))
    token = minted["session_token"]
    response = page.goto(minted["session_uri"])
    assert response.status == 200
    # The token left the address bar (and the history entry) for a clean URL.
    assert token not in page.url and page.url.endswith("/integrations")
    assert "/session/" not in page.evaluate("location.href")
    cookies = {c["name"]: c for c in page.context.cookies()}
    cookie = cookies["vaultline_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"].startswith("/hosted/")
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it

    assert page.title() == "Intercom Vault"
    assert page.get_attribute("link[rel=icon]", "href") == seed_body()["theme"]["favicon"]
    sidebar = page.locator("aside.sidebar")
    assert sidebar.is_visible()
    assert sidebar.locator(".brand-name").inner_text() == "Intercom"
    assert sidebar.locator(".brand-logo").get_attribute("src") == seed_body()["theme"]["logo"]
    card = sidebar.locator(".consumer-card")
    assert card.is_visible()
    assert "SpaceX" in card.inner_text() and "Elon Musk" in card.inner_text() and "elon@musk.com" in card.inner_text()
    assert css(page, "aside.sidebar", "backgroundColor") == "rgb(40, 110, 250)"
    assert css(page, "aside.sidebar", "color") == "rgb(255, 255, 255)"
    # show_logs and show_suggestions are off in the seed body: Integrations is the only section.
    assert sidebar.locator("nav a").all_inner_texts() == ["Integrations"]
    assert (
        sidebar.get_by_role("link", name="Privacy policy").get_attribute("href") == seed_body()["theme"]["privacy_url"]
    )
    assert (
        sidebar.get_by_role("link", name="Terms of service").get_attribute("href") == seed_body()["theme"]["terms_url"]
    )
    assert (
        sidebar.get_by_role("link", name="Return to application").get_attribute("href")
        == "https://mysaas.com/dashboard"
    )
    # unified_apis = ["crm"]: only CRM integrations.
    assert page.locator("section.group h2").all_inner_texts() == ["CRM"]
    assert "Pipedrive" in page.locator(".cards").first.inner_text()
    assert page.locator(".sandbox-banner").count() == 0
    screenshot(page, "seed-sidebar-integrations")

    # Connect Pipedrive through its form: a wrong token is an inline error, the right one connects.
    page.get_by_role("link", name="Pipedrive").click()
    page.get_by_label("API token").fill("not-a-token")
    page.get_by_role("button", name="Connect").click()
    field = page.get_by_label("API token")
    assert field.get_attribute("aria-invalid") == "true"
    assert "expected format" in page.locator(".field-error").inner_text()
    assert css(page, "button.primary", "backgroundColor") == "rgb(40, 110, 250)"
    screenshot(page, "seed-connect-inline-error")
    page.get_by_label("API token").fill(PIPEDRIVE_TOKEN)
    page.get_by_role("button", name="Connect").click()
    assert page.locator("#connection-state").inner_text() == "Connected"
    assert page.get_by_role("status").first.inner_text() == "Connected."
    # allow_actions = ["reauthorize", "disable"]: exactly those actions, nothing destructive.
    actions = page.locator("[data-action]").all_inner_texts()
    assert actions == ["Disable", "Re-authorize"]
    screenshot(page, "seed-sidebar-connected")

    # The backend reads what the consumer entered.
    credentials = httpx.get(
        f"{vault.url}/vault/connections/crm/pipedrive/credentials", headers=vault.headers("spacex")
    ).json()["data"]
    assert credentials["settings"]["api_token"] == PIPEDRIVE_TOKEN and credentials["state"] == "callable"

    # Back on the list, the consumer's connection comes first with its badge.
    page.get_by_role("link", name="All integrations").click()
    first = page.locator(".card-item").first
    assert "Pipedrive" in first.inner_text() and first.locator(".badge").inner_text() == "Connected"

    # Disable is allowed and reversible; the badge says so.
    first.get_by_role("link").click()
    page.get_by_role("button", name="Disable").click()
    assert page.locator("#connection-state").inner_text() == "Disabled"
    page.get_by_role("button", name="Enable").click()
    assert page.locator("#connection-state").inner_text() == "Connected"


def test_seed_session_without_sidebar_has_no_sidebar_and_no_consumer_card(page: Any, vault: Vault) -> None:
    minted = vault.mint("spacex-2", seed_body(show_sidebar=False))
    page.goto(minted["session_uri"])
    assert page.title() == "Intercom Vault"
    assert page.locator("aside").count() == 0
    assert page.locator(".consumer-card").count() == 0
    assert "SpaceX" not in page.content()
    assert page.locator(".topbar .brand-name").inner_text() == "Intercom"
    assert page.get_by_role("link", name="Return to application").is_visible()
    assert page.locator("section.group h2").all_inner_texts() == ["CRM"]
    screenshot(page, "seed-no-sidebar-integrations")


def test_phone_width_has_no_horizontal_scroll(page: Any, vault: Vault) -> None:
    minted = vault.mint("phone", seed_body(show_sidebar=True, show_logs=True))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(minted["session_uri"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "phone-360-integrations")
    page.get_by_role("link", name="Pipedrive").click()
    # The click starts a navigation: measure the connection page once it has loaded, not the
    # document being torn down in between (documentElement is null for a moment).
    page.wait_for_url("**/integrations/crm/pipedrive")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "phone-360-connection")
