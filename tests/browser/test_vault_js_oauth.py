"""OAuth inside Vault JS, in Chromium, against the real oidc-provider: the example SaaS page on
another origin opens the vault in its modal; Authorize opens the provider in a popup; the popup
reports back and closes, the modal shows the connection and the page gets onConnectionChange.
Also a blocked popup (a second click opens it), a provider that severs window.opener (COOP:
the modal finds out by polling), a refused consent and a tampered state (errors in the modal)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.browser.test_vault_js import events, open_example
from tests.support.browser import EXAMPLE_DIR, Vault, screenshot, static_site
from tests.support.live_server import create_app_via_cli, live_server, run_cli
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, SERVICE_ID, OidcProvider
from vaultline.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AUTHORIZE = "Authorize Loopback OIDC"


@pytest.fixture(scope="module")
def js_oauth_vault(
    tmp_path_factory: pytest.TempPathFactory, oidc: OidcProvider, embedded_oauth_vault_port: int
) -> Iterator[Vault]:
    data_dir: Path = tmp_path_factory.mktemp("vault-js-oauth")
    catalog = oidc.write_catalog(data_dir / "catalog.json")
    settings = Settings(data_dir=data_dir, public_url="http://127.0.0.1:1", access_log=False)
    env = {"VAULTLINE_CATALOG_FILE": str(catalog), "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS": "true"}
    with static_site(EXAMPLE_DIR) as saas_url, live_server(settings, port=embedded_oauth_vault_port, **env) as server:
        created = create_app_via_cli(server.env, "Vault JS OAuth demo", "--embed-origin", saas_url)
        app_id = created["application_id"]
        run_cli(server.env, "integrations", "enable", "--app", app_id, SERVICE_ID)
        run_cli(server.env, "integrations", "set-oauth", "--app", app_id, SERVICE_ID,
                "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET)  # fmt: skip
        yield Vault(server.url, app_id, created["api_key"], settings, saas_url, saas_url)


def open_modal(page: Any, vault: Vault, consumer_id: str) -> Any:
    """The SaaS page (another origin) with the vault open on the OAuth integration."""
    session = vault.mint(consumer_id, {"settings": {"allow_actions": ["reauthorize", "disconnect"]}})
    open_example(page, vault.example_url, vault, session["session_token"], service_id=SERVICE_ID)
    page.wait_for_function("document.querySelectorAll('#events li').length >= 1")
    assert events(page) == ["ready"]
    frame = page.frame_locator("iframe[title=Integrations]")
    assert frame.locator("#connection-state").inner_text() == "Not connected"
    return frame


def sign_in(popup: Any, oidc: OidcProvider, *, deny: bool = False) -> None:
    popup.wait_for_url(f"{oidc.issuer}/interaction/**")
    if deny:
        popup.get_by_role("link", name="[ Cancel ]").click()
        return
    popup.fill("input[name=login]", "alice")
    popup.fill("input[name=password]", "wonderland")
    popup.get_by_role("button", name="Sign-in").click()
    popup.get_by_role("button", name="Continue").click()  # consent


def wait_until(page: Any, condition: Callable[[], bool]) -> None:
    """Playwright's own timeout bounds this: it fails the test rather than hanging."""
    for _ in range(200):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the condition never held")


def watch_callback_opener(page: Any) -> list[str]:
    """What the callback page sees of window.opener (logged before the page's own scripts run)."""
    seen: list[str] = []
    page.context.on("console", lambda message: seen.append(message.text))
    page.context.add_init_script(
        'if (location.pathname === "/vault/callback") console.log("callback opener: " + String(window.opener))'
    )
    return seen


def connected_in_the_modal(page: Any, frame: Any, vault: Vault, consumer_id: str) -> None:
    page.wait_for_function("document.querySelectorAll('#events li').length >= 2")
    assert events(page)[1] == f"connection_change crm+{SERVICE_ID} callable"
    assert frame.locator("#connection-state").inner_text() == "Connected"
    assert "Connected." in frame.locator("[role=status]").first.inner_text()
    response = httpx.get(f"{vault.url}/vault/connections/crm/{SERVICE_ID}", headers=vault.headers(consumer_id))
    assert response.json()["data"]["state"] == "callable"


def test_oauth_completes_from_inside_the_vault_js_modal(page: Any, js_oauth_vault: Vault, oidc: OidcProvider) -> None:
    seen = watch_callback_opener(page)
    frame = open_modal(page, js_oauth_vault, "js-popup")
    screenshot(page, "vault-js-oauth-before", full_page=False)
    with page.expect_popup() as opened:
        frame.get_by_role("link", name=AUTHORIZE).click()
    popup = opened.value
    assert frame.get_by_text("in the window that opened").is_visible()  # the modal waits
    screenshot(page, "vault-js-oauth-waiting", full_page=False)
    sign_in(popup, oidc)
    wait_until(page, popup.is_closed)  # the popup closed itself after reporting
    assert "callback opener: [object Window]" in seen  # the message path (compare the severed test)
    connected_in_the_modal(page, frame, js_oauth_vault, "js-popup")
    assert page.url.startswith(js_oauth_vault.example_url)  # the SaaS page never navigated
    screenshot(page, "vault-js-oauth-connected", full_page=False)


