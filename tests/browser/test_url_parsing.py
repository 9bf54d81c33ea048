"""The URLs the server accepts are read by Chromium as the host Python saw: "Return to
application" navigates there, and Chromium's own URL parser agrees on every accepted URL of a
corpus of near-misses. The probe's open redirect (``https://evil.com\\@mysaas.com/back``: Python
sees mysaas.com, Chromium goes to evil.com) no longer mints."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.browser import Vault
from tests.support.live_server import create_app_via_cli, env_for
from tests.support.urls import ALLOWED_ORIGIN, ATTACK
from vaultline.strict_url import InvalidUrl, parse_strict_url

pytestmark = pytest.mark.browser

ACCEPTED = [
    "https://mysaas.com/back",
    "HTTPS://MySaaS.com:443/back?next=https://other.example/x@y#frag",
    "https://app.mysaas.com:8443/a/b@c?x=%5C",
    "http://192.0.2.10:8080/back",
    "http://[2001:DB8:0::1]/back",
    "https://xn--caf-dma.example/back",
]

# Near-misses of these bases: every character below inserted at every position, and every
# character of the base removed, give ~3,000 strings; the server's verdict on each is
# compared with Chromium's reading.
BASES = ["https://mysaas.com:8443/back?q=1#f", "http://a.example/", "http://[::1]:81/x"]
INSERTED = list("\\\t\n\r\x00 @%:/?#[].;,'\"<>^|{}`~!$&()*+=_-0x9Fé") + [
    "0x",
    "\uff20",  # fullwidth commercial at
    "\u3002",  # ideographic full stop, which IDNA maps to "."
    "\uff0e",  # fullwidth full stop
    "\u200b",  # zero-width space
    "%2e",
    "%5c",
    "%40",
]


def near_misses() -> list[str]:
    corpus: list[str] = []
    for base in BASES:
        for position in range(len(base) + 1):
            corpus.extend(base[:position] + inserted + base[position:] for inserted in INSERTED)
        corpus.extend(base[:position] + base[position + 1 :] for position in range(len(base)))
    return list(dict.fromkeys(corpus))


def chromium_reads(page: Any, urls: list[str]) -> list[list[str] | None]:
    """[protocol, host, port] of each URL as Chromium's WHATWG parser reads it (None: invalid)."""
    result: list[list[str] | None] = page.evaluate(
        """urls => urls.map(u => {
            try { const x = new URL(u); return [x.protocol, x.hostname, x.port]; } catch (e) { return null; }
        })""",
        urls,
    )
    return result


def python_reads(url: str) -> list[str]:
    parsed = parse_strict_url(url)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return [f"{parsed.scheme}:", host, "" if parsed.port is None else str(parsed.port)]


def test_chromium_reads_every_accepted_url_as_the_server_does(page: Any) -> None:
    corpus = ACCEPTED + near_misses()
    accepted = [url for url in corpus if _accepted(url)]
    assert set(ACCEPTED) <= set(accepted) and len(accepted) > 100  # the corpus does exercise acceptance
    disagreements = [
        (url, python_reads(url), chromium)
        for url, chromium in zip(accepted, chromium_reads(page, accepted), strict=True)
        if chromium != python_reads(url)
    ]
    assert not disagreements, disagreements[:10]
    # The probe's finding, as Chromium sees it: the attack names evil.com, which urllib misses.
    assert chromium_reads(page, [ATTACK]) == [["https:", "evil.com", ""]]
    assert urlsplit(ATTACK).hostname == "mysaas.com" and not _accepted(ATTACK)


def test_backslash_redirect_uri_no_longer_mints_and_accepted_ones_go_where_checked(page: Any, vault: Vault) -> None:
    strict = create_app_via_cli(env_for(vault.settings), "Strict SaaS", "--redirect-origin", ALLOWED_ORIGIN)
    strict_headers = {
        "Authorization": f"Bearer {strict['api_key']}",
        "x-apideck-app-id": strict["application_id"],
        "x-apideck-consumer-id": "victim",
    }
    refused = httpx.post(f"{vault.url}/vault/sessions", headers=strict_headers, json={"redirect_uri": ATTACK})
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"].startswith("redirect_uri ")
    assert refused.json()["detail"] == {"redirect_uri": ATTACK}

    followed: list[str] = []

    def outside_the_vault(route: Any) -> None:
        if route.request.url.startswith(vault.url):
            route.continue_()
        else:  # the SaaS, answered here: the machine has no internet
            followed.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<title>SaaS</title>back")

    page.route("**/*", outside_the_vault)
    allowed = httpx.post(
        f"{vault.url}/vault/sessions", headers=strict_headers, json={"redirect_uri": "HTTPS://MySaaS.com:443/back"}
    )
    assert allowed.status_code == 200, allowed.text
    session_uris = [(ALLOWED_ORIGIN, allowed.json()["data"]["session_uri"])]
    for number, redirect_uri in enumerate(ACCEPTED):  # the demo app has no allowlist: any accepted URL
        session_uris.append((redirect_uri, vault.mint(f"url-{number}", {"redirect_uri": redirect_uri})["session_uri"]))
    for redirect_uri, session_uri in session_uris:
        page.goto(session_uri)
        with page.expect_navigation():
            page.locator("a.return-link").first.click()
        assert parse_strict_url(page.url).origin == parse_strict_url(redirect_uri).origin, (redirect_uri, page.url)
    assert len(followed) == len(session_uris)


def _accepted(url: str) -> bool:
    try:
        parse_strict_url(url)
    except InvalidUrl:
        return False
    return True
