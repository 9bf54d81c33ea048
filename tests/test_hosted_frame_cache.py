"""The Hosted Vault's page frames are cached by everything they show (hosted/frame_cache.py):
a frame filled in from the cache is byte for byte what the template renders with the same
values, for every look of the chrome, and a value the key cannot tell apart is never cached.
(That a change on another instance shows on the next page: tests/test_hosted_card_cache.py.)"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from markupsafe import Markup

from vaultline.catalog.texts import CatalogTexts
from vaultline.hosted.assets import StaticAssets
from vaultline.hosted.frame_cache import look_of
from vaultline.hosted.page_chrome import NavItem, PageChrome
from vaultline.hosted.rendering import PageRenderer, theme_css
from vaultline.i18n.translations import TranslatorSet

BASE = "/hosted/abcdefghijklmnopqrstuvwx"
LISTING = Markup('<section class="group" data-group><ul class="cards"><li>A &amp; B</li></ul></section>\n')


@pytest.fixture(scope="module")
def renderer() -> PageRenderer:
    return PageRenderer.create(StaticAssets.load(), TranslatorSet.load(), CatalogTexts.load())


def _chrome(**changes: Any) -> PageChrome:
    page = PageChrome(
        vault_name="Acme <Vault>",
        application_name="Acme & Co",
        base_path=BASE,
        favicon="https://acme.example/favicon.ico",
        logo=None,
        sidebar=True,
        consumer_card=True,
        consumer={"account_name": "SpaceX", "email": "e@x.example", "image": None},
        nav=[NavItem("Integrations", f"{BASE}/integrations", True), NavItem("Logs", f"{BASE}/logs", False)],
        sandbox=False,
        isolated=False,
        embedded=False,
        embed_origin=None,
        redirect_uri="https://acme.example/back?a=1&b=2",
        privacy_url=None,
        terms_url="https://acme.example/terms",
        expires_at=1_900_000_000,
    )
    return replace(page, **changes)


LOOKS = {
    "sidebar": _chrome(),
    "top bar": _chrome(sidebar=False, consumer_card=False, nav=[NavItem("Integrations", f"{BASE}/integrations", True)]),
    "embedded": _chrome(sidebar=False, embedded=True, embed_origin="https://app.example"),
    "sandbox": _chrome(sandbox=True),
    "no expiry": _chrome(expires_at=0),
    "flash": _chrome(flash="Pipedrive deleted.", event={"type": "connection_delete", "connection": {"id": 1}}),
    "auto redirect": _chrome(auto_redirect="https://acme.example/done"),
    "NUL in a name": _chrome(vault_name="Acme\x00nonce\x00"),
    "NUL marker for the listing": _chrome(application_name="\x00listing\x00"),
}


@pytest.mark.parametrize("look", sorted(LOOKS))
@pytest.mark.parametrize("locale", ["en", "ja"])
@pytest.mark.parametrize(("query", "listing"), [("", LISTING), ("<pipe>", LISTING), ("zzz", Markup()), ("", Markup())])
def test_a_cached_frame_is_what_the_template_renders(
    renderer: PageRenderer, look: str, locale: str, query: str, listing: Markup
) -> None:
    page = LOOKS[look]
    translator = renderer.translator(locale)
    theme = {"primary_color": "#ffee00"}
    for nonce in ("first-nonce", "second-nonce"):  # rendered, then from the cache
        direct = renderer.environment.get_template("integrations.html").render(
            nonce=nonce,
            listing=listing,
            translator=translator,
            locale=translator.locale,
            theme_css=theme_css(theme),
            page=page,
            query=query,
        )
        cached = renderer.frames.render(
            "integrations.html",
            nonce=nonce,
            listing=listing,
            translator=translator,
            theme_css=theme_css(theme),
            page=page,
            query=query,
        )
        assert cached == direct
        assert f'nonce="{nonce}"' in cached


def test_values_that_render_differently_are_different_keys() -> None:
    assert len({look_of(v) for v in (True, 1, 1.0, "1", "True", Markup("1"), None, "None", [1], (1,))}) == 10
    assert look_of({"a": 1, "b": 2}) != look_of({"b": 2, "a": 1})  # shown in their order
    assert look_of(NavItem("A", "/x", True)) != look_of(NavItem("A", "/x", 1))  # type: ignore[arg-type]


def test_a_look_never_seen_before_is_rendered_not_reused(renderer: PageRenderer) -> None:
    translator = renderer.translator("en")
    pages = [_chrome(vault_name=f"Vault {n}", expires_at=1_900_000_000 + n) for n in range(3)]
    for page in pages * 2:
        html = renderer.frames.render(
            "integrations.html", nonce="n", listing=LISTING, translator=translator, theme_css="", page=page, query=""
        )
        assert f"Vault {page.expires_at - 1_900_000_000} Vault" in html
        assert f'data-expires-at="{page.expires_at}"' in html
