"""The open Hosted Vault session behind a page: its cookie (a handle, store/hosted_handles.py)
checked on every request against the session row (so a revoked or expired session stops at the
next click), its application, and how it is viewed (embedded in which origin, focused on which
integration, in which language)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from vaultline.auth_throttle import throttle_of
from vaultline.catalog.texts import CatalogTexts
from vaultline.client_address import client_address
from vaultline.clock import now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import OfferedConnection
from vaultline.errors import NotFound
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.security import SESSION_COOKIE, VIEW_COOKIE
from vaultline.i18n.locales import DEFAULT_LOCALE, choose_locale, supported_locale
from vaultline.i18n.translations import Translator
from vaultline.runtime import Runtime
from vaultline.sessions.verification import VerifiedSession
from vaultline.store.applications import Application, InvalidOrigin, get_application, normalize_origin
from vaultline.store.hosted_handles import HostedSession, find_hosted_session
from vaultline.store.sessions import SessionRecord
from vaultline.strict_url import safe_link
from vaultline.tokens.session_tokens import (
    LEEWAY_SECONDS,
    SessionTokenError,
    SessionTokenExpired,
    SessionTokenRevoked,
    session_claims_ignoring_time,
)


class NoSessionCookie(SessionTokenError):
    reason = "missing"
    default_message = "This page was opened without a session"


@dataclass(frozen=True, slots=True)
class HostedView:
    """How this session is shown: inside Vault JS's iframe (``embed_origin``, always one of the
    application's embedding origins), focused on one integration (a deep link), and in which
    language (chosen when the link was opened, so it sticks for the session's pages)."""

    embed_origin: str | None = None
    focus: tuple[str, str] | None = None
    locale: str = DEFAULT_LOCALE

    def encode(self) -> str:
        values = {"l": self.locale}
        if self.embed_origin:
            values["e"] = self.embed_origin
        if self.focus:
            values["f"] = "/".join(self.focus)
        return urlencode(values)


def _view_values(raw: str | None) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw or "", max_num_fields=4))
    except ValueError:  # more fields than we ever write: not our cookie
        return {}


def locale_in_view(raw: str | None) -> str | None:
    """The language recorded in a view cookie, if it is one we speak (the cookie is the
    browser's to change: it is checked like any input)."""
    return supported_locale(_view_values(raw).get("l"))


def embed_origin_for(application: Application, origin: str | None) -> str | None:
    """The origin Vault JS says it runs on, if the application allows embedding there."""
    if not origin:
        return None
    try:
        normalized = normalize_origin(origin)
    except InvalidOrigin:
        return None
    return normalized if normalized in application.embed_origins else None


def decode_view(raw: str | None, application: Application) -> HostedView:
    # Re-validated on every read: an origin removed from the allowlist stops receiving events.
    values = _view_values(raw)
    focus_parts = values.get("f", "").split("/")
    focus = (focus_parts[0], focus_parts[1]) if len(focus_parts) == 2 and all(focus_parts) else None
    locale = supported_locale(values.get("l")) or DEFAULT_LOCALE  # as locale_in_view(raw), parsed once
    return HostedView(embed_origin_for(application, values.get("e")), focus, locale)


def page_locale(request: Request) -> str:
    """The language of a page that has no open session to ask (an error page, a provider's
    return): the one chosen at opening (``request.state.locale``, or this session's view
    cookie), else the browser's preference, else English."""
    chosen = getattr(request.state, "locale", None)
    if isinstance(chosen, str):
        return chosen
    return choose_locale(
        locale_in_view(request.cookies.get(VIEW_COOKIE)), accept_language=request.headers.get("accept-language")
    )


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What an error page may show when the session cannot be used: all from verified claims."""

    redirect_uri: str | None = None
    vault_name: str | None = None
    embed_origins: tuple[str, ...] = ()
    embed_origin: str | None = None
    primary_color: str | None = None
    # Shown in Vault JS's sign-in popup: the page reports the error to the modal that opened it.
    popup: bool = False


@dataclass(frozen=True, slots=True)
class VaultContext:
    runtime: Runtime
    session: HostedSession
    application: Application
    view: HostedView
    translator: Translator
    catalog_texts: CatalogTexts

    def gettext(self, message: str, **params: object) -> str:
        """``message`` in the session's language (``%(name)s`` parameters filled in)."""
        return self.translator.gettext(message, **params)

    def ngettext(self, singular: str, plural: str, num: int, **params: object) -> str:
        return self.translator.ngettext(singular, plural, num, **params)

    def localized(self, item: OfferedConnection) -> OfferedConnection:
        """``item`` with its catalog texts (tag line, guide, form labels) in the session's language."""
        definition = self.catalog_texts.localized(item.definition, self.locale)
        return item if definition is item.definition else replace(item, definition=definition)

    @property
    def locale(self) -> str:
        return self.view.locale

    @property
    def session_id(self) -> str:
        return self.session.record.id

    @property
    def base_path(self) -> str:
        return f"/hosted/{self.session_id}"

    @property
    def settings(self) -> dict[str, Any]:
        return self.session.record.settings

    @property
    def theme(self) -> dict[str, Any]:
        return self.session.theme

    @property
    def consumer_metadata(self) -> dict[str, Any]:
        return self.session.consumer_metadata

    @property
    def redirect_uri(self) -> str | None:
        # Re-checked: a session minted before today's URL rules may carry an ambiguous address.
        return safe_link(self.session.record.redirect_uri)

    @property
    def expires_at(self) -> int:
        """Epoch seconds: the token's ``exp``."""
        return self.session.record.expires_at // 1000

    @property
    def vault_name(self) -> str:
        return str(self.theme.get("vault_name") or self.application.name)

    @property
    def embedded(self) -> bool:
        return self.view.embed_origin is not None

    @property
    def isolated(self) -> bool:
        return bool(self.settings.get("isolation_mode"))

    def allows(self, action: str) -> bool:
        return action in (self.settings.get("allow_actions") or [])

    @property
    def caller(self) -> ConnectionsCaller:
        """The consumer as the connections API sees a session-token caller: the same checks
        of ``unified_apis`` and ``allow_actions`` apply to the pages as to the API."""
        record = self.session.record
        return ConnectionsCaller(
            record.application_id,
            record.consumer_id,
            VerifiedSession({"settings": record.settings}, record, self.session.config_version),
        )


