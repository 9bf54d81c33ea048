"""Apideck's consumer endpoints: a consumer is one of your customers, named by your own id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vaultline_sdk.models.shared._base import ResponseModel
from vaultline_sdk.models.shared.pagination import Links, Meta
from vaultline_sdk.models.shared.session import ConsumerMetadata


class Consumer(ResponseModel):
    consumer_id: str
    """Your id for this customer (the ``x-apideck-consumer-id`` of their sessions)."""
    application_id: str | None = None
    metadata: ConsumerMetadata | None = None
    connections: list[dict[str, Any]] = []
    services: list[str] = []
    created: datetime | None = None
    modified: datetime | None = None


class GetConsumerResponse(ResponseModel):
    """A single consumer: the answer to create, get and update."""

    status_code: int
    status: str
    data: Consumer


CreateConsumerResponse = GetConsumerResponse
UpdateConsumerResponse = GetConsumerResponse


class GetConsumersResponse(ResponseModel):
    """One page of the application's consumers."""

    status_code: int
    status: str
    data: list[Consumer]
    meta: Meta = Meta()
    links: Links = Links()


class DeletedConsumer(ResponseModel):
    consumer_id: str


class DeleteConsumerResponse(ResponseModel):
    status_code: int
    status: str
    data: DeletedConsumer


class RequestCountAllocation(ResponseModel):
    """Calls per kind; every Vaultline call is a Vault call (``unify`` and ``proxy`` stay 0)."""

    unify: int = 0
    proxy: int = 0
    vault: int = 0


class ConsumerRequestCounts(ResponseModel):
    """How many calls were made for a consumer between two moments (both included)."""

    application_id: str
    consumer_id: str
    start_datetime: datetime
    end_datetime: datetime
    aggregated_request_count: int
    request_counts: RequestCountAllocation


class ConsumerRequestCountsInDateRangeResponse(ResponseModel):
    status_code: int
    status: str
    data: ConsumerRequestCounts
