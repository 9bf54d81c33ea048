"""Apideck's consent models: a consumer's consent records to the application's data scopes
(``ConsentRecord``), the application's ``DataScopes``, and the consent endpoints' answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from vaultline_sdk.models.shared._base import RequestModel, ResponseModel

ConsentResources = dict[str, dict[str, dict[str, bool]]] | Literal["*"]
"""``{"crm.contacts": {"email": {"read": True, "write": False}}}``, or ``"*"`` for everything."""


class ConsentRecord(ResponseModel):
    """One decision of the consumer; records are immutable, the newest is ``latest_consent``."""

    id: str
    created_at: str
    """ISO 8601."""
    granted: bool
    resources: ConsentResources | dict[str, Any]


class DataScopes(ResponseModel):
    """What the application asks its consumers to consent to (``vaultline apps data-scopes``)."""

    enabled: bool = False
    updated_at: str | None = None
    resources: ConsentResources | dict[str, Any] = "*"


class UpdateConsentRequest(RequestModel):
    granted: bool
    resources: ConsentResources = Field(description='The resources and fields consented to, or "*"')


class GetConsentRecordsResponse(ResponseModel):
    status_code: int
    status: str
    data: list[ConsentRecord]


class UpdateConsentResponse(ResponseModel):
    status_code: int
    status: str
    data: ConsentRecord
