"""Hosted Vault page frames (the layout, header, navigation and search around a page's list),
rendered once per look and then only filled in per request.

Rendering the integrations page's frame through Jinja (base.html: some forty expressions, a
dozen translated strings) was the largest part of the page left after the cards were cached.
A frame is cached under everything its template is given (the page chrome, the query, the
theme's CSS, the language), compared by value and type, so any change to what it shows is a
different key, never a stale frame; no entry depends on time. Two values differ on every
request and are filled in instead: the CSP nonce and the page's listing (its groups of cards,
decided and rendered per request). A frame is rendered with NUL-delimited markers in their
place; a page whose data holds a NUL anywhere (a marker could be confused with it), or a value
the key cannot compare, is rendered directly instead.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import fields, is_dataclass
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from vaultline.i18n.translations import TranslatedText, Translator

_NONCE = "\x00nonce\x00"
_LISTING = "\x00listing\x00"
_MARKERS = re.compile("(\x00nonce\x00|\x00listing\x00)")
# A frame per session and look (the chrome names the session's base path and expiry).
MAX_FRAMES = 1024

_FieldNames = tuple[str, ...]
_field_names: dict[type, _FieldNames] = {}


class _Uncacheable(Exception):
    """A value the key cannot compare safely, or one holding a NUL: the page is rendered directly."""


def look_of(value: Any) -> Hashable:
    """``value`` as a hashable key that is equal only for values a template renders alike:
    types are part of it (``True`` renders as ``True``, ``1`` as ``1``; markup is not escaped)."""
    kind = type(value)
    if kind is str:
        text: str = value
        if "\x00" in text:
            raise _Uncacheable("a NUL, which the markers use")
        return text
    if kind in _SCALARS:
        return (kind, value)
    if kind is dict:
        return (dict, _looks_of([*value.keys(), *value.values()]))  # the keys, then their values
    if kind is list or kind is tuple:
        return (kind, _looks_of(value))
    if kind in _TEXTS:  # shown escaped (a translation) or as it is (markup): the type is in the key
        return (kind, look_of(str.__str__(value)))
    names = _field_names.get(kind)  # a dataclass is compared by its fields
    if names is None:
        if not is_dataclass(value) or isinstance(value, type):
            raise _Uncacheable(kind.__name__)
        names = _field_names[kind] = tuple(f.name for f in fields(value))
    return (kind, _looks_of([getattr(value, name) for name in names]))


_SCALARS = frozenset({bool, int, float, type(None)})
_TEXTS = frozenset({TranslatedText, Markup})


def _looks_of(values: list[Any] | tuple[Any, ...]) -> tuple[Hashable, ...]:
    # look_of for each value, the common plain strings without a call each.
    return tuple([v if type(v) is str and "\x00" not in v else look_of(v) for v in values])


class FrameCache:
    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._frames: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()

    def render(self, template: str, *, nonce: str, listing: Markup, translator: Translator, **context: Any) -> str:
        """``template`` as Jinja renders it with ``nonce``, ``listing`` and ``context`` (plus
        ``translator`` and its ``locale``, as ``PageRenderer.render`` passes them)."""
        try:
            key = (template, translator.locale, bool(listing), look_of(context))
        except _Uncacheable:
            return self._render(template, nonce, listing, translator, context)
        parts = self._frames.get(key)
        if parts is None:
            marked = self._render(template, _NONCE, Markup(_LISTING) if listing else Markup(), translator, context)
            parts = tuple(_MARKERS.split(marked))
            if len(self._frames) >= MAX_FRAMES:
                self._frames.popitem(last=False)
            self._frames[key] = parts
        else:
            self._frames.move_to_end(key)
        filled = list(parts)
        for index in range(1, len(filled), 2):
            filled[index] = nonce if filled[index] == _NONCE else listing
        return "".join(filled)

    def _render(
        self, template: str, nonce: str, listing: Markup, translator: Translator, context: dict[str, Any]
    ) -> str:
        return self._environment.get_template(template).render(
            nonce=nonce, listing=listing, translator=translator, locale=translator.locale, **context
        )
