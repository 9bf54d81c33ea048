"""``/vault/consumers``: Apideck's consumer endpoints (create, list, get, update, delete)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_application, validate_consumer_id
from vaultline.api.body import read_json_body
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
from vaultline.api.schemas import ConsumerResponse, ConsumersPage, DeleteConsumerResponse
from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import iso_from_ms
from vaultline.connection_ids import connection_id
from vaultline.connections.change_events import enqueue_consumer_connections_deleted
from vaultline.connections.state import connection_state
from vaultline.errors import BadRequest, Conflict, NotFound
from vaultline.fields import RequestModel
from vaultline.responses import ok
from vaultline.runtime import runtime_of
from vaultline.sessions.request import ConsumerMetadata
from vaultline.store.connections import ConnectionRecord, connected_service_ids, list_connections
from vaultline.store.consumers import (
    Consumer,
    ConsumerExists,
    ConsumersFilter,
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


def consumer_view(
    consumer: Consumer, *, services: list[str], connections: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "consumer_id": consumer.consumer_id,
        "application_id": consumer.application_id,
        "metadata": consumer.metadata,
        "services": services,
        "created": iso_from_ms(consumer.created_at),
        "modified": iso_from_ms(consumer.modified_at),
    }
    if connections is not None:  # the single-consumer answers carry them; listings only name services
        view["connections"] = connections
    return view


def consumer_connection_view(definition: IntegrationDefinition, record: ConnectionRecord) -> dict[str, Any]:
    """Apideck's ConsumerConnection: what is connected, never its settings (they hold secrets)."""
    return {
        "id": connection_id(definition.unified_api, definition.service_id),
        "name": definition.name,
        "icon": definition.logo_url,
        "logo": definition.logo_url,
        "website": definition.website,
        "tag_line": definition.tag_line,
        "service_id": definition.service_id,
        "unified_api": definition.unified_api.value,
        "consumer_id": record.consumer_id,
        "auth_type": definition.auth_type,
        "enabled": record.enabled,
        "state": connection_state(definition, record),
        "created_at": iso_from_ms(record.created_at),
        "updated_at": iso_from_ms(record.updated_at),
    }


async def _full_view(request: Request, connection: AsyncConnection, consumer: Consumer) -> dict[str, Any]:
    runtime = runtime_of(request)
    records = await list_connections(
        connection,
        application_id=consumer.application_id,
        consumer_id=consumer.consumer_id,
        ring=runtime.master_keys,
    )
    known = [(runtime.catalog.get(r.service_id), r) for r in records]
    views = [consumer_connection_view(definition, record) for definition, record in known if definition is not None]
    return consumer_view(consumer, services=[r.service_id for r in records], connections=views)


def _idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key (SDKs send one per logical call and reuse it on retries)."""
    key = request.headers.get("idempotency-key", "").strip()
    return key[:255] if key else None


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
    responses=documented_errors(400, 401, 409, 413, 415, 422),
)
async def add_consumer(request: Request) -> Response:
    """Create a consumer. A retry carrying the same ``Idempotency-Key`` as the request that
    created it gets that consumer back (200) instead of a 409."""
    application = await authenticate_application(request)
    body = await read_json_body(request, CreateConsumerRequest, required=True)
    consumer_id = validate_consumer_id(body.consumer_id.strip())
    if not consumer_id:
        raise BadRequest("consumer_id must not be empty")
    metadata = body.metadata.model_dump(exclude_none=True) if body.metadata else {}
    try:
        async with runtime_of(request).engine.begin() as connection:
            consumer = await create_consumer(
                connection,
                application_id=application.id,
                consumer_id=consumer_id,
                metadata=metadata,
                creation_key=_idempotency_key(request),
            )
    except ConsumerExists:
        raise Conflict(f"Consumer {consumer_id!r} already exists", detail="Use PATCH to update its metadata.") from None
    return ok(consumer_view(consumer, services=[], connections=[]))


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
    consumer_id_prefix: str | None = Query(
        default=None, alias="filter[consumer_id]", max_length=255, description="Only ids starting with this"
    ),
    search: str | None = Query(
        default=None,
        alias="filter[search]",
        max_length=255,
        description="A substring (any case) of the consumer id, email, account name or user name",
    ),
) -> Response:
    """The application's consumers in creation order; the filters combine (AND), and the
    cursor of a filtered page continues the same filtered listing."""
    application = await authenticate_application(request)
    position = decode_cursor(cursor)
    # consumers.pk is an INTEGER column (32-bit on PostgreSQL)
    after_pk = cursor_number(position, maximum=INT32_MAX) if position is not None else None
    wanted = ConsumersFilter(id_prefix=consumer_id_prefix, search=search)
    async with runtime_of(request).engine.connect() as connection:
        page, next_pk = await list_consumers(
            connection, application_id=application.id, after_pk=after_pk, limit=limit, wanted=wanted
        )
        services = await connected_service_ids(
            connection, application_id=application.id, consumer_ids=[c.consumer_id for c in page]
        )
    next_cursor = encode_cursor(str(next_pk)) if next_pk is not None else None
    meta = page_meta(
        request,
        public_url=runtime_of(request).settings.public_url,
        items=len(page),
        current=cursor,
        next_cursor=next_cursor,
    )
    return ok([consumer_view(c, services=services.get(c.consumer_id, [])) for c in page], **meta)


@router.get(
    "/{consumer_id:path}",
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
        view = await _full_view(request, connection, consumer)
    return ok(view)


@router.patch(
    "/{consumer_id:path}",
    summary="Update consumer",
    operation_id="consumersUpdate",
    response_model=ConsumerResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UpdateConsumerRequest.model_json_schema()}},
        }
    },
    responses=documented_errors(400, 401, 404, 413, 415, 422),
)
async def patch_consumer(request: Request, consumer_id: str) -> Response:
    application = await authenticate_application(request)
    consumer_id = _possible_id(consumer_id)
    body = await read_json_body(request, UpdateConsumerRequest, required=True)
    async with runtime_of(request).engine.begin() as connection:
        existing = await get_consumer(connection, application_id=application.id, consumer_id=consumer_id)
        if existing is None:
            raise _not_found(consumer_id)
        metadata = body.metadata.model_dump(exclude_none=True) if body.metadata else existing.metadata
        consumer = await update_consumer_metadata(
            connection, application_id=application.id, consumer_id=consumer_id, metadata=metadata
        )
        view = await _full_view(request, connection, consumer)
    return ok(view)


@router.delete(
    "/{consumer_id:path}",
    summary="Delete consumer",
    operation_id="consumersDelete",
    response_model=DeleteConsumerResponse,
    responses=documented_errors(401, 404),
)
async def remove_consumer(request: Request, consumer_id: str) -> Response:
    """Delete the consumer; every session it holds is revoked at once."""
    application = await authenticate_application(request)
    consumer_id = _possible_id(consumer_id)
    runtime = runtime_of(request)
    async with runtime.engine.begin() as connection:
        await enqueue_consumer_connections_deleted(
            connection, application_id=application.id, consumer_id=consumer_id, public_url=runtime.settings.public_url
        )
        deleted = await delete_consumer(connection, application_id=application.id, consumer_id=consumer_id)
    if not deleted:
        raise _not_found(consumer_id)
    return ok({"consumer_id": consumer_id})
