"""The email that carries a Vault link: plain text from two templates whose every sentence goes
through gettext (``{% trans %}``), in the link's locale when a catalog for it exists, else English."""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader

from vaultline.mail.smtp import PlainEmail

# gettext catalogs: <LOCALE_DIR>/<language>/LC_MESSAGES/messages.mo (the Hosted Vault's domain).
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


def translations_for(locale: str | None, localedir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """The catalog for ``locale`` ("pt-BR" tries pt_BR, then pt); English (no catalog) otherwise."""
    if not locale:
        return gettext.NullTranslations()
    language = locale.replace("-", "_")
    candidates = [language, language.split("_")[0]]
    return gettext.translation(DOMAIN, localedir=str(localedir), languages=candidates, fallback=True)


@lru_cache(maxsize=32)
def _environment(locale: str | None, localedir: Path) -> Environment:
    environment = Environment(
        loader=PackageLoader("vaultline.links", "templates"),
        autoescape=False,  # plain text: nothing here is HTML
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations_for(locale, localedir), newstyle=True
    )
    return environment


def _when(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_link_email(
    *,
    sender: str,
    recipient: str,
    url: str,
    vault_name: str,
    expires_at: int,
    single_use: bool,
    locale: str | None,
    localedir: Path = LOCALE_DIR,
) -> PlainEmail:
    environment = _environment(locale, localedir)
    context = {"url": url, "vault_name": vault_name, "expires": _when(expires_at), "single_use": single_use}
    subject = environment.get_template("link_email_subject.txt").render(context).strip()
    body = environment.get_template("link_email_body.txt").render(context).strip() + "\n"
    return PlainEmail(sender=sender, recipient=recipient, subject=subject, body=body, language=locale or "en")
