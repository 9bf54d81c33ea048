"""Cursor pagination in Apideck's shape: ``meta.cursors`` and ``links``.

Cursors are opaque to clients (base64url of our own position marker) and validated on the
way back in: a forged or stale cursor is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import URL
from starlette.requests import Request

from vaultline.errors import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    try:
        position = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_cursor() from None
    if _CONTROL_CHARS.search(position):  # a forged cursor's NUL would reach PostgreSQL as an error
        raise invalid_cursor()
    return position


def invalid_cursor() -> BadRequest:
    return BadRequest("Invalid cursor", detail="Use a cursor from meta.cursors of a previous page.")


def cursor_number(text: str, *, maximum: int) -> int:
    """A number inside a decoded cursor. ``str.isdigit`` is not enough: it accepts "²" (which
    ``int`` refuses) and numbers no database column holds (which the driver refuses)."""
    if not _ASCII_DIGITS.fullmatch(text) or int(text) > maximum:
        raise invalid_cursor()
    return int(text)


def encode_time_id_cursor(position: tuple[int, str] | None) -> str | None:
    """The cursor of a listing ordered by (created_at, id), newest first; None on the last page."""
    return encode_cursor(f"{position[0]}:{position[1]}") if position is not None else None


def decode_time_id_cursor(cursor: str | None, *, is_id: Callable[[str], object]) -> tuple[int, str] | None:
    """``encode_time_id_cursor``'s position back, or a 400 when it was not ours: the id part must
    be one ``is_id`` accepts, so a forged one never reaches the database."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    created, _, item_id = position.partition(":")
    if not is_id(item_id):
        raise invalid_cursor()
    return cursor_number(created, maximum=INT64_MAX), item_id


def page_meta(
    request: Request, *, public_url: str, items: int, current: str | None, next_cursor: str | None
) -> dict[str, Any]:
    """``meta`` and ``links`` for a page, spread into ``ok(...)``. Links use the public URL,
    not the Host header, so they are right behind a proxy."""
    here = request.url.remove_query_params("cursor")
    if current:
        here = here.include_query_params(cursor=current)

    def link(url: URL) -> str:
        return public_url + url.path + (f"?{url.query}" if url.query else "")

    return {
        "meta": {"items_on_page": items, "cursors": {"previous": None, "current": current, "next": next_cursor}},
        "links": {
            "previous": None,
            "current": link(here),
            "next": link(here.include_query_params(cursor=next_cursor)) if next_cursor else None,
        },
    }
