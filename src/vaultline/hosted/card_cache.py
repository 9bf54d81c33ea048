"""Integration cards of the Hosted Vault's integrations page, rendered once per look.

Rendering the page's 57 cards through Jinja was ~70 % of the page's rendering and a fifth of
the request's CPU. A card shows only the integration's catalog entry (name, logo, tag line),
its unified API and service id, the consumer's state badge and the session's base path, so it
is cached under exactly those values (the base path as a placeholder filled in per request):
any change to what the card shows is a different key, never a stale card. Which cards appear
(the application's offer, the consumer's connections) is decided per request as before.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from vaultline.connections.offered import OfferedConnection
from vaultline.hosted.presentation import badge_for
from vaultline.i18n.translations import Translator

# Never in a catalog entry or a session path (NUL is refused at the edge); autoescape leaves it.
_BASE_PATH = "\x00base-path\x00"
# Catalog entries × badge states; a bound for custom catalogs.
MAX_ENTRIES = 8192


class _PlaceholderPage:
    base_path = _BASE_PATH


class CardCache:
    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._entries: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def render(self, item: OfferedConnection, *, base_path: str, translator: Translator) -> Markup:
        """The card as ``{% include "_card.html" %}`` renders it for ``item`` (``why`` unset), in
        ``translator``'s language (``item`` already localized: its tag line is in the key)."""
        definition = item.definition
        badge = badge_for(item, translator)
        key = (
            translator.locale,
            definition.name,
            definition.logo_url,
            definition.tag_line,
            item.unified_api,
            item.service_id,
            badge.key,
            badge.label,
        )
        parts = self._entries.get(key)
        if parts is None:
            template = self._environment.get_template("_card.html")
            html = template.render(
                item=item, page=_PlaceholderPage, why=None, badge_for=lambda _item: badge, translator=translator
            )
            parts = tuple(html.split(_BASE_PATH))
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = parts
        return Markup(str(escape(base_path)).join(parts))  # noqa: S704 — parts were autoescaped by Jinja
