"""The OAuth flow in Chromium, end to end against the real oidc-provider: Hosted Vault →
provider login and consent → back → callable, a denied consent, and the flow refused in a
browser that does not hold the session (a link or a provider answer sent to someone else)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import Vault, screenshot
from tests.support.live_server import create_app_via_cli, live_server, run_cli
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, SERVICE_ID, OidcProvider
from vaultline.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def oauth_vault(tmp_path_factory: pytest.TempPathFactory, oidc: OidcProvider, oauth_vault_port: int) -> Iterator[Vault]:
    data_dir: Path = tmp_path_factory.mktemp("oauth-vault")
    catalog = oidc.write_catalog(data_dir / "catalog.json")
    settings = Settings(data_dir=data_dir, public_url="http://127.0.0.1:1", access_log=False)
    env = {"VAULTLINE_CATALOG_FILE": str(catalog), "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS": "true"}
    with live_server(settings, port=oauth_vault_port, **env) as server:
        created = create_app_via_cli(server.env, "OAuth demo")
        app_id = created["application_id"]
        run_cli(server.env, "integrations", "enable", "--app", app_id, SERVICE_ID)
        run_cli(server.env, "integrations", "set-oauth", "--app", app_id, SERVICE_ID,
                "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET)  # fmt: skip
        yield Vault(server.url, app_id, created["api_key"], settings, server.url, server.url)


def open_connection_page(page: Any, vault: Vault, consumer_id: str) -> None:
    session = vault.mint(consumer_id, {"settings": {"allow_actions": ["reauthorize", "disconnect"]}})
    page.goto(session["session_uri"])
    page.goto(page.url.rstrip("/") + f"/crm/{SERVICE_ID}")
    assert page.locator("#connection-state").inner_text() == "Not connected"


def test_connect_in_chromium_end_to_end(page: Any, oauth_vault: Vault, oidc: OidcProvider) -> None:
    open_connection_page(page, oauth_vault, "browser-consumer")
    page.get_by_role("link", name="Authorize Loopback OIDC").click()
    page.wait_for_url(f"{oidc.issuer}/interaction/**")
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", "wonderland")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent
    page.wait_for_url(f"{oauth_vault.url}/hosted/**")
    assert page.locator("#connection-state").inner_text() == "Connected"
    assert "Connected." in page.locator("[role=status]").first.inner_text()
    screenshot(page, "oauth-connected")
    response = httpx.get(
        f"{oauth_vault.url}/vault/connections/crm/{SERVICE_ID}/credentials",
        headers=oauth_vault.headers("browser-consumer"),
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["state"] == "callable" and data["credentials"]["access_token"]


def test_denied_consent_in_chromium(page: Any, oauth_vault: Vault, oidc: OidcProvider) -> None:
    open_connection_page(page, oauth_vault, "denying-consumer")
    page.get_by_role("link", name="Authorize Loopback OIDC").click()
    page.wait_for_url(f"{oidc.issuer}/interaction/**")
    page.get_by_role("link", name="[ Cancel ]").click()
    page.wait_for_url(f"{oauth_vault.url}/hosted/**")
    assert "access was not granted" in page.content()
    assert page.locator("#connection-state").inner_text() == "Not connected"
    assert page.get_by_role("link", name="Authorize Loopback OIDC").is_visible()  # they can try again


def other_browser(chromium: Any) -> Any:
    """A second Chromium profile: no cookie of the first one."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    return context


def test_authorize_link_in_another_browser_shows_a_page(
    page: Any, chromium: Any, oauth_vault: Vault, oidc: OidcProvider
) -> None:
    open_connection_page(page, oauth_vault, "link-sender")
    link = page.get_by_role("link", name="Authorize Loopback OIDC").get_attribute("href")
    context = other_browser(chromium)
    try:
        victim = context.new_page()
        victim.goto(link)
        assert victim.url.startswith(f"{oauth_vault.url}/vault/authorize/")  # not sent to the provider
        assert "started in another browser" in victim.locator("main").inner_text()
        screenshot(victim, "oauth-link-in-another-browser")
    finally:
        context.close()


def test_provider_answer_in_another_browser_stores_nothing(
    page: Any, chromium: Any, oauth_vault: Vault, oidc: OidcProvider
) -> None:
    # The attacker starts the flow and sends the provider's sign-in address to the victim, who
    # signs in and consents there: the provider sends the victim's browser to our callback.
    open_connection_page(page, oauth_vault, "attacker")
    with page.expect_request(lambda request: request.url.startswith(f"{oidc.issuer}/auth?")) as sent:
        page.get_by_role("link", name="Authorize Loopback OIDC").click()
    context = other_browser(chromium)
    try:
        victim = context.new_page()
        victim.goto(sent.value.url)
        victim.fill("input[name=login]", "victim")
        victim.fill("input[name=password]", "secret")
        victim.get_by_role("button", name="Sign-in").click()
        victim.get_by_role("button", name="Continue").click()
        victim.wait_for_url(f"{oauth_vault.url}/vault/callback?**")
        assert "started in another browser" in victim.locator("main").inner_text()
    finally:
        context.close()
    response = httpx.get(
        f"{oauth_vault.url}/vault/connections/crm/{SERVICE_ID}", headers=oauth_vault.headers("attacker")
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["state"] == "available"  # no provider account was stored
