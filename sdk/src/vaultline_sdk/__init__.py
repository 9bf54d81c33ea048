"""Python client for Vaultline, and for any server speaking Apideck Vault's wire format.

from vaultline_sdk import SDK, AsyncSDK
from vaultline_sdk.models import operations, shared
"""

from vaultline_sdk._client import SDK, AsyncSDK
from vaultline_sdk._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ExpiredSessionTokenError,
    InternalServerError,
    InvalidSessionTokenError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    UnknownSigningKeyError,
    UnprocessableEntityError,
    UnsupportedOperationError,
    VaultlineError,
    WebhookSignatureError,
)
from vaultline_sdk._options import RequestOptions
from vaultline_sdk._pagination import AsyncPage, SyncPage
from vaultline_sdk._version import __version__
from vaultline_sdk.session_tokens import SessionTokenClaims, verify_session_token
from vaultline_sdk.webhooks import verify_webhook_signature

__all__ = [
    "SDK",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPage",
    "AsyncSDK",
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
    "RequestOptions",
    "SessionTokenClaims",
    "SyncPage",
    "UnknownSigningKeyError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "VaultlineError",
    "WebhookSignatureError",
    "__version__",
    "verify_session_token",
    "verify_webhook_signature",
]
