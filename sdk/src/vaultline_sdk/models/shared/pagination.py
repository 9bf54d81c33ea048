"""Apideck's cursor pagination envelope: ``meta.cursors`` and ``links``."""

from __future__ import annotations

from vaultline_sdk.models.shared._base import ResponseModel


class Cursors(ResponseModel):
    previous: str | None = None
    current: str | None = None
    next: str | None = None
    """Pass this as ``cursor`` to get the next page; ``None`` on the last page."""


class Meta(ResponseModel):
    items_on_page: int | None = None
    cursors: Cursors = Cursors()


class Links(ResponseModel):
    previous: str | None = None
    current: str | None = None
    next: str | None = None
