"""``/vault/consumers``: Apideck's consumer endpoints (create, list, get, update, delete)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_application, runtime_of, validate_consumer_id
from vaultline.api.body import read_json_body
from vaultline.api.fields import RequestModel
from vaultline.api.openapi_docs import documented_errors
from vaultline.api.pagination import (
    DEFAULT_LIMIT,
    INT32_MAX,
    MAX_LIMIT,
    cursor_number,
    decode_cursor,
    encode_cursor,
    page_meta,
)
from vaultline.api.responses import ok
from vaultline.api.schemas import ConsumerResponse, ConsumersPage, DeleteConsumerResponse
from vaultline.api.session_request import ConsumerMetadata
from vaultline.clock import iso_from_ms
from vaultline.errors import BadRequest, Conflict, NotFound
from vaultline.store.consumers import (
    Consumer,
    ConsumerExists,
    create_consumer,
    delete_consumer,
    get_consumer,
    list_consumers,
    update_consumer_metadata,
)

router = APIRouter(prefix="/vault/consumers", tags=["Consumers"])


class CreateConsumerRequest(RequestModel):
    consumer_id: str
    metadata: ConsumerMetadata | None = None


class UpdateConsumerRequest(RequestModel):
    metadata: ConsumerMetadata | None = None


def consumer_view(consumer: Consumer) -> dict[str, Any]:
    return {
        "consumer_id": consumer.consumer_id,
        "application_id": consumer.application_id,
        "metadata": consumer.metadata,
        # Connections arrive with the integrations work; until then a consumer has none.
        "connections": [],
        "services": [],
        "created": iso_from_ms(consumer.created_at),
        "modified": iso_from_ms(consumer.modified_at),
    }


def _not_found(consumer_id: str) -> NotFound:
    return NotFound(f"No consumer {consumer_id!r} in this application")


def _possible_id(consumer_id: str) -> str:
    """An id no consumer can have (creation refuses it) is a 404 without a query: PostgreSQL
    refuses a NUL in a text parameter with an error, not a miss."""
    try:
        return validate_consumer_id(consumer_id)
    except BadRequest:
        raise _not_found(consumer_id) from None


@router.post(
    "",
    summary="Create consumer",
    operation_id="consumersAdd",
    response_model=ConsumerResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CreateConsumerRequest.model_json_schema()}},
        }
    },
    responses=documented_errors(400, 401, 409, 413, 415),
)
async def add_consumer(request: Request) -> Response:
    application = await authenticate_application(request)
    body = await read_json_body(request, CreateConsumerRequest, required=True)
    assert body is not None
    consumer_id = validate_consumer_id(body.consumer_id.strip())
    if not consumer_id:
        raise BadRequest("consumer_id must not be empty")
    metadata = body.metadata.model_dump(exclude_none=True) if body.metadata else {}
    try:
        async with runtime_of(request).engine.begin() as connection:
            consumer = await create_consumer(
                connection, application_id=application.id, consumer_id=consumer_id, metadata=metadata
            )
    except ConsumerExists:
        raise Conflict(f"Consumer {consumer_id!r} already exists", detail="Use PATCH to update its metadata.") from None
    return ok(consumer_view(consumer))


@router.get(
    "",
    summary="Get all consumers",
    operation_id="consumersAll",
    response_model=ConsumersPage,
    responses=documented_errors(400, 401),
)
async def all_consumers(
    request: Request,
    cursor: str | None = Query(default=None, max_length=512),
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Response:
    application = await authenticate_application(request)
    position = decode_cursor(cursor)
    # consumers.pk is an INTEGER column (32-bit on PostgreSQL)
    after_pk = cursor_number(position, maximum=INT32_MAX) if position is not None else None
    async with runtime_of(request).engine.connect() as connection:
        page, next_pk = await list_consumers(connection, application_id=application.id, after_pk=after_pk, limit=limit)
    next_cursor = encode_cursor(str(next_pk)) if next_pk is not None else None
    meta = page_meta(
        request,
        public_url=runtime_of(request).settings.public_url,
        items=len(page),
        current=cursor,
        next_cursor=next_cursor,
    )
    return ok([consumer_view(c) for c in page], **meta)


@router.get(
    "/{consumer_id}",
    summary="Get consumer",
    operation_id="consumersOne",
    response_model=ConsumerResponse,
    responses=documented_errors(401, 404),
)
async def one_consumer(request: Request, consumer_id: str) -> Response:
    application = await authenticate_application(request)
    consumer_id = _possible_id(consumer_id)
    async with runtime_of(request).engine.connect() as connection:
        consumer = await get_consumer(connection, application_id=application.id, consumer_id=consumer_id)
    if consumer is None:
        raise _not_found(consumer_id)
    return ok(consumer_view(consumer))


@router.patch(
    "/{consumer_id}",
    summary="Update consumer",
    operation_id="consumersUpdate",
    response_model=ConsumerResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UpdateConsumerRequest.model_json_schema()}},
        }
    },
    responses=documented_errors(400, 401, 404, 413, 415),
)
async def patch_consumer(request: Request, consumer_id: str) -> Response:
    application = await authenticate_application(request)
    consumer_id = _possible_id(consumer_id)
    body = await read_json_body(request, UpdateConsumerRequest, required=True)
    assert body is not None
    async with runtime_of(request).engine.begin() as connection:
        existing = await get_consumer(connection, application_id=application.id, consumer_id=consumer_id)
        if existing is None:
            raise _not_found(consumer_id)
        metadata = body.metadata.model_dump(exclude_none=True) if body.metadata else existing.metadata
        consumer = await update_consumer_metadata(
            connection, application_id=application.id, consumer_id=consumer_id, metadata=metadata
        )
    assert consumer is not None
    return ok(consumer_view(consumer))


@router.delete(
    "/{consumer_id}",
    summary="Delete consumer",
    operation_id="consumersDelete",
    response_model=DeleteConsumerResponse,
    responses=documented_errors(401, 404),
)
async def remove_consumer(request: Request, consumer_id: str) -> Response:
    """Delete the consumer; every session it holds is revoked at once."""
    application = await authenticate_application(request)
    consumer_id = _possible_id(consumer_id)
    async with runtime_of(request).engine.begin() as connection:
        deleted = await delete_consumer(connection, application_id=application.id, consumer_id=consumer_id)
    if not deleted:
        raise _not_found(consumer_id)
    return ok({"consumer_id": consumer_id})
