"""Apideck's error body, the same for every error status."""

from __future__ import annotations

from typing import Any

from vaultline_sdk.models.shared._base import ResponseModel


class ErrorBody(ResponseModel):
    """``{status_code, error, type_name, message, detail, ref}``, carried by every error answer.

    Apideck's spec names it per status (``BadRequestResponse``, ``UnauthorizedResponse``…);
    those names are aliases of this class.
    """

    status_code: int
    """The HTTP status, repeated in the body (browser clients read it from here)."""
    error: str | None = None
    """The status' reason phrase, e.g. ``"Unauthorized"``."""
    type_name: str | None = None
    """A stable error type, e.g. ``"UnauthorizedError"``: branch on this, not on ``message``."""
    message: str | None = None
    """What went wrong, for a human."""
    detail: str | dict[str, Any] | None = None
    """What to do about it, or structured detail."""
    ref: str | None = None
    """A link to the documentation of this error type."""


BadRequestResponse = ErrorBody
UnauthorizedResponse = ErrorBody
PaymentRequiredResponse = ErrorBody
NotFoundResponse = ErrorBody
ConflictResponse = ErrorBody
UnprocessableResponse = ErrorBody
UnexpectedErrorResponse = ErrorBody
