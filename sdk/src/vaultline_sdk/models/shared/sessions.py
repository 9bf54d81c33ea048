"""Vaultline's own session endpoints (list, get, revoke): a session's state and times."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from vaultline_sdk.models.shared._base import ResponseModel
from vaultline_sdk.models.shared.pagination import Links, Meta


class SessionState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class SessionDetails(ResponseModel):
    """One minted session. Its ``id`` is the token's ``jti``."""

    id: str
    application_id: str
    consumer_id: str
    state: SessionState
    """``active`` until it expires or is revoked."""
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    redirect_uri: str | None = None
    settings: dict[str, Any] = {}
    """The session's settings with every default filled in."""


class GetSessionResponse(ResponseModel):
    """``GET`` or ``DELETE /vault/sessions/{id}``."""

    status_code: int
    status: str
    data: SessionDetails


class GetSessionsResponse(ResponseModel):
    """``GET /vault/sessions``: one page of a consumer's sessions, newest first."""

    status_code: int
    status: str
    data: list[SessionDetails]
    meta: Meta = Meta()
    links: Links = Links()
