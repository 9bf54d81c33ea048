"""The body of ``POST /vault/links``: a session's body (sessions/request.py) plus how long the link
lives, whether it is single-use, and whom to email it to, in which language."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, Field

from vaultline.sessions.request import SessionRequest

DEFAULT_LINK_SECONDS = 72 * 3600
MAX_LINK_SECONDS = 7 * 24 * 3600
MIN_LINK_SECONDS = 60
_SESSION_FIELDS = frozenset(SessionRequest.model_fields)

# Deliberately narrower than RFC 5322: one mailbox, no display name, no quoting, no comments,
# nothing that could add a header or a second recipient.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")


def _check_email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("must be one email address, such as person@example.com")
    return value


def _check_locale(value: str) -> str:
    if not _LOCALE.fullmatch(value):
        raise ValueError('must be a language tag such as "en", "nl" or "pt-BR"')
    return value.replace("_", "-")


def session_request_from(fields: dict[str, Any]) -> SessionRequest:
    """The session body stored with a link, read back. As JSON: the models are strict, and in
    Python mode a strict enum field refuses the plain string the JSON column gives back."""
    return SessionRequest.model_validate_json(orjson.dumps(fields))


class LinkRequest(SessionRequest):
    expires_in: int = Field(
        default=DEFAULT_LINK_SECONDS,
        ge=MIN_LINK_SECONDS,
        le=MAX_LINK_SECONDS,
        description="Seconds the link works, at most 7 days (604800); default 72 hours.",
    )
    single_use: bool = Field(
        default=True, description="Bound to the first browser that opens it; other browsers are refused."
    )
    send_to: Annotated[str, AfterValidator(_check_email)] | None = Field(
        default=None, description="Email the link to this address (needs VAULTLINE_SMTP_URL on the server)."
    )
    locale: Annotated[str, AfterValidator(_check_locale)] | None = Field(
        default=None, max_length=35, description="The language of the email (and of the vault, where translated)."
    )

    def session_request(self) -> SessionRequest:
        return session_request_from(self.session_fields())

    def session_fields(self) -> dict[str, Any]:
        """What each opening mints a session from, as stored with the link."""
        return self.model_dump(mode="json", include=set(_SESSION_FIELDS), exclude_none=True)
