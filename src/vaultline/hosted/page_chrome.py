"""What every Hosted Vault page shows around its content, decided from the session's settings
and theme: sidebar or top bar, consumer card, navigation, banners, links and Vault JS data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from vaultline.hosted.vault_session import VaultContext
from vaultline.i18n.markers import N_
from vaultline.strict_url import safe_link

# Translated where shown (flash.py), in the session's language.
FLASH_MESSAGES = {
    "connected": N_("Connected."),
    "saved": N_("Settings saved."),
    "enabled": N_("Connection enabled."),
    "disabled": N_("Connection disabled."),
    "disconnected": N_("Disconnected: the credentials were removed."),
    "deleted": N_("Connection deleted."),
    "reauthorized": N_("New credentials saved."),
    "resources": N_("Resource settings saved."),
    "oauth_denied": N_("Not connected: access was not granted. You can try again at any time."),
    "consent_granted": N_("Thank you: your consent was recorded."),
    "consent_denied": N_("Not allowed: nothing was shared. You can change your mind at any time."),
    "consent_withdrawn": N_("Consent withdrawn: your data is no longer shared."),
    "consent_changed": N_("What is asked for changed while you were reading. Please review it again."),
}


@dataclass
class NavItem:
    label: str
    href: str
    current: bool


@dataclass
class PageChrome:
    vault_name: str
    application_name: str
    base_path: str
    favicon: str | None
    logo: str | None
    sidebar: bool
    consumer_card: bool
    consumer: dict[str, Any]
    nav: list[NavItem]
    sandbox: bool
    isolated: bool
    embedded: bool
    embed_origin: str | None
    redirect_uri: str | None
    privacy_url: str | None
    terms_url: str | None
    expires_at: int
    flash: str | None = None
    event: dict[str, Any] | None = None
    auto_redirect: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query string, properly encoded."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def page_chrome(vault: VaultContext, *, current: str) -> PageChrome:
    settings, theme, base = vault.settings, vault.theme, vault.base_path
    # Vault JS's modal brings its own frame: embedded pages never show the sidebar chrome.
    sidebar = bool(settings.get("show_sidebar", True)) and not vault.embedded
    nav: list[NavItem] = []
    if not vault.isolated:
        nav.append(NavItem(vault.gettext("Integrations"), f"{base}/integrations", current == "integrations"))
        if settings.get("show_suggestions"):
            nav.append(NavItem(vault.gettext("Suggestions"), f"{base}/suggestions", current == "suggestions"))
        if settings.get("show_logs", True):
            nav.append(NavItem(vault.gettext("Logs"), f"{base}/logs", current == "logs"))
    # Theme and avatar URLs were checked at mint; checked again for tokens minted before today's rules.
    consumer = {**vault.consumer_metadata, "image": safe_link(vault.consumer_metadata.get("image"))}
    return PageChrome(
        vault_name=vault.vault_name,
        application_name=vault.application.name,
        base_path=base,
        favicon=safe_link(theme.get("favicon")),
        logo=safe_link(theme.get("logo")),
        sidebar=sidebar,
        consumer_card=sidebar and not settings.get("hide_consumer_card") and bool(vault.consumer_metadata),
        consumer=consumer,
        nav=nav,
        sandbox=bool(settings.get("sandbox_mode")),
        isolated=vault.isolated,
        embedded=vault.embedded,
        embed_origin=vault.view.embed_origin,
        redirect_uri=vault.redirect_uri,
        privacy_url=safe_link(theme.get("privacy_url")),
        terms_url=safe_link(theme.get("terms_url")),
        expires_at=vault.expires_at,
    )
