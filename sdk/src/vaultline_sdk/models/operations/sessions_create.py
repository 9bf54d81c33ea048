"""``sessions.sessions_create``: the request, security and response of the seeds' call."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from pydantic import BaseModel, ConfigDict, Field

from vaultline_sdk.models.shared.session import CreateSessionResponse, Session


class SessionsCreateRequest(BaseModel):
    """Which consumer the session is for, and what it shows.

    ``x_apideck_app_id`` may be left out when the client knows it (``SDK(app_id=...)`` or
    ``VAULTLINE_APP_ID``).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    x_apideck_consumer_id: str
    """Your id for the customer this session is for (sent as ``x-apideck-consumer-id``)."""
    x_apideck_app_id: str | None = None
    """Your application's id (sent as ``x-apideck-app-id``)."""
    session: Session | None = None
    """The body; ``None`` sends an empty POST and every server default applies."""


class SessionsCreateSecurity(BaseModel):
    """The API key for this one call; overrides ``SDK(api_key=...)`` and ``VAULTLINE_API_KEY``."""

    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(repr=False)


@dataclass(frozen=True)
class SessionsCreateResponse:
    """What ``sessions_create`` returns. Error statuses raise instead (see ``vaultline_sdk.APIStatusError``)."""

    status_code: int
    content_type: str
    raw_response: httpx.Response = field(repr=False)
    create_session_response: CreateSessionResponse
    """The parsed body: ``create_session_response.data.session_uri`` and ``.session_token``."""
