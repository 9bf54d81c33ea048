"""The Hosted Vault cookie in a real browser: a session whose token is larger than any cookie
may be (theme URLs and a redirect_uri within their documented limits) still opens, because the
browser only ever holds a short handle."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import Vault, seed_body

pytestmark = pytest.mark.browser

# What a browser keeps of one cookie (name and value together), RFC 6265 §6.1 and Chromium.
BROWSER_COOKIE_LIMIT = 4096


def url_of_length(prefix: str, length: int) -> str:
    return prefix + "a" * (length - len(prefix))


def large_session_body() -> dict[str, Any]:
    """The probe's session: logo 800 characters, favicon and avatar image 300, redirect_uri 900."""
    body = seed_body(show_sidebar=True)
    body["theme"]["logo"] = url_of_length("https://cdn.mysaas.com/logos/", 800)
    body["theme"]["favicon"] = url_of_length("https://cdn.mysaas.com/favicons/", 300)
    body["consumer_metadata"]["image"] = url_of_length("https://cdn.mysaas.com/avatars/", 300)
    body["redirect_uri"] = url_of_length("https://mysaas.com/dashboard?return=", 900)
    return body


def test_large_session_still_opens_in_the_browser(page: Any, vault: Vault) -> None:
    body = large_session_body()
    minted = vault.mint("spacex-large-session", body)  # its own consumer: other tests connect spacex's Pipedrive
    token = minted["session_token"]
    assert len("vaultline_session=" + token) > BROWSER_COOKIE_LIMIT  # the token itself could never be the cookie

    response = page.goto(minted["session_uri"])
    assert response.status == 200
    assert page.url.endswith("/integrations")
    assert page.title() == "Intercom Vault"
    assert page.locator("section.group h2").all_inner_texts() == ["CRM"]
    sidebar = page.locator("aside.sidebar")
    assert sidebar.locator(".brand-logo").get_attribute("src") == body["theme"]["logo"]
    assert page.get_attribute("link[rel=icon]", "href") == body["theme"]["favicon"]
    assert sidebar.get_by_role("link", name="Return to application").get_attribute("href") == body["redirect_uri"]

    cookie = {c["name"]: c for c in page.context.cookies()}["vaultline_session"]
    assert len(cookie["value"]) < 100 and cookie["value"] not in token
    session_path = "/" + "/".join(page.url.split("/")[3:5])  # /hosted/<session id>
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == session_path
    # The next click reads the session through the same handle.
    page.get_by_role("link", name="Pipedrive").click()
    # is_visible() does not wait: right after the click it can still look at the list page.
    page.get_by_label("API token").wait_for(state="visible")
