"""Pipedrive verified with the provider, in Chromium: a wrong token shows Pipedrive's own refusal
next to the field and is not Connected; the right one is Connected with health ok; a provider
that is down leaves the connection connected but "not verified" until it is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import Vault, screenshot
from tests.support.live_server import create_app_via_cli, live_server, run_cli
from tests.support.provider_standin import (
    GOOD_TOKEN,
    WRONG_TOKEN,
    PipedriveStandIn,
    pipedrive_definition,
    pipedrive_standin,
    standin_verification,
    write_catalog_file,
)
from vaultline.config import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def standin() -> Iterator[PipedriveStandIn]:
    with pipedrive_standin() as server:
        yield server


@pytest.fixture(scope="module")
def verifying_vault(tmp_path_factory: pytest.TempPathFactory, standin: PipedriveStandIn) -> Iterator[Vault]:
    data_dir: Path = tmp_path_factory.mktemp("verifying-vault")
    catalog = write_catalog_file(data_dir / "catalog.json", pipedrive_definition(standin_verification(standin.url)))
    settings = Settings(data_dir=data_dir, public_url="http://127.0.0.1:1", access_log=False, verify_credentials=True)
    quick = {
        "VAULTLINE_CATALOG_FILE": str(catalog),
        "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS": "true",
        "VAULTLINE_VERIFICATION_TIMEOUT_SECONDS": "2",
        "VAULTLINE_VERIFICATION_RETRY_BASE_SECONDS": "0.3",
        "VAULTLINE_VERIFICATION_RETRY_MAX_SECONDS": "0.5",
        "VAULTLINE_VERIFICATION_POLL_SECONDS": "0.2",
    }
    with live_server(settings, **quick) as server:
        created = create_app_via_cli(server.env, "Verifying SaaS")
        run_cli(server.env, "integrations", "enable", "--app", created["application_id"], "pipedrive")
        yield Vault(server.url, created["application_id"], created["api_key"], settings, "", "")


def api_view(vault: Vault, consumer_id: str) -> dict[str, Any]:
    response = httpx.get(f"{vault.url}/vault/connections/crm/pipedrive", headers=vault.headers(consumer_id))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def open_pipedrive(page: Any, vault: Vault, consumer_id: str) -> None:
    minted = vault.mint(consumer_id, {"settings": {"allow_actions": ["disconnect"]}})
    assert page.goto(minted["session_uri"]).status == 200
    page.get_by_role("link", name="Pipedrive").click()


def test_a_wrong_token_shows_pipedrives_refusal_and_the_right_one_connects(
    page: Any, verifying_vault: Vault, standin: PipedriveStandIn
) -> None:
    open_pipedrive(page, verifying_vault, "ada")
    page.get_by_label("API token").fill(WRONG_TOKEN)
    page.get_by_role("button", name="Connect").click()

    field = page.get_by_label("API token")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator(".field-error").inner_text() == "Pipedrive refused the credentials: unauthorized access"
    assert page.locator("#connection-state").inner_text() == "Invalid"
    assert "did not accept these credentials" in page.locator("#connection-health").inner_text()
    assert WRONG_TOKEN not in page.content()
    screenshot(page, "verification-refused-inline")
    refused = api_view(verifying_vault, "ada")
    assert refused["state"] == "invalid" and refused["health"] == "needs_auth"
    assert any(seen.query.get("api_token") == [WRONG_TOKEN] for seen in standin.seen())

    # Coming back later, the page says what is wrong and offers the fix: the form again.
    page.goto(page.url.removesuffix("/connect"))
    assert page.locator("#connection-state").inner_text() == "Invalid"
    assert "unauthorized access" in page.locator("#connection-health").inner_text()
    page.get_by_label("API token").fill(GOOD_TOKEN)
    page.get_by_role("button", name="Connect").click()
    assert page.locator("#connection-state").inner_text() == "Connected"
    assert page.locator("#connection-health").count() == 0
    screenshot(page, "verification-connected")
    connected = api_view(verifying_vault, "ada")
    assert connected["state"] == "callable" and connected["health"] == "ok" and connected["verified_at"] > 0


def test_a_provider_that_is_down_leaves_the_connection_connected_but_not_verified(
    page: Any, verifying_vault: Vault, standin: PipedriveStandIn
) -> None:
    standin.stop()
    try:
        open_pipedrive(page, verifying_vault, "grace")
        page.get_by_label("API token").fill(GOOD_TOKEN)
        page.get_by_role("button", name="Connect").click()
        assert page.locator("#connection-state").inner_text() == "Connected, not verified"
        notice = page.locator("#connection-health").inner_text()
        assert "could not be reached" in notice and "checked again automatically" in notice
        screenshot(page, "verification-degraded")
        degraded = api_view(verifying_vault, "grace")
        assert degraded["state"] == "callable" and degraded["health"] == "degraded"
        assert degraded["last_downstream_error_at"] > 0
    finally:
        standin.start()
    deadline = time.monotonic() + 20
    while api_view(verifying_vault, "grace")["health"] != "ok":
        assert time.monotonic() < deadline, "the background verifier did not find the provider back"
        time.sleep(0.1)
    page.reload()
    assert page.locator("#connection-state").inner_text() == "Connected"
    assert page.locator("#connection-health").count() == 0
