"""The backend's half of an OAuth flow: confirming a connection authorized with a ``nonce``
(``ConfirmConnectionResponse``) and a callback state for a flow the backend runs itself
(``CreateCallbackStateResponse``)."""

from __future__ import annotations

from vaultline_sdk.models.shared._base import ResponseModel


class ConfirmConnectionResult(ResponseModel):
    confirmed: bool


class ConfirmConnectionResponse(ResponseModel):
    status_code: int
    status: str
    data: ConfirmConnectionResult


class CallbackState(ResponseModel):
    state: str
    """Single-use, 10 minutes: the ``state`` of your own authorize URL."""
    code_challenge: str | None = None
    """Vaultline's own: the PKCE challenge (S256) to send with it."""
    code_challenge_method: str | None = None


class CreateCallbackStateResponse(ResponseModel):
    status_code: int
    status: str
    data: CallbackState
