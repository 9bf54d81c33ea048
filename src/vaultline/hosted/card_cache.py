"""Integration cards of the Hosted Vault's integrations page, and the groups around them,
rendered once per look.

Rendering the page's 57 cards through Jinja was ~70 % of the page's rendering and a fifth of
the request's CPU. A card shows only the integration's catalog entry (name, logo, tag line),
its unified API and service id, the consumer's state badge and the session's base path, so it
is cached under exactly those values (the base path as a placeholder filled in per request):
any change to what the card shows is a different key, never a stale card. Which cards appear
(the application's offer, the consumer's connections) is decided per request as before.

A group's section around its cards (``_groups.html``) shows only the group's id and label, so
it is cached the same way: rendered once for a group of one marker card and split there. The
page's listing is its groups' sections, each around its cards, as the template's loop renders it.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from vaultline.connections.offered import OfferedConnection
from vaultline.hosted.presentation import Group, badge_for
from vaultline.i18n.translations import Translator

# Never in a catalog entry or a session path (NUL is refused at the edge); autoescape leaves it.
_BASE_PATH = "\x00base-path\x00"
_CARDS = "\x00cards\x00"
# Catalog entries × badge states; a bound for custom catalogs.
MAX_ENTRIES = 8192


class _PlaceholderPage:
    base_path = _BASE_PATH


class CardCache:
    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._entries: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._sections: dict[tuple[str, str], tuple[str, str]] = {}

    def render_groups(self, groups: list[Group], *, base_path: str, translator: Translator) -> Markup:
        """``_groups.html`` rendered for ``groups`` (each group's items as ``render`` renders them)."""
        base = str(escape(base_path))
        html: list[str] = []
        for group in groups:
            section = self._sections.get((group.id, group.label)) or self._section(group)
            html.append(section[0])
            html.extend(base.join(self._card(item, translator)) for item in group.items)
            html.append(section[1])
        return Markup("".join(html))  # noqa: S704 — autoescaped by Jinja, as render's cards

    def _section(self, group: Group) -> tuple[str, str]:
        # One item, whose card is the marker: the section's two halves are what surrounds it.
        one = {"id": group.id, "label": group.label, "items": [None]}
        html = self._environment.get_template("_groups.html").render(groups=[one], card=lambda _: Markup(_CARDS))
        before, _, after = html.partition(_CARDS)
        if len(self._sections) >= MAX_ENTRIES:
            self._sections.clear()
        self._sections[(group.id, group.label)] = (before, after)
        return before, after

    def render(self, item: OfferedConnection, *, base_path: str, translator: Translator) -> Markup:
        """The card as ``{% include "_card.html" %}`` renders it for ``item`` (``why`` unset), in
        ``translator``'s language (``item`` already localized: its tag line is in the key)."""
        return Markup(str(escape(base_path)).join(self._card(item, translator)))  # noqa: S704 — autoescaped by Jinja

    def _card(self, item: OfferedConnection, translator: Translator) -> tuple[str, ...]:
        """The card's HTML split where the base path goes."""
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
        return parts
