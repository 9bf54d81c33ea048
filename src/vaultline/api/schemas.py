"""Response shapes, for the OpenAPI document (handlers build plain dicts and return them
directly, so these are documentation and test oracles, not a serialization step)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from vaultline.sessions.request import ConsumerMetadata


class ErrorBody(BaseModel):
    status_code: int
    error: str
    type_name: str
    message: str
    detail: str | dict[str, Any] | None = None
    ref: str | None = None


class Envelope(BaseModel):
    status_code: int
    status: str


class Cursors(BaseModel):
    previous: str | None = None
    current: str | None = None
    next: str | None = None


class Meta(BaseModel):
    items_on_page: int
    cursors: Cursors


class Links(BaseModel):
    previous: str | None = None
    current: str | None = None
    next: str | None = None


class SessionCreated(BaseModel):
    session_uri: str
    session_token: str


class CreateSessionResponse(Envelope):
    data: SessionCreated


class SessionView(BaseModel):
    id: str
    application_id: str
    consumer_id: str
    state: Literal["active", "expired", "revoked"]
    created_at: str
    expires_at: str
    revoked_at: str | None
    redirect_uri: str | None
    settings: dict[str, Any]


class SessionResponse(Envelope):
    data: SessionView


class SessionsPage(Envelope):
    data: list[SessionView]
    meta: Meta
    links: Links


class ConsumerView(BaseModel):
    consumer_id: str
    application_id: str
    metadata: ConsumerMetadata
    connections: list[dict[str, Any]] | None = None  # only on single-consumer answers
    services: list[str]
    created: str
    modified: str


class ConsumerResponse(Envelope):
    data: ConsumerView


class ConsumersPage(Envelope):
    data: list[ConsumerView]
    meta: Meta
    links: Links


class DeletedConsumer(BaseModel):
    consumer_id: str


class DeleteConsumerResponse(Envelope):
    data: DeletedConsumer


class RequestCountAllocation(BaseModel):
    unify: int
    proxy: int
    vault: int


class ConsumerRequestCounts(BaseModel):
    application_id: str
    consumer_id: str
    start_datetime: str
    end_datetime: str
    aggregated_request_count: int
    request_counts: RequestCountAllocation


class ConsumerRequestCountsResponse(Envelope):
    data: ConsumerRequestCounts


class LinkCreated(BaseModel):
    id: str
    url: str
    expires_at: str


class CreateLinkResponse(Envelope):
    data: LinkCreated


class LinkEmail(BaseModel):
    status: Literal["pending", "sent", "dead", "cancelled"]
    attempts: int
    sent_at: str | None
    last_error: str | None


class LinkView(BaseModel):
    id: str
    application_id: str
    consumer_id: str
    state: Literal["active", "expired", "revoked"]
    single_use: bool
    bound: bool
    locale: str | None
    send_to: str | None
    created_at: str
    expires_at: str
    revoked_at: str | None
    first_opened_at: str | None
    last_opened_at: str | None
    open_count: int
    email: LinkEmail | None = None


class LinkResponse(Envelope):
    data: LinkView


class LinksPage(Envelope):
    data: list[LinkView]
    meta: Meta
    links: Links
