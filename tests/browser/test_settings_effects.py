"""Each session setting and theme field, seen in Chromium: what is visible, what is not, and
the error pages a consumer meets with an invalid, expired or revoked session."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.browser import Vault, screenshot, seed_body
from tests.support.hosted import expired_token_for
from vaultline.config import Settings
from vaultline.runtime import Runtime

pytestmark = pytest.mark.browser


def visible(page: Any, selector: str) -> bool:
    return bool(page.locator(selector).count()) and page.locator(selector).first.is_visible()


def test_layout_settings_are_visible_in_the_browser(page: Any, vault: Vault) -> None:
    def open_with(consumer: str, **settings: Any) -> None:
        page.goto(vault.mint(consumer, seed_body(**settings))["session_uri"])

    open_with("s-sandbox", sandbox_mode=True, show_logs=True, show_suggestions=True, show_sidebar=True)
    assert page.locator(".sandbox-banner").inner_text().startswith("Sandbox mode")
    assert page.locator("aside nav a").all_inner_texts() == ["Integrations", "Suggestions", "Logs"]
    screenshot(page, "settings-sandbox-logs-suggestions")
    page.get_by_role("link", name="Suggestions").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Suggestions"
    page.get_by_role("link", name="Logs").click()
    assert "POST /vault/sessions" in page.locator("table.logs").inner_text()  # the mint, logged

    open_with("s-card", show_sidebar=True, hide_consumer_card=True)
    assert visible(page, "aside.sidebar") and not visible(page, ".consumer-card")

    open_with("s-nosidebar-tabs", show_sidebar=False, show_logs=True)
    assert page.locator(".topbar nav a").all_inner_texts() == ["Integrations", "Logs"]

    token = vault.mint("s-isolated", seed_body(isolation_mode=True, show_sidebar=True))["session_token"]
    page.goto(f"{vault.url}/session/{token}?service_id=pipedrive")
    assert page.get_by_role("heading", level=1).inner_text() == "Pipedrive"
    assert not visible(page, "nav") and page.get_by_role("link", name="All integrations").count() == 0
    screenshot(page, "settings-isolation-mode")

    open_with("s-guides", hide_guides=True, hide_resource_settings=True, show_sidebar=True)
    page.get_by_role("link", name="Pipedrive").click()
    page.get_by_label("API token").fill("0123456789abcdef0123456789abcdef01234567")
    page.get_by_role("button", name="Connect").click()
    assert page.locator("#connection-state").inner_text() == "Connected"
    assert page.get_by_text("How to connect Pipedrive").count() == 0
    assert page.get_by_text("Resource settings").count() == 0

    open_with("s-guides-shown", show_sidebar=True)
    page.get_by_role("link", name="Pipedrive").click()
    assert page.get_by_text("How to connect Pipedrive").is_visible()


def test_auto_redirect_returns_to_the_application(page: Any, vault: Vault) -> None:
    body = seed_body(auto_redirect=True, show_sidebar=False)
    body["redirect_uri"] = f"{vault.example_url}/vault-js.html"
    page.goto(vault.mint("s-auto", body)["session_uri"])
    page.get_by_role("link", name="Copper").click()
    page.get_by_label("API key").fill("copper-key")
    page.get_by_label("Email address").fill("elon@musk.com")
    page.get_by_role("button", name="Connect").click()
    assert "Taking you back" in page.get_by_role("status").first.inner_text()
    page.wait_for_url(f"{vault.example_url}/vault-js.html?authorizedConnection=copper", timeout=10_000)


def test_invalid_expired_and_revoked_sessions_get_friendly_pages(page: Any, vault: Vault) -> None:
    response = page.goto(f"{vault.url}/session/this-is-not-a-token")
    assert response.status == 401
    assert page.get_by_role("heading", level=1).inner_text() == "This link is not valid"
    assert page.get_by_role("link", name="Return to application").count() == 0
    screenshot(page, "error-invalid")

    async def mint_expired() -> str:
        runtime = await Runtime.open(Settings(data_dir=vault.settings.data_dir, public_url=vault.url), background=False)
        try:
            return await expired_token_for(runtime, vault.application_id, redirect_uri="https://mysaas.com/dashboard")
        finally:
            await runtime.close()

    # Playwright's sync API owns this thread's event loop: mint on another thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        expired = pool.submit(asyncio.run, mint_expired()).result()
    response = page.goto(f"{vault.url}/session/{expired}")
    assert response.status == 401
    assert page.get_by_role("heading", level=1).inner_text() == "This session has expired"
    assert (
        page.get_by_role("link", name="Return to application").get_attribute("href") == "https://mysaas.com/dashboard"
    )
    screenshot(page, "error-expired")

    minted = vault.mint("s-revoked", seed_body(show_sidebar=True))
    page.goto(minted["session_uri"])
    session_id = page.url.split("/")[4]
    revoked = httpx.delete(f"{vault.url}/vault/sessions/{session_id}", headers=vault.headers("s-revoked"))
    assert revoked.status_code == 200
    page.get_by_role("link", name="Pipedrive").click()  # the next action on the open page
    assert page.get_by_role("heading", level=1).inner_text() == "This session has been ended"
    assert page.get_by_role("link", name="Return to application").is_visible()
    screenshot(page, "error-revoked")
