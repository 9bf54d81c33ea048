"""Minting a session: the request body becomes signed claims and two durable rows."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from vaultline.errors import Unprocessable
from vaultline.sessions.request import AllowAction, SessionRequest, SessionSettings, parse_session_length
from vaultline.sessions.services import SessionServices
from vaultline.store.applications import Application
from vaultline.store.consumers import ConsumerUpsert
from vaultline.store.sessions import SessionRecord
from vaultline.strict_url import InvalidUrl, parse_strict_url
from vaultline.tokens.session_tokens import SESSION_AUDIENCE, mint_session_token

ALL_ACTIONS = [action.value for action in AllowAction]


@dataclass(frozen=True, slots=True)
class MintedSession:
    session_id: str
    token: str
    uri: str
    expires_at: int


def check_redirect_uri(application: Application, redirect_uri: str | None) -> str | None:
    """The allowlist is checked on the origin a browser would go to: a URL that a browser could
    read as another host than Python does (``https://evil.com\\@mysaas.com``) is refused first."""
    if redirect_uri is None:
        return None
    try:
        target = parse_strict_url(redirect_uri)
    except InvalidUrl as exc:
        raise Unprocessable(f"redirect_uri {exc}", detail={"redirect_uri": redirect_uri}) from None
    if application.redirect_origins and target.origin not in application.redirect_origins:
        raise Unprocessable(
            f"redirect_uri {redirect_uri!r} is not on this application's redirect allowlist",
            detail={"allowed_origins": list(application.redirect_origins)},
        )
    return redirect_uri


def settings_claim(settings: SessionSettings) -> dict[str, Any]:
    """The settings as browser clients read them: every default explicit, lists de-duplicated."""
    claim = settings.model_dump(mode="json")
    claim["unified_apis"] = list(dict.fromkeys(claim["unified_apis"] or []))
    claim["allow_actions"] = (
        ALL_ACTIONS if claim["allow_actions"] is None else list(dict.fromkeys(claim["allow_actions"]))
    )
    return claim


async def mint_session(
    runtime: SessionServices, *, application: Application, consumer_id: str, request: SessionRequest
) -> MintedSession:
    settings = request.settings or SessionSettings()
    lifetime = parse_session_length(settings.session_length)
    redirect_uri = check_redirect_uri(application, request.redirect_uri)
    consumer_metadata = request.consumer_metadata.model_dump(exclude_none=True) if request.consumer_metadata else None
    now = int(time.time())
    session_id = secrets.token_urlsafe(18)
    claims: dict[str, Any] = {
        "application_id": application.id,
        "consumer_id": consumer_id,
        "consumer_metadata": consumer_metadata or {},
        "settings": settings_claim(settings),
        "theme": request.theme.model_dump(exclude_none=True) if request.theme else {},
        "iss": runtime.settings.public_url,
        "aud": SESSION_AUDIENCE,
        "sub": consumer_id,
        "jti": session_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }
    if redirect_uri is not None:
        claims["redirect_uri"] = redirect_uri
    token, kid = mint_session_token(runtime.keyring, claims)
    await runtime.recorder.record(
        ConsumerUpsert(application.id, consumer_id, consumer_metadata, request.custom_consumer_settings, now * 1000),
        SessionRecord(
            id=session_id,
            application_id=application.id,
            consumer_id=consumer_id,
            kid=kid,
            settings=claims["settings"],
            redirect_uri=redirect_uri,
            created_at=now * 1000,
            expires_at=(now + lifetime) * 1000,
        ),
    )
    return MintedSession(session_id, token, f"{runtime.settings.public_url}/session/{token}", (now + lifetime) * 1000)
