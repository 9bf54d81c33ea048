"""The one exception tree of the server, and how it becomes Apideck's JSON error body.

Every error a client can cause is a ``VaultError`` subclass carrying its HTTP status and a
stable ``type_name``; ``error_body`` renders the wire shape
``{status_code, error, type_name, message, detail, ref}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

ERRORS_DOC_PATH = "/docs/errors"


class VaultError(Exception):
    """An unexpected failure on the server side. The body never carries a stack trace; the
    response's ``x-request-id`` finds the server's log line."""

    status_code: ClassVar[int] = 500
    type_name: ClassVar[str] = "InternalServerError"
    default_message: ClassVar[str] = "Something went wrong on our side"

    def __init__(
        self,
        message: str | None = None,
        *,
        detail: str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.detail = detail
        self.headers = headers or {}
        super().__init__(self.message)

    def to_body(self, public_url: str = "") -> dict[str, Any]:
        return error_body(self.status_code, self.type_name, self.message, self.detail, public_url=public_url)


class BadRequest(VaultError):
    """The request is malformed: bad JSON, an unknown key, a wrong type, a missing header."""

    status_code = 400
    type_name = "RequestValidationError"
    default_message = "Invalid request"


class Unauthorized(VaultError):
    """No valid credential: a missing, unknown or rotated-out API key, or a session token that is
    invalid, expired or revoked. Browser clients read ``status_code == 401`` to detect an expired session."""

    status_code = 401
    type_name = "UnauthorizedError"
    default_message = "Unauthorized request"


class Forbidden(VaultError):
    """The caller is known but may not do this (e.g. an action the session's ``allow_actions`` omits)."""

    status_code = 403
    type_name = "ForbiddenError"
    default_message = "This action is not allowed"


class NotFound(VaultError):
    """No such route, or no such resource in the calling application."""

    status_code = 404
    type_name = "EntityNotFoundError"
    default_message = "Not found"


class MethodNotAllowed(VaultError):
    """The route exists but not with this HTTP method; the ``Allow`` header lists the ones it has."""

    status_code = 405
    type_name = "MethodNotAllowedError"
    default_message = "Method not allowed"


class Conflict(VaultError):
    """The resource already exists (e.g. creating a consumer id twice)."""

    status_code = 409
    type_name = "ConflictError"
    default_message = "The resource already exists"


class PayloadTooLarge(VaultError):
    """The body is over 64 KB."""

    status_code = 413
    type_name = "PayloadTooLargeError"
    default_message = "Request body too large"


class RequestTimeout(VaultError):
    """The request's body did not arrive within ``VAULTLINE_BODY_TIMEOUT_SECONDS`` of its headers;
    the connection is closed."""

    status_code = 408
    type_name = "RequestTimeoutError"
    default_message = "The request body did not arrive in time"


class RequestHeadersTooLarge(VaultError):
    """The request line and headers are over 32 KB (or ``VAULTLINE_MAX_HEADER_BYTES``); the connection is closed."""

    status_code = 431
    type_name = "RequestHeaderFieldsTooLargeError"
    default_message = "Request headers too large"


class UnsupportedMediaType(VaultError):
    """The body is not JSON. Send ``Content-Type: application/json``."""

    status_code = 415
    type_name = "UnsupportedMediaTypeError"
    default_message = "Send the request body as JSON with Content-Type: application/json"


class Unprocessable(VaultError):
    """Well-formed but unacceptable: a ``redirect_uri`` outside the allowlist, a URL browsers could read as
    another host than the server (a backslash, user info, whitespace…), a session longer than a week."""

    status_code = 422
    type_name = "InvalidStateError"
    default_message = "Unprocessable request"


class TooManyRequests(VaultError):
    """Too many failed authentications from this client address: wait ``Retry-After`` seconds.
    A valid API key or session token is still accepted meanwhile."""

    status_code = 429
    type_name = "TooManyRequestsError"
    default_message = "Too many failed authentication attempts"


class ServiceUnavailable(VaultError):
    """A dependency (the database) did not answer, or the worker already holds its maximum of open
    connections (``VAULTLINE_MAX_CONNECTIONS``); retry after ``Retry-After`` seconds."""

    status_code = 503
    type_name = "ServiceUnavailableError"
    default_message = "Service temporarily unavailable"


class UnsupportedOperation(VaultError):
    """An operation of Apideck's Vault API that Vaultline does not implement because it needs a
    unified data layer Vaultline does not have (custom fields, custom mappings, resource schemas
    and examples, migrating a connection). ``detail.operation_id`` names the operation; see
    docs/compatibility.md for every operation and what Vaultline does with it."""

    status_code = 501
    type_name = "UnsupportedOperationError"
    default_message = "Vaultline does not support this operation"


def error_body(
    status_code: int,
    type_name: str,
    message: str,
    detail: str | dict[str, Any] | None = None,
    *,
    public_url: str = "",
) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "Error"
    return {
        "status_code": status_code,
        "error": phrase,
        "type_name": type_name,
        "message": message,
        "detail": detail if detail is not None else message,
        "ref": f"{public_url}{ERRORS_DOC_PATH}#{type_name.lower()}",
    }


DOCUMENTED_ERRORS: tuple[type[VaultError], ...] = (
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
    Unprocessable,
    TooManyRequests,
    RequestHeadersTooLarge,
    ServiceUnavailable,
    UnsupportedOperation,
    VaultError,
)
_TYPE_BY_STATUS: dict[int, type[VaultError]] = {cls.status_code: cls for cls in DOCUMENTED_ERRORS}


def error_for_status(status_code: int, message: str | None = None) -> VaultError:
    """The VaultError matching an HTTP status raised by the framework itself (404, 405…)."""
    fallback = BadRequest if 400 <= status_code < 500 else VaultError
    return _TYPE_BY_STATUS.get(status_code, fallback)(message)