def claims_ignoring_time(runtime: Runtime, token: str) -> dict[str, Any] | None:
    """Signature, audience and issuer verified, expiry not: enough to offer an expired session's
    consumer the way back to their application. None when the token is not ours."""
    try:
        return session_claims_ignoring_time(runtime.keyring, token, issuer=runtime.settings.public_url)
    except SessionTokenError:
        return None


async def error_context_for(runtime: Runtime, token: str | None, *, embed_origin: str | None = None) -> ErrorContext:
    """For a session link (``/session/<token>``) that cannot be opened."""
    claims = claims_ignoring_time(runtime, token) if token else None
    if claims is None:
        return ErrorContext()
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=str(claims["application_id"]))
    if application is None:
        return ErrorContext()
    theme = claims.get("theme")
    redirect_uri = claims.get("redirect_uri")
    return _error_context(
        application,
        theme=theme if isinstance(theme, dict) else {},
        redirect_uri=redirect_uri if isinstance(redirect_uri, str) else None,
        embed_origin=embed_origin_for(application, embed_origin),
    )


def _error_context(
    application: Application, *, theme: dict[str, Any], redirect_uri: str | None, embed_origin: str | None
) -> ErrorContext:
    return ErrorContext(
        redirect_uri=redirect_uri,
        vault_name=theme.get("vault_name") or application.name,
        embed_origins=application.embed_origins,
        embed_origin=embed_origin,
        primary_color=theme.get("primary_color"),
    )


def check_live(record: SessionRecord) -> None:
    """What verifying the token checked of time, and revocation, now on the session row:
    expiry first (with the same tolerance for clocks), then revocation."""
    if record.expires_at + LEEWAY_SECONDS * 1000 <= now_ms():
        raise SessionTokenExpired()
    if record.revoked_at is not None:
        raise SessionTokenRevoked()


async def open_vault(request: Request, runtime: Runtime, session_id: str) -> VaultContext:
    """The session this request's cookie is a handle of, checked now (one primary-key lookup
    joined to the session row and its application's config version; the application itself
    comes from the versioned cache). On failure the error page learns
    (through ``request.state``) where the consumer can go back to."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NoSessionCookie(detail="Open the vault again from the application.")
    async with runtime.reader() as connection:
        session = await find_hosted_session(connection, session_id=session_id, cookie=cookie)
        if session is None:
            # Forged, another session's, or a cookie from before handles: no way back to offer.
            # Counted like a wrong token: guessing handles must not be free either.
            await throttle_of(request).record_failure(client_address(request))
            raise NoSessionCookie(detail="This browser holds no open session for this page.")
        config = await runtime.app_configs.get(
            connection, application_id=session.record.application_id, version=session.config_version
        )
    application = config.application if config is not None else None
    if application is None:
        raise NotFound("This application no longer exists")
    view = decode_view(request.cookies.get(VIEW_COOKIE), application)
    try:
        check_live(session.record)
    except SessionTokenError:
        request.state.hosted_error = _error_context(
            application, theme=session.theme, redirect_uri=session.record.redirect_uri, embed_origin=view.embed_origin
        )
        raise
    renderer = renderer_of(request)
    return VaultContext(runtime, session, application, view, renderer.translator(view.locale), renderer.catalog_texts)
