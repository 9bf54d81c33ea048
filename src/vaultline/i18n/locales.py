"""The locales Vaultline speaks and how one is picked from what a browser or an embedding
page asks for. Anything unknown or malformed falls through to the next source, never an error."""

from __future__ import annotations

import re

DEFAULT_LOCALE = "en"
# English first: it is the source language and every fallback.
SUPPORTED_LOCALES = ("en", "nl", "fr", "de", "es", "ja")
_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
_MAX_ACCEPT_ENTRIES = 32  # a header is bounded by the server anyway; parsing is too


def supported_locale(tag: str | None) -> str | None:
    """``"de-AT"``, ``"DE"``, ``"ja_JP"`` → the supported locale of that language, else None."""
    if not tag or _TAG.fullmatch(tag.strip()) is None:
        return None
    language = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def from_accept_language(header: str | None) -> str | None:
    """The browser's most preferred supported language (RFC 9110 ``Accept-Language``, q-values
    honoured, ties in the header's order); None when it names none we speak."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header.split(",")[:_MAX_ACCEPT_ENTRIES]):
        tag, *parameters = entry.split(";")
        locale = supported_locale(tag)
        quality = _quality(parameters)
        if locale is not None and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def choose_locale(*requested: str | None, accept_language: str | None = None) -> str:
    """The first supported of ``requested`` (most important first), else the browser's
    preference, else English."""
    for candidate in requested:
        locale = supported_locale(candidate)
        if locale is not None:
            return locale
    return from_accept_language(accept_language) or DEFAULT_LOCALE
