"""Vault links (``/vault/links``, Vaultline's own): a URL that opens the Hosted Vault for one
consumer with a fresh session each time, until it expires or is revoked; optionally emailed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from vaultline_sdk.models.shared._base import ResponseModel
from vaultline_sdk.models.shared.pagination import Links, Meta
from vaultline_sdk.models.shared.session import Session


class VaultLinkRequest(Session):
    """A session's body plus how long the link works, who may open it, and whom to email it to."""

    expires_in: int | None = Field(default=None, ge=60, le=604800)
    """Seconds the link works: at most 7 days; the server's default is 72 hours."""
    single_use: bool | None = None
    """True (the default): bound to the first browser that opens it, other browsers are refused."""
    send_to: str | None = None
    """Email the link to this address (the server needs ``VAULTLINE_SMTP_URL``)."""
    locale: str | None = None
    """The email's language, such as ``"nl"``."""


class LinkState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class CreatedLink(ResponseModel):
    id: str
    url: str
    """The only copy of the link's secret: hand it to the consumer; the server keeps only its hash."""
    expires_at: datetime


class CreateLinkResponse(ResponseModel):
    status_code: int
    status: str
    data: CreatedLink


class LinkEmail(ResponseModel):
    status: str
    """``pending``, ``sent``, ``dead`` (given up) or ``cancelled`` (the link was revoked first)."""
    attempts: int
    sent_at: datetime | None = None
    last_error: str | None = None


class LinkDetails(ResponseModel):
    id: str
    application_id: str
    consumer_id: str
    state: LinkState
    single_use: bool
    bound: bool
    """A single-use link that a browser has opened: only that browser can open it again."""
    locale: str | None = None
    send_to: str | None = None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    first_opened_at: datetime | None = None
    last_opened_at: datetime | None = None
    open_count: int = 0
    email: LinkEmail | None = None
    """The email's delivery (``get`` only, for an emailed link)."""


class GetLinkResponse(ResponseModel):
    status_code: int
    status: str
    data: LinkDetails


class GetLinksResponse(ResponseModel):
    status_code: int
    status: str
    data: list[LinkDetails]
    meta: Meta = Meta()
    links: Links = Links()


__all__ = [
    "CreateLinkResponse",
    "CreatedLink",
    "GetLinkResponse",
    "GetLinksResponse",
    "LinkDetails",
    "LinkEmail",
    "LinkState",
    "VaultLinkRequest",
]
