"""``GET /vault/logs``: a consumer's Vault API calls (Apideck's ``Log`` and ``LogsFilter``)."""

from __future__ import annotations

from typing import Literal

from vaultline_sdk.models.shared._base import RequestModel, ResponseModel
from vaultline_sdk.models.shared.pagination import Links, Meta


class LogsFilter(RequestModel):
    """Apideck's ``LogsFilter``, sent as ``filter[key]=value``. A plain dict of the same keys works too."""

    connector_id: str | None = None
    """``"crm+pipedrive"``, or a bare service id."""
    path: str | None = None
    path_match_mode: Literal["CONTAINS", "STARTS_WITH", "ENDS_WITH", "EXACT"] | None = None
    http_method: str | None = None
    http_methods: list[str] | None = None
    start_date: str | None = None
    """ISO 8601 date-time, e.g. ``"2026-11-01T00:00:00Z"``."""
    end_date: str | None = None
    status_code: int | None = None
    status_codes: list[int] | None = None
    exclude_unified_apis: list[str] | None = None


class LogOperation(ResponseModel):
    id: str
    name: str


class LogService(ResponseModel):
    id: str
    name: str


class Log(ResponseModel):
    """One Vault API call of a consumer. Unknown fields are kept (``model_extra``)."""

    id: str
    consumer_id: str
    http_method: str
    path: str
    status_code: int
    success: bool
    timestamp: str
    """ISO 8601, UTC."""
    operation: LogOperation
    service: LogService
    unified_api: str
    duration: float | None = None
    latency: float | None = None
    execution: int | None = None
    error_message: str | None = None
    parent_id: str | None = None
    api_style: str | None = None
    base_url: str | None = None
    child_request: bool | None = None
    has_children: bool | None = None
    sandbox: bool | None = None
    source_ip: str | None = None


class GetLogsResponse(ResponseModel):
    """``GET /vault/logs``: one page of a consumer's logs, newest first."""

    status_code: int
    status: str
    data: list[Log]
    meta: Meta = Meta()
    links: Links = Links()
