"""Models shared by every operation: request bodies, response bodies and the error body."""

from vaultline_sdk.models.shared.consumers import (
    Consumer,
    CreateConsumerResponse,
    DeleteConsumerResponse,
    DeletedConsumer,
    GetConsumerResponse,
    GetConsumersResponse,
    UpdateConsumerResponse,
)
from vaultline_sdk.models.shared.errors import (
    BadRequestResponse,
    ConflictResponse,
    ErrorBody,
    NotFoundResponse,
    PaymentRequiredResponse,
    UnauthorizedResponse,
    UnexpectedErrorResponse,
    UnprocessableResponse,
)
from vaultline_sdk.models.shared.pagination import Cursors, Links, Meta
from vaultline_sdk.models.shared.session import (
    ConsumerMetadata,
    CreateSessionResponse,
    CreateSessionResponseData,
    Session,
    SessionSettings,
    SessionSettingsAllowActionsEnum,
    SessionTheme,
    UnifiedApiIdEnum,
)
from vaultline_sdk.models.shared.sessions import GetSessionResponse, GetSessionsResponse, SessionDetails, SessionState

__all__ = [
    "BadRequestResponse",
    "ConflictResponse",
    "Consumer",
    "ConsumerMetadata",
    "CreateConsumerResponse",
    "CreateSessionResponse",
    "CreateSessionResponseData",
    "Cursors",
    "DeleteConsumerResponse",
    "DeletedConsumer",
    "ErrorBody",
    "GetConsumerResponse",
    "GetConsumersResponse",
    "GetSessionResponse",
    "GetSessionsResponse",
    "Links",
    "Meta",
    "NotFoundResponse",
    "PaymentRequiredResponse",
    "Session",
    "SessionDetails",
    "SessionSettings",
    "SessionSettingsAllowActionsEnum",
    "SessionState",
    "SessionTheme",
    "UnauthorizedResponse",
    "UnexpectedErrorResponse",
    "UnifiedApiIdEnum",
    "UnprocessableResponse",
    "UpdateConsumerResponse",
]
