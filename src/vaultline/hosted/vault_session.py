"""The open Hosted Vault session behind a page: its cookie verified on every request (so a
revoked or expired session stops at the next click), its application, and how it is viewed
(embedded in which origin, focused on which integration)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from vaultline.connections.caller import ConnectionsCaller
from vaultline.errors import NotFound
from vaultline.hosted.security import SESSION_COOKIE, VIEW_COOKIE
from vaultline.runtime import Runtime
from vaultline.sessions.verification import VerifiedSession, verify_session
from vaultline.store.applications import Application, InvalidOrigin, get_application, normalize_origin
from vaultline.strict_url import safe_link
from vaultline.tokens.session_tokens import SessionTokenError, session_claims_ignoring_time


class NoSessionCookie(SessionTokenError):
    reason = "missing"
    default_message = "This page was opened without a session"


@dataclass(frozen=True, slots=True)
class HostedView:
    """How this session is shown: inside Vault JS's iframe (``embed_origin``, always one of the
    application's embedding origins) and/or focused on one integration (a deep link)."""

    embed_origin: str | None = None
    focus: tuple[str, str] | None = None

    def encode(self) -> str:
        values = {}
        if self.embed_origin:
            values["e"] = self.embed_origin
        if self.focus:
            values["f"] = "/".join(self.focus)
        return urlencode(values)


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
    values = dict(parse_qsl(raw or "", max_num_fields=4))
    focus_parts = values.get("f", "").split("/")
    focus = (focus_parts[0], focus_parts[1]) if len(focus_parts) == 2 and all(focus_parts) else None
    return HostedView(embed_origin_for(application, values.get("e")), focus)


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What an error page may show when the session cannot be used: all from verified claims."""

    redirect_uri: str | None = None
    vault_name: str | None = None
    embed_origins: tuple[str, ...] = ()
    embed_origin: str | None = None
    primary_color: str | None = None


@dataclass(frozen=True, slots=True)
class VaultContext:
    runtime: Runtime
    session: VerifiedSession
    application: Application
    view: HostedView

    @property
    def session_id(self) -> str:
        return self.session.record.id

    @property
    def base_path(self) -> str:
        return f"/hosted/{self.session_id}"

    @property
    def settings(self) -> dict[str, Any]:
        return self.session.settings

    @property
    def theme(self) -> dict[str, Any]:
        theme: dict[str, Any] = self.session.claims.get("theme") or {}
        return theme

    @property
    def consumer_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = self.session.claims.get("consumer_metadata") or {}
        return metadata

    @property
    def redirect_uri(self) -> str | None:
        # Re-checked: a token minted before today's URL rules may carry an ambiguous address.
        return safe_link(self.session.claims.get("redirect_uri"))

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
        return ConnectionsCaller(self.session.application_id, self.session.consumer_id, self.session)


def claims_ignoring_time(runtime: Runtime, token: str) -> dict[str, Any] | None:
    """Signature, audience and issuer verified, expiry not: enough to offer an expired session's
    consumer the way back to their application. None when the token is not ours."""
    try:
        return session_claims_ignoring_time(runtime.keyring, token, issuer=runtime.settings.public_url)
    except SessionTokenError:
        return None


async def error_context_for(
    runtime: Runtime, token: str | None, *, view_cookie: str | None = None, embed_origin: str | None = None
) -> ErrorContext:
    claims = claims_ignoring_time(runtime, token) if token else None
    if claims is None:
        return ErrorContext()
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=str(claims["application_id"]))
    if application is None:
        return ErrorContext()
    theme = claims.get("theme") or {}
    origin = embed_origin_for(application, embed_origin) or decode_view(view_cookie, application).embed_origin
    redirect_uri = claims.get("redirect_uri")
    return ErrorContext(
        redirect_uri=redirect_uri if isinstance(redirect_uri, str) else None,
        vault_name=theme.get("vault_name") or application.name,
        embed_origins=application.embed_origins,
        embed_origin=origin,
        primary_color=theme.get("primary_color"),
    )


async def open_vault(request: Request, runtime: Runtime, session_id: str) -> VaultContext:
    """The session this request's cookie holds, verified now. On failure the error page learns
    (through ``request.state``) where the consumer can go back to."""
    token = request.cookies.get(SESSION_COOKIE)
    view_cookie = request.cookies.get(VIEW_COOKIE)
    try:
        if not token:
            raise NoSessionCookie(detail="Open the vault again from the application.")
        session = await verify_session(runtime, token)
        if session.record.id != session_id:
            raise NoSessionCookie(detail="This page belongs to another session.")
    except SessionTokenError:
        request.state.hosted_error = await error_context_for(runtime, token, view_cookie=view_cookie)
        raise
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=session.application_id)
    if application is None:
        raise NotFound("This application no longer exists")
    return VaultContext(runtime, session, application, decode_view(view_cookie, application))