def test_a_blocked_popup_opens_on_a_second_click(page: Any, js_oauth_vault: Vault, oidc: OidcProvider) -> None:
    # A popup blocker: the vault's first window.open returns null, as a blocked one does.
    page.context.add_init_script(
        f"""if (location.origin === {js_oauth_vault.url!r}) {{
              const realOpen = window.open; let blocked = false;
              window.open = function () {{ if (!blocked) {{ blocked = true; return null; }}
                                           return realOpen.apply(window, arguments); }};
            }}"""
    )
    frame = open_modal(page, js_oauth_vault, "js-blocked")
    frame.get_by_role("link", name=AUTHORIZE).click()
    blocked = frame.get_by_role("alert")
    assert "blocked the sign-in window" in blocked.inner_text()
    screenshot(page, "vault-js-oauth-popup-blocked", full_page=False)
    with page.expect_popup() as opened:
        frame.get_by_role("button", name="Open the sign-in window").click()
    sign_in(opened.value, oidc)
    wait_until(page, opened.value.is_closed)
    connected_in_the_modal(page, frame, js_oauth_vault, "js-blocked")


def test_a_severed_opener_still_completes_by_polling(page: Any, js_oauth_vault: Vault, oidc: OidcProvider) -> None:
    # The provider's pages send Cross-Origin-Opener-Policy: same-origin, which severs
    # window.opener for good: the callback page cannot post to the modal.
    def with_coop(route: Any) -> None:
        response = route.fetch(max_redirects=0)
        route.fulfill(response=response, headers={**response.headers, "cross-origin-opener-policy": "same-origin"})

    page.context.route(f"{oidc.issuer}/interaction/**", with_coop)
    seen = watch_callback_opener(page)
    frame = open_modal(page, js_oauth_vault, "js-severed")
    with page.expect_popup() as opened:
        frame.get_by_role("link", name=AUTHORIZE).click()
    sign_in(opened.value, oidc)
    connected_in_the_modal(page, frame, js_oauth_vault, "js-severed")
    assert "callback opener: null" in seen  # really severed: the modal learnt it by polling
    screenshot(page, "vault-js-oauth-severed-opener", full_page=False)


def test_a_denied_consent_is_shown_in_the_modal(page: Any, js_oauth_vault: Vault, oidc: OidcProvider) -> None:
    frame = open_modal(page, js_oauth_vault, "js-denied")
    with page.expect_popup() as opened:
        frame.get_by_role("link", name=AUTHORIZE).click()
    sign_in(opened.value, oidc, deny=True)
    wait_until(page, opened.value.is_closed)
    frame.get_by_text("access was not granted").wait_for()
    assert frame.locator("#connection-state").inner_text() == "Not connected"
    assert frame.get_by_role("link", name=AUTHORIZE).is_visible()  # they can try again
    assert events(page) == ["ready"]  # nothing changed: no onConnectionChange
    screenshot(page, "vault-js-oauth-denied", full_page=False)


def test_a_tampered_state_is_shown_in_the_modal(page: Any, js_oauth_vault: Vault, oidc: OidcProvider) -> None:
    # The provider's redirect back to us carries a state whose signature no longer checks out.
    # Playwright routes no redirected request, so the consent's answer is followed here, up to
    # the callback address, and the browser is sent there with the state changed.
    def tamper(route: Any) -> None:
        if route.request.method != "POST" or "prompt=consent" not in (route.request.post_data or ""):
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = response.headers.get("location", "")
        while location and "/vault/callback?" not in location:
            location = page.context.request.get(location, max_redirects=0).headers.get("location", "")
        query = parse_qs(urlsplit(location).query)
        query["state"] = [query["state"][0][:-6] + "AAAAAA"]
        tampered = f"{js_oauth_vault.url}/vault/callback?{urlencode(query, doseq=True)}"
        route.fulfill(status=303, headers={"location": tampered})

    page.context.route(f"{oidc.issuer}/interaction/**", tamper)
    frame = open_modal(page, js_oauth_vault, "js-tampered")
    with page.expect_popup() as opened:
        frame.get_by_role("link", name=AUTHORIZE).click()
    sign_in(opened.value, oidc)
    wait_until(page, opened.value.is_closed)
    alert = frame.get_by_role("alert").filter(has_text="not valid")
    alert.wait_for()
    assert "This sign-in link is not valid" in alert.inner_text()
    assert frame.get_by_role("button", name="Try again").first.is_visible()
    assert frame.locator("#connection-state").inner_text() == "Not connected"
    assert events(page) == ["ready"]
    screenshot(page, "vault-js-oauth-state-refused", full_page=False)
