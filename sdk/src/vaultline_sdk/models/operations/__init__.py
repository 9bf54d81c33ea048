"""Per-operation request, security and response types (the seeds' ``operations`` namespace)."""

from vaultline_sdk.models.operations.sessions_create import (
    SessionsCreateRequest,
    SessionsCreateResponse,
    SessionsCreateSecurity,
)

__all__ = ["SessionsCreateRequest", "SessionsCreateResponse", "SessionsCreateSecurity"]
