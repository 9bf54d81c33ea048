"""The Done-when of Vault links, in Chromium: a link created with the API and emailed through a
real SMTP server on loopback, opened from the URL in the received email, reaches the consumer's
integrations; a second browser is refused; the first comes back; a revoked link is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import screenshot, seed_body
from tests.support.live_server import create_app_via_cli, live_server, run_cli
from tests.support.smtp import SmtpServer, smtp_server
from vaultline.config import Settings

pytestmark = pytest.mark.browser


@dataclass
class MailingVault:
    url: str
    headers: dict[str, str]
    smtp: SmtpServer


@pytest.fixture(scope="module")
def mailing_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailingVault]:
    data_dir: Path = tmp_path_factory.mktemp("links-vault")
    settings = Settings(data_dir=data_dir, public_url="http://127.0.0.1:1", access_log=False)
    with (
        smtp_server() as smtp,
        live_server(settings, VAULTLINE_SMTP_URL=smtp.url(sender="vault@intercom.test")) as server,
    ):
        created = create_app_via_cli(server.env, "Intercom")
        run_cli(server.env, "integrations", "enable", "--app", created["application_id"], "--all")
        headers = {
            "Authorization": f"Bearer {created['api_key']}",
            "x-apideck-app-id": created["application_id"],
            "x-apideck-consumer-id": "spacex",
        }
        yield MailingVault(server.url, headers, smtp)


def _cookie_names(context: Any) -> set[str]:
    return {cookie["name"] for cookie in context.cookies()}


def test_an_emailed_link_reaches_the_integrations_once_per_browser(
    chromium: Any, page: Any, mailing_vault: MailingVault
) -> None:
    body = {**seed_body(show_sidebar=True), "send_to": "elon@spacex.example", "locale": "en"}
    created = httpx.post(f"{mailing_vault.url}/vault/links", headers=mailing_vault.headers, json=body)
    assert created.status_code == 201, created.text
    link = created.json()["data"]
    [email] = mailing_vault.smtp.wait_for(1)
    assert email.recipients == ["elon@spacex.example"] and email.subject == "Connect your accounts to Intercom"
    url = email.link()  # opened from the received email, not from the API's answer
    assert url == link["url"]

    response = page.goto(url)
    assert response.status == 200
    assert page.url.endswith("/integrations") and "/link/" not in page.url and "vl_link_" not in page.url
    assert page.title() == "Intercom Vault"
    assert page.locator("section.group h2").all_inner_texts() == ["CRM"]  # the link's session body
    assert "SpaceX" in page.locator("aside.sidebar .consumer-card").inner_text()
    cookies = {c["name"]: c for c in page.context.cookies()}
    binding = cookies[f"vaultline_link_{link['id']}"]
    assert binding["httpOnly"] and binding["sameSite"] == "Lax" and binding["path"] == "/link/"
    screenshot(page, "vault-link-opened")

    other = chromium.new_context(viewport={"width": 1200, "height": 860})
    try:
        stranger = other.new_page()
        refused = stranger.goto(url)
        assert refused.status == 403
        assert stranger.locator("h1").inner_text() == "This link was already used"
        assert "vaultline_session" not in _cookie_names(other)
        screenshot(stranger, "vault-link-used-elsewhere")
    finally:
        other.close()

    back = page.goto(url)  # the first browser may come back while the link lasts
    assert back.status == 200 and page.url.endswith("/integrations")

    revoked = httpx.delete(f"{mailing_vault.url}/vault/links/{link['id']}", headers=mailing_vault.headers)
    assert revoked.status_code == 200
    withdrawn = page.goto(url)
    assert withdrawn.status == 410
    assert page.locator("h1").inner_text() == "This link was withdrawn"
    assert page.title().startswith("This link was withdrawn")
    screenshot(page, "vault-link-revoked")
