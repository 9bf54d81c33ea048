"""Vault JS in Chromium: the example page (docs/example) on an allowed origin opens the vault
in a modal, observes its events and closes it; the same page on a hostile origin gets nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.browser import Vault, screenshot, seed_body

pytestmark = pytest.mark.browser

PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"


def events(page: Any) -> list[str]:
    texts: list[str] = page.locator("#events li").all_inner_texts()
    return texts


def open_example(page: Any, site: str, vault: Vault, token: str, service_id: str = "") -> None:
    page.goto(f"{site}/vault-js.html?vault={vault.url}")
    page.wait_for_selector("body[data-vault-js=loaded]")
    page.fill("#token", token)
    page.fill("#service", service_id)
    page.click("#open")


def test_vault_js_opens_the_vault_in_a_modal_and_reports_events(page: Any, vault: Vault) -> None:
    minted = vault.mint("embedded", seed_body(show_sidebar=True, allow_actions=["delete", "disable"]))
    open_example(page, vault.example_url, vault, minted["session_token"])
    page.wait_for_function("document.querySelectorAll('#events li').length >= 1")
    assert events(page) == ["ready"]
    assert page.evaluate("window.ApideckVault === window.Vaultline")
    frame = page.frame_locator("iframe[title=Integrations]")
    # Embedded: no sidebar chrome even though show_sidebar is on, and a Close button instead.
    assert frame.locator("aside").count() == 0
    assert frame.get_by_role("button", name="Close").is_visible()
    # The rest of the page is inert while the modal is open.
    assert page.evaluate("document.querySelector('h1').closest('[inert]') !== null")
    screenshot(page, "vault-js-modal", full_page=False)

    frame.get_by_role("link", name="Pipedrive").click()
    frame.get_by_label("API token").fill(PIPEDRIVE_TOKEN)
    frame.get_by_role("button", name="Connect").click()
    page.wait_for_function("document.querySelectorAll('#events li').length >= 2")
    assert events(page)[1] == "connection_change crm+pipedrive callable"
    screenshot(page, "vault-js-connected", full_page=False)

    # Delete is allowed here: confirmed first, then reported as a deletion.
    frame.get_by_role("link", name="Delete").click()
    frame.get_by_role("heading", name="Delete the Pipedrive connection?").wait_for()
    assert "cannot be undone" in frame.locator("main").inner_text()
    frame.get_by_role("button", name="Yes, delete").click()
    page.wait_for_function("document.querySelectorAll('#events li').length >= 3")
    assert events(page)[2] == "connection_delete crm+pipedrive"

    # Escape inside the vault closes it and gives focus back to the button that opened it.
    frame.locator("main").click()
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('[data-vaultline=overlay]')")
    assert events(page)[-1] == "close"
    assert page.evaluate("document.activeElement.id") == "open"
    assert page.evaluate("document.querySelector('[inert]') === null")


def test_vault_js_deep_link_opens_one_integration(page: Any, vault: Vault) -> None:
    minted = vault.mint("embedded-deep", seed_body())
    open_example(page, vault.example_url, vault, minted["session_token"], service_id="close")
    page.wait_for_function("document.querySelectorAll('#events li').length >= 1")
    frame = page.frame_locator("iframe[title=Integrations]")
    assert frame.get_by_role("heading", level=1).inner_text() == "Close"
    page.keyboard.press("Escape")  # Escape on the host page closes too
    page.wait_for_function("!document.querySelector('[data-vaultline=overlay]')")


def test_a_hostile_origin_cannot_embed_the_vault(page: Any, vault: Vault) -> None:
    minted = vault.mint("hostile", seed_body())
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    open_example(page, vault.hostile_url, vault, minted["session_token"])
    time.sleep(1.5)
    # No "ready" (nor any other event): the server refused the origin and frame-ancestors
    # keeps the browser from showing the vault inside this page.
    assert events(page) == []
    frame = page.frame(url=lambda url: url.startswith(vault.url))
    if frame is not None:
        assert "Integrations" not in frame.content()
    assert any("frame-ancestors" in text or "Refused" in text for text in blocked), blocked
    screenshot(page, "vault-js-hostile-refused", full_page=False)
