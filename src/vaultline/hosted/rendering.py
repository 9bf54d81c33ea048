"""Rendering Hosted Vault pages: one Jinja environment (autoescaped) whose gettext speaks the
locale each render is given, the theme turned into CSS custom properties from validated colours
only, and the headers every page carries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from vaultline.catalog.texts import CatalogTexts
from vaultline.hosted.assets import StaticAssets
from vaultline.hosted.card_cache import CardCache
from vaultline.hosted.frame_cache import FrameCache
from vaultline.hosted.security import new_nonce, page_headers
from vaultline.i18n.translations import Translator, TranslatorSet

_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
DEFAULT_PRIMARY = "#3b5bdb"
DEFAULT_SIDE_BG = "#f4f5f7"


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color[1:]
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits[:3])
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def readable_on(background: str) -> str:
    """White text unless it would be hard to read on ``background`` (WCAG contrast under 4:1,
    e.g. a yellow or pale brand colour), then near-black. Brands expect white on their colour;
    4:1 keeps bold button labels comfortably readable."""
    white_contrast = 1.05 / (_luminance(background) + 0.05)
    return "#ffffff" if white_contrast >= 4.0 else "#111111"


def valid_color(value: Any) -> str | None:
    return value if isinstance(value, str) and _HEX_COLOR.fullmatch(value) else None


def theme_css(theme: dict[str, Any]) -> str:
    """``:root{…}`` from the theme: only strings that are hex colours ever reach the CSS."""
    primary = valid_color(theme.get("primary_color")) or DEFAULT_PRIMARY
    side_bg = valid_color(theme.get("sidepanel_background_color")) or DEFAULT_SIDE_BG
    side_fg = valid_color(theme.get("sidepanel_text_color")) or readable_on(side_bg)
    return f":root{{--primary:{primary};--on-primary:{readable_on(primary)};--side-bg:{side_bg};--side-fg:{side_fg}}}"


def _translator_in(context: Context) -> Translator:
    translator = context.get("translator")
    if not isinstance(translator, Translator):  # PageRenderer.render always passes one
        raise RuntimeError("a Hosted Vault page was rendered without a translator")
    return translator


# One environment for every request: gettext finds the render's translator in the template
# context (``pass_context``) rather than in environment globals another request could swap.
@pass_context
def _gettext(context: Context, message: str) -> str:
    return _translator_in(context).translations.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int) -> str:
    return _translator_in(context).translations.ngettext(singular, plural, num)


@dataclass
class PageRenderer:
    environment: Environment
    assets: StaticAssets
    translators: TranslatorSet
    catalog_texts: CatalogTexts
    cards: CardCache = field(init=False)
    frames: FrameCache = field(init=False)

    def __post_init__(self) -> None:
        self.cards = CardCache(self.environment)
        self.frames = FrameCache(self.environment)

    @classmethod
    def create(cls, assets: StaticAssets, translators: TranslatorSet, catalog_texts: CatalogTexts) -> PageRenderer:
        environment = Environment(
            loader=PackageLoader("vaultline.hosted", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            # Every user-visible string goes through gettext (`{{ _("…") }}`) so it can be translated.
            extensions=["jinja2.ext.i18n"],
        )
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=_gettext, ngettext=_ngettext, newstyle=True
        )
        environment.globals["asset"] = assets.url
        return cls(environment, assets, translators, catalog_texts)

    def translator(self, locale: str) -> Translator:
        return self.translators.get(locale)

    def render(
        self,
        template: str,
        *,
        locale: str,
        status_code: int = 200,
        embed_origins: tuple[str, ...] = (),
        theme: dict[str, Any] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        nonce = new_nonce()
        translator = self.translator(locale)
        html = self.environment.get_template(template).render(
            nonce=nonce, theme_css=theme_css(theme or {}), translator=translator, locale=translator.locale, **context
        )
        headers = page_headers(nonce=nonce, embed_origins=embed_origins)
        return HTMLResponse(html, status_code=status_code, headers=headers)

    def render_framed(
        self,
        template: str,
        *,
        locale: str,
        listing: Markup,
        embed_origins: tuple[str, ...] = (),
        theme: dict[str, Any] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """``render`` for a page whose frame is cached (hosted/frame_cache.py): ``listing`` is
        rendered by the caller, ``context`` is everything else the template shows."""
        nonce = new_nonce()
        translator = self.translator(locale)
        html = self.frames.render(
            template, nonce=nonce, listing=listing, translator=translator, theme_css=theme_css(theme or {}), **context
        )
        headers = page_headers(nonce=nonce, embed_origins=embed_origins)
        return HTMLResponse(html, headers=headers)


def renderer_of(request: Request) -> PageRenderer:
    renderer: PageRenderer = request.app.state.hosted_renderer
    return renderer
