"""The Hosted Vault in every language, in Chromium: one tour per locale walks every page (lists,
search, suggestions, logs, a connection through its form errors, notices, actions, confirmations
and resource settings, an OAuth integration, an error page) and finds no English left on any
of them; Vault JS opened with ``locale: "ja"`` is Japanese, modal labels included; without a
``locale``, the browser's language is used and kept for the session's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import Vault, screenshot, seed_body
from tests.support.untranslated import READABLE_TEXT_JS, EnglishLeftovers
from vaultline.i18n.locales import SUPPORTED_LOCALES

pytestmark = pytest.mark.browser

PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"
CONSUMER_DATA = ("Intercom", "SpaceX", "Elon Musk", "elon@musk.com")
ALL_ACTIONS = ["reauthorize", "disable", "disconnect", "delete"]
SCREENSHOTS = {"ja", "de"}


@pytest.fixture
def browser_in(chromium: Any) -> Iterator[Any]:
    """``browser_in("fr-FR")``: a tab of a browser whose language (Accept-Language) is that."""
    contexts: list[Any] = []

    def open_tab(language: str = "en-US") -> Any:
        context = chromium.new_context(viewport={"width": 1200, "height": 860}, locale=language)
        context.set_default_timeout(20_000)  # a tour is many navigations on a shared machine
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda route: route.abort())
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


class VaultTour:
    """One locale's walk through the vault: each stop checks the page's language and that no
    English is left on it, and keeps a screenshot where asked."""

    def __init__(self, page: Any, locale: str) -> None:
        self.page = page
        self.locale = locale
        self.leftovers = EnglishLeftovers.for_locale(locale, allowed=CONSUMER_DATA) if locale != "en" else None
        self.found: dict[str, list[str]] = {}
        self.stops: list[str] = []

    def check(self, stop: str, frame: Any = None) -> None:
        where = frame or self.page
        where.wait_for_load_state() if frame is None else None
        assert where.evaluate("document.documentElement.lang") == self.locale, stop
        self.stops.append(stop)
        if self.leftovers is not None:
            english = self.leftovers.find(where.evaluate(READABLE_TEXT_JS))
            if english:
                self.found[stop] = english
        if self.locale in SCREENSHOTS:
            screenshot(self.page, f"i18n-{self.locale}-{stop}")

    def goto(self, url: str, *, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == status, (url, response and response.status)

    def submit(self, selector: str, *, status: int = 200) -> None:
        """Press a form's button; the page it ends on (after the redirect) has ``status``."""
        with self.page.expect_navigation() as navigation:
            self.page.click(selector)
        response = navigation.value
        assert response is not None and response.status == status, (selector, response and response.status)


