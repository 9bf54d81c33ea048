"""Every exception the SDK raises, under one base, and the one function mapping a status to a class.

VaultlineError
├── ConfigurationError                 no server URL / API key / app id; the [verify] extra missing
├── InvalidSessionTokenError           offline token verification failed
│   ├── ExpiredSessionTokenError
│   └── UnknownSigningKeyError         the token's kid is not in the JWKS
├── WebhookSignatureError              a webhook's x-vaultline-signature is missing, malformed, stale or wrong
└── APIError                           a call to the server went wrong
    ├── APIConnectionError             no HTTP answer at all
    │   └── APITimeoutError
    ├── APIResponseValidationError     a success body not in the documented shape
    └── APIStatusError                 an HTTP error answer (4xx, 5xx)
        ├── BadRequestError            400
        ├── AuthenticationError        401
        ├── PaymentRequiredError       402
        ├── PermissionDeniedError      403
        ├── NotFoundError              404
        ├── ConflictError              409
        ├── UnprocessableEntityError   422
        ├── RateLimitError             429
        ├── UnsupportedOperationError  501 (the operation needs a unified data layer; never retried)
        └── InternalServerError        other 5xx
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import ValidationError

from vaultline_sdk._constants import REQUEST_ID_HEADER
from vaultline_sdk.models.shared.errors import ErrorBody

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ExpiredSessionTokenError",
    "InternalServerError",
    "InvalidSessionTokenError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnknownSigningKeyError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "VaultlineError",
    "WebhookSignatureError",
    "make_status_error",
]


class VaultlineError(Exception):
    """Base of every exception raised by ``vaultline_sdk``."""


class ConfigurationError(VaultlineError):
    """The client cannot make this call as set up: a setting given neither as an argument nor in
    the environment, a session token for another consumer, or the ``verify`` extra not installed."""


class InvalidSessionTokenError(VaultlineError):
    """A session token failed offline verification (signature, algorithm, issuer, audience, times)."""


class ExpiredSessionTokenError(InvalidSessionTokenError):
    """The session token's ``exp`` has passed."""


class UnknownSigningKeyError(InvalidSessionTokenError):
    """The token names a ``kid`` the JWKS does not hold (a forged token, or keys not yet refreshed)."""


class WebhookSignatureError(VaultlineError):
    """A webhook's ``x-vaultline-signature`` is missing, malformed, too old, or does not match the body."""


class APIError(VaultlineError):
    """A call to the server failed. ``request`` is the last HTTP request sent."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before an answer arrived."""

    def __init__(self, *, request: httpx.Request, message: str | None = None) -> None:
        super().__init__(message or f"Could not connect to {request.url.copy_with(query=None)}", request=request)


class APITimeoutError(APIConnectionError):
    """No answer within the timeout (after every retry)."""

    def __init__(self, *, request: httpx.Request) -> None:
        super().__init__(request=request, message=f"Request to {request.url.copy_with(query=None)} timed out")


class APIResponseValidationError(APIError):
    """A success answer whose body is not the documented shape (is ``server_url`` a Vault server?)."""

    def __init__(self, *, response: httpx.Response, reason: str) -> None:
        super().__init__(f"Unexpected response body from {response.request.url}: {reason}", request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.raw_body = response.text


class APIStatusError(APIError):
    """The server answered with an error status.

    Attributes:
        status_code: the HTTP status.
        body: the parsed error body ``{status_code, error, type_name, message, detail, ref}``,
            or ``None`` when the answer was not JSON in that shape (a proxy's HTML page, say).
        raw_body: the answer's body as text, always.
        request_id: the server's ``x-request-id``: quote it when reporting a problem.
        response: the ``httpx.Response``.
    """

    status_code: int

    def __init__(self, *, response: httpx.Response, body: ErrorBody | None) -> None:
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.raw_body = response.text
        self.request_id: str | None = response.headers.get(REQUEST_ID_HEADER)
        super().__init__(self._describe(), request=response.request)

    @property
    def type_name(self) -> str | None:
        """The error's stable ``type_name`` (e.g. ``"UnauthorizedError"``), when the body has one."""
        return self.body.type_name if self.body else None

    def _describe(self) -> str:
        phrase = self.response.reason_phrase or "Error"
        text = f"{self.status_code} {phrase}"
        if self.body is not None and self.body.message:
            text += f": {self.body.message}"
            detail = self.body.detail
            if detail and detail != self.body.message:
                text += f" ({detail if isinstance(detail, str) else json.dumps(detail)})"
        elif self.raw_body.strip():
            text += f": {self.raw_body.strip()[:200]}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestError(APIStatusError):
    """400: the request is malformed (an unknown field, a missing header…)."""

    status_code = 400


class AuthenticationError(APIStatusError):
    """401: the API key is missing, unknown, rotated out or for another application."""

    status_code = 401


class PaymentRequiredError(APIStatusError):
    """402: a plan limit was reached (Apideck; Vaultline has no plans)."""

    status_code = 402


class PermissionDeniedError(APIStatusError):
    """403: the caller may not do this."""

    status_code = 403


class NotFoundError(APIStatusError):
    """404: no such session, consumer or resource in this application."""

    status_code = 404


class ConflictError(APIStatusError):
    """409: the resource already exists (creating a consumer twice)."""

    status_code = 409


class UnprocessableEntityError(APIStatusError):
    """422: well formed but not acceptable (a session longer than a week)."""

    status_code = 422


class RateLimitError(APIStatusError):
    """429: too many requests; retried automatically, honouring ``Retry-After``."""

    status_code = 429


class UnsupportedOperationError(APIStatusError):
    """501: an operation of Apideck's Vault API that Vaultline does not implement (custom fields,
    custom mappings, resource schemas and examples, migrate); ``body.detail`` names it. Not retried."""

    status_code = 501


class InternalServerError(APIStatusError):
    """5xx: the server failed; retried automatically."""


_ERROR_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    501: UnsupportedOperationError,
}


def make_status_error(response: httpx.Response) -> APIStatusError:
    """The exception for an error answer: the class is chosen by status alone, the body parsed
    when it is Apideck's error shape and kept raw otherwise."""
    error_class = _ERROR_BY_STATUS.get(response.status_code)
    if error_class is None:
        error_class = InternalServerError if response.status_code >= 500 else APIStatusError
    return error_class(response=response, body=_parse_error_body(response))


def _parse_error_body(response: httpx.Response) -> ErrorBody | None:
    try:
        payload: Any = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    try:
        return ErrorBody.model_validate(payload)
    except ValidationError:
        return None
