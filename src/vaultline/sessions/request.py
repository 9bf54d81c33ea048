"""The body of ``POST /vault/sessions``, as Apideck's ``Session`` schema defines it."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from vaultline.config import MAX_SESSION_SECONDS
from vaultline.errors import BadRequest, Unprocessable
from vaultline.fields import HexColor, HttpUrl, RequestModel, ShortText, UnifiedApiId


class AllowAction(StrEnum):
    DELETE = "delete"
    DISCONNECT = "disconnect"
    REAUTHORIZE = "reauthorize"
    DISABLE = "disable"


class ConsumerMetadata(RequestModel):
    account_name: ShortText | None = None
    user_name: ShortText | None = None
    email: ShortText | None = None
    image: HttpUrl | None = Field(default=None, description="Avatar URL (http or https)")


class SessionSettings(RequestModel):
    unified_apis: list[UnifiedApiId] | None = Field(
        default=None, description="Unified APIs the consumer may see and use; omitted or empty means all."
    )
    hide_resource_settings: bool = False
    sandbox_mode: bool = False
    isolation_mode: bool = False
    session_length: str = Field(
        default="1h", max_length=32, description='e.g. "30m", "1h", "24h", "7d", "1w"; at most one week.'
    )
    show_logs: bool = True
    show_suggestions: bool = False
    show_sidebar: bool = True
    auto_redirect: bool = False
    hide_guides: bool = False
    hide_consumer_card: bool = False
    allow_actions: list[AllowAction] | None = Field(
        default=None, description="Actions the consumer may take; omitted means all, empty means none."
    )


class SessionTheme(RequestModel):
    favicon: HttpUrl | None = None
    logo: HttpUrl | None = None
    primary_color: HexColor | None = None
    sidepanel_background_color: HexColor | None = None
    sidepanel_text_color: HexColor | None = None
    vault_name: ShortText | None = None
    privacy_url: HttpUrl | None = None
    terms_url: HttpUrl | None = None


def _check_standard_json(value: dict[str, Any]) -> dict[str, Any]:
    # The JSON parser accepts NaN and Infinity (and reads 1e999 as infinity), which no database
    # JSON column stores. A walk finds them without encoding the value (json.dumps with
    # allow_nan=False, which refused exactly these floats, cost a fifth of the body's validation).
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("must be standard JSON: NaN and Infinity are not numbers JSON allows")
    return value


class SessionRequest(RequestModel):
    consumer_metadata: ConsumerMetadata | None = None
    redirect_uri: str | None = Field(default=None, max_length=2048)
    settings: SessionSettings | None = None
    theme: SessionTheme | None = None
    custom_consumer_settings: Annotated[dict[str, Any], AfterValidator(_check_standard_json)] | None = None


_DURATION_PART = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]+)")
_UNIT_SECONDS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "week", "weeks"), 604800),
}


def parse_session_length(text: str) -> int:
    """``"30m"`` → 1800. Sequences add up (``"1h30m"``). Unparseable → 400; not positive or
    longer than a week → 422."""
    position, total, stripped = 0, 0.0, text.strip()
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        unit = match and _UNIT_SECONDS.get(match.group(2).lower())
        if not match or unit is None:
            raise BadRequest(
                f"settings.session_length {text!r} is not a duration",
                detail='Use a number and a unit, such as "30m", "1h", "24h", "7d" or "1w".',
            )
        total += float(match.group(1)) * unit
        position = match.end()
    if not stripped:
        raise BadRequest("settings.session_length is empty", detail='Use a duration such as "1h".')
    seconds = int(total)
    if seconds <= 0:
        raise Unprocessable(f"settings.session_length {text!r} must be positive")
    if seconds > MAX_SESSION_SECONDS:
        raise Unprocessable(f"settings.session_length {text!r} is longer than the maximum of one week")
    return seconds
