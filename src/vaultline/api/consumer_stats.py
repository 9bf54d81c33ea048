"""``GET /vault/consumers/{consumer_id}/stats``: Apideck's ``consumerRequestCountsAll``, how many
calls were made for a consumer in a date-time range, counted from the consumer logs.

Every call Vaultline logs is a Vault API call, so ``request_counts.vault`` carries the count and
``unify`` / ``proxy`` are 0 (Vaultline has neither). Calls are counted once the log writer has
stored them (within a second or so) and for as long as log retention keeps them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_application, validate_consumer_id
from vaultline.api.openapi_docs import documented_errors
from vaultline.api.schemas import ConsumerRequestCountsResponse
from vaultline.errors import BadRequest, NotFound
from vaultline.responses import ok
from vaultline.runtime import runtime_of
from vaultline.store.consumer_logs import count_consumer_logs
from vaultline.store.consumers import get_consumer

router = APIRouter(prefix="/vault/consumers", tags=["Consumers"])
_EXAMPLE = "2026-11-01T00:00:00.000Z"


def parse_datetime(text: str, name: str) -> tuple[int, str]:
    """An ISO 8601 date-time as epoch milliseconds and as a UTC ISO string; without a zone it is
    UTC, as in the spec's examples. A moment whose UTC form leaves years 1-9999 is a 400."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 date-time, e.g. {_EXAMPLE}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
        return int(utc.timestamp() * 1000), utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        raise BadRequest(f"{name} is out of range") from None


# Registered before the consumers router: its ``{consumer_id:path}`` would take ".../stats" as an id.
@router.get(
    "/{consumer_id:path}/stats",
    summary="Consumer request counts",
    operation_id="consumerRequestCountsAll",
    response_model=ConsumerRequestCountsResponse,
    responses=documented_errors(400, 401, 404),
)
async def consumer_request_counts(
    request: Request,
    consumer_id: str,
    start_datetime: str = Query(max_length=64, description="From this moment (included), e.g. " + _EXAMPLE),
    end_datetime: str = Query(max_length=64, description="Until this moment (included)"),
) -> Response:
    application = await authenticate_application(request)
    start_ms, start_iso = parse_datetime(start_datetime, "start_datetime")
    end_ms, end_iso = parse_datetime(end_datetime, "end_datetime")
    if end_ms < start_ms:
        raise BadRequest("end_datetime is before start_datetime")
    try:
        consumer_id = validate_consumer_id(consumer_id)
    except BadRequest:
        raise NotFound(f"No consumer {consumer_id!r} in this application") from None
    async with runtime_of(request).engine.connect() as connection:
        consumer = await get_consumer(connection, application_id=application.id, consumer_id=consumer_id)
        if consumer is None:
            raise NotFound(f"No consumer {consumer_id!r} in this application")
        count = await count_consumer_logs(
            connection, application_id=application.id, consumer_id=consumer_id, start_ms=start_ms, end_ms=end_ms
        )
    return ok(
        {
            "application_id": application.id,
            "consumer_id": consumer_id,
            "start_datetime": start_iso,
            "end_datetime": end_iso,
            "aggregated_request_count": count,
            "request_counts": {"unify": 0, "proxy": 0, "vault": count},
        }
    )