def _mint(vault: Vault, consumer: str) -> dict[str, str]:
    body = seed_body(
        show_sidebar=True,
        show_logs=True,
        show_suggestions=True,
        sandbox_mode=True,
        allow_actions=ALL_ACTIONS,
        unified_apis=["crm", "hris", "ats", "accounting", "file-storage"],
    )
    return vault.mint(consumer, body)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_page_speaks_the_locale(browser_in: Any, vault: Vault, locale: str) -> None:
    page = browser_in("en-US")  # the query parameter wins over the browser's language
    tour = VaultTour(page, locale)
    minted = _mint(vault, f"i18n-{locale}")
    tour.goto(minted["session_uri"] + f"?locale={locale}")
    tour.check("integrations")
    base = page.url.rsplit("/integrations", 1)[0]

    tour.goto(f"{base}/integrations?q=zzzz")
    tour.check("search-no-match")
    tour.goto(f"{base}/suggestions")
    tour.check("suggestions")
    tour.goto(f"{base}/logs")
    assert page.locator("table.logs time").count() > 0
    tour.check("logs")

    tour.goto(f"{base}/integrations/crm/pipedrive")
    tour.check("connect-form")
    page.fill("#field-api_token", "not-a-token")
    tour.submit("form.form button[type=submit]", status=422)
    assert page.locator("#field-api_token").get_attribute("aria-invalid") == "true"
    tour.check("connect-inline-error")
    page.fill("#field-api_token", PIPEDRIVE_TOKEN)
    tour.submit("form.form button[type=submit]")
    assert page.locator("#connection-state.badge-callable").count() == 1
    page.locator("#resources summary").click()
    tour.check("connected-actions-resources")
    tour.submit("#resources button[type=submit]")
    tour.check("resources-saved")

    tour.goto(f"{base}/integrations/crm/pipedrive?step=reauthorize")
    tour.check("reauthorize")
    page.fill("#field-api_token", "still-not-a-token")
    tour.submit("form.form button[type=submit]", status=422)
    tour.check("reauthorize-inline-error")
    tour.goto(f"{base}/integrations/crm/pipedrive")
    tour.submit("[data-action=disable]")
    tour.check("disabled")
    tour.submit("[data-action=enable]")
    page.click("[data-action=disconnect]")
    tour.check("confirm-disconnect")
    tour.submit("button.danger")
    tour.check("disconnected")
    page.click("[data-action=delete]")
    tour.check("confirm-delete")
    tour.submit("button.danger")
    tour.check("deleted")

    tour.goto(f"{base}/integrations/hris/bamboohr")
    tour.check("bamboohr-form")
    tour.goto(f"{base}/integrations/crm/hubspot")
    tour.check("oauth-not-ready")
    tour.goto(f"{base}/integrations/crm/no-such-integration", status=404)
    tour.check("not-found")
    tour.goto(f"{vault.url}/session/not-a-token?locale={locale}", status=401)
    tour.check("invalid-link")

    assert len(tour.stops) == 19
    assert not tour.found, f"English left on the {locale} pages: {tour.found}"


def test_vault_js_with_locale_ja_is_japanese(page: Any, vault: Vault) -> None:
    minted = _mint(vault, "i18n-vault-js")
    page.goto(f"{vault.example_url}/vault-js.html?vault={vault.url}")
    page.wait_for_selector("body[data-vault-js=loaded]")
    page.evaluate(
        """token => ApideckVault.open({token, locale: "ja",
             onReady: () => document.body.setAttribute("data-ready", "1")})""",
        minted["session_token"],
    )
    page.wait_for_selector("body[data-ready='1']")
    dialog = page.locator("[data-vaultline=overlay] [role=dialog]")
    # The modal's own labels come from the vault, in its language.
    assert dialog.get_attribute("aria-label") == "連携" and dialog.get_attribute("lang") == "ja"
    assert dialog.locator("iframe").get_attribute("title") == "連携"
    assert dialog.locator("button[aria-label]").get_attribute("aria-label") == "閉じる"
    frame = page.frame_locator("[data-vaultline=overlay] iframe")
    assert frame.get_by_role("heading", level=1).inner_text() == "連携"
    assert frame.get_by_role("button", name="閉じる").is_visible()
    inner = next(f for f in page.frames if "/hosted/" in f.url)
    tour = VaultTour(page, "ja")
    tour.check("vault-js-modal", frame=inner)
    frame.get_by_role("link", name="Pipedrive").first.click()
    frame.get_by_role("heading", name="Pipedrive に接続").wait_for()
    assert not tour.found, tour.found


def test_the_browser_language_is_used_and_kept_for_the_session(browser_in: Any, vault: Vault) -> None:
    page = browser_in("fr-FR")
    minted = _mint(vault, "i18n-accept-language")
    page.goto(minted["session_uri"])
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Intégrations"
    # The same session in a browser that prefers German: the language chosen at opening stays
    # with each opening's cookie; a fresh opening in this browser is German.
    german = browser_in("de-DE")
    german.goto(minted["session_uri"])
    assert german.get_by_role("heading", level=1).inner_text() == "Integrationen"
    page.get_by_role("link", name="Journaux").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Journaux"
    page.get_by_role("link", name="Intégrations").first.click()
    page.get_by_role("link", name="Pipedrive").click()
    assert page.get_by_role("heading", level=2).first.inner_text() == "Connecter Pipedrive"
    assert page.evaluate("document.documentElement.lang") == "fr"
