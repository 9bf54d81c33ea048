"""The email that carries a Vault link: plain text from two templates whose every sentence goes
through gettext (``{% trans %}``), in the link's locale when the Hosted Vault's catalogs
(vaultline/i18n, extracted by scripts/i18n with these templates) speak it, else English."""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_datetime
from jinja2 import Environment, PackageLoader

from vaultline.i18n.locales import DEFAULT_LOCALE, supported_locale
from vaultline.i18n.translations import TranslatorSet
from vaultline.mail.smtp import PlainEmail

DOMAIN = "messages"


@lru_cache(maxsize=1)
def _builtin_translators() -> TranslatorSet:
    return TranslatorSet.load()


def translations_for(locale: str | None, localedir: Path | None = None) -> gettext.NullTranslations:
    """The catalog for ``locale`` ("pt-BR" → pt): the built-in ones, or compiled ``.mo`` files
    under ``localedir`` (``<language>/LC_MESSAGES/messages.mo``); English otherwise."""
    if not locale:
        return gettext.NullTranslations()
    if localedir is None:
        supported = supported_locale(locale)
        return _builtin_translators().get(supported).translations if supported else gettext.NullTranslations()
    language = locale.replace("-", "_")
    candidates = [language, language.split("_")[0]]
    return gettext.translation(DOMAIN, localedir=str(localedir), languages=candidates, fallback=True)


@lru_cache(maxsize=32)
def _environment(locale: str | None, localedir: Path | None) -> Environment:
    environment = Environment(
        loader=PackageLoader("vaultline.links", "templates"),
        autoescape=False,  # plain text: nothing here is HTML
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations_for(locale, localedir), newstyle=True
    )
    return environment


def _when(epoch_ms: int, locale: str | None) -> str:
    """The expiry as the email's language writes a date and time (in UTC, which it names)."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return format_datetime(moment, "long", tzinfo=UTC, locale=supported_locale(locale) or DEFAULT_LOCALE)


def render_link_email(
    *,
    sender: str,
    recipient: str,
    url: str,
    vault_name: str,
    expires_at: int,
    single_use: bool,
    locale: str | None,
    localedir: Path | None = None,
) -> PlainEmail:
    environment = _environment(locale, localedir)
    context = {"url": url, "vault_name": vault_name, "expires": _when(expires_at, locale), "single_use": single_use}
    subject = environment.get_template("link_email_subject.txt").render(context).strip()
    body = environment.get_template("link_email_body.txt").render(context).strip() + "\n"
    return PlainEmail(sender=sender, recipient=recipient, subject=subject, body=body, language=locale or "en")
