"""The gettext catalogs, compiled from the committed ``.po`` files when the server starts (no
build step: a fresh ``pip install .`` serves every language), and a ``Translator`` per locale
that translates and formats dates and numbers the way that locale writes them.

Fuzzy entries are never used: an unreviewed translation falls back to English, like a
missing one (the catalog tests fail on both, so neither ships)."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable

from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from vaultline.i18n.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES

DOMAIN = "messages"


def locale_folder() -> Traversable:
    return resources.files("vaultline.i18n").joinpath("locale")


def _compiled(po_file: Traversable, locale: str) -> tuple[Translations, frozenset[str]]:
    """The catalog, and the msgids it really translates (not empty, not fuzzy)."""
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    translated = frozenset(
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and message.string and not message.fuzzy
    )
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN), translated


class TranslatedText(str):
    """A message already in the reader's language: an error raised with one (``raise
    Unprocessable(vault.gettext(…))``) is shown as it is, not looked up again."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Translator:
    """Everything a page needs to speak one locale. ``gettext`` and ``ngettext`` format their
    ``%(name)s`` parameters like Jinja's new-style gettext, so Python and templates share msgids."""

    locale: str
    translations: gettext.NullTranslations
    # None for English, the source language: every message is "translated" there.
    translated: frozenset[str] | None = None

    def gettext(self, message: str, **params: object) -> TranslatedText:
        text = self.translations.gettext(message)
        return TranslatedText(text % params if params else text)

    def ngettext(self, singular: str, plural: str, num: int, **params: object) -> TranslatedText:
        text = self.translations.ngettext(singular, plural, num)
        return TranslatedText(text % {"num": self.format_number(num), **params})

    def has(self, message: str) -> bool:
        """Whether this locale has a translation of ``message`` (English has them all)."""
        return self.translated is None or message in self.translated

    def format_datetime(self, value: datetime, format: str = "medium") -> str:  # noqa: A002 - Babel's name
        return format_datetime(value, format=format, tzinfo=value.tzinfo, locale=self.locale)

    def format_date(self, value: datetime, format: str = "long") -> str:  # noqa: A002 - Babel's name
        return format_date(value, format=format, locale=self.locale)

    def format_number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def format_timedelta(self, value: timedelta, *, add_direction: bool = False) -> str:
        return format_timedelta(value, locale=self.locale, add_direction=add_direction)


@dataclass(frozen=True)
class TranslatorSet:
    """One ``Translator`` per supported locale, built once at start-up."""

    by_locale: dict[str, Translator]

    @classmethod
    def load(cls) -> TranslatorSet:
        folder = locale_folder()
        translators = {DEFAULT_LOCALE: Translator(DEFAULT_LOCALE, gettext.NullTranslations())}
        for locale in SUPPORTED_LOCALES:
            if locale == DEFAULT_LOCALE:
                continue
            po_file = folder.joinpath(locale, "LC_MESSAGES", f"{DOMAIN}.po")
            translations, translated = _compiled(po_file, locale)
            translators[locale] = Translator(locale, translations, translated)
        return cls(translators)

    def get(self, locale: str) -> Translator:
        return self.by_locale.get(locale) or self.by_locale[DEFAULT_LOCALE]
