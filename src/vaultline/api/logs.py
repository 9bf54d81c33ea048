"""``GET /vault/logs``: a consumer's request logs, newest first, with Apideck's ``LogsFilter``
and cursor pagination. For the application's backend (API key + ``x-apideck-consumer-id``)
and for the consumer's own session token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from vaultline.api.auth import authenticate_connections_caller
from vaultline.api.log_view import LogsPage, log_view
from vaultline.api.openapi_docs import CONSUMER_HEADER, documented_errors
from vaultline.api.pagination import (
    DEFAULT_LIMIT,
    INT64_MAX,
    MAX_LIMIT,
    cursor_number,
    decode_cursor,
    encode_cursor,
    page_meta,
)
from vaultline.consumer_logs.filters import FILTER_KEYS, parse_logs_filter
from vaultline.consumer_logs.subject import skip_consumer_log
from vaultline.errors import Forbidden
from vaultline.responses import ok
from vaultline.runtime import runtime_of
from vaultline.store.consumer_logs import PATH_MATCH_MODES, list_consumer_logs

router = APIRouter(prefix="/vault/logs", tags=["Logs"])

_ARRAY = {"type": "array", "items": {"type": "string"}}
FILTER_PARAMETER: dict[str, Any] = {
    "name": "filter",
    "in": "query",
    "style": "deepObject",
    "explode": True,
    "description": "Apideck's LogsFilter, e.g. filter[status_code]=403 or filter[connector_id]=crm+pipedrive",
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            key: _ARRAY
            if key in ("http_methods", "status_codes")
            else {"type": "string", "enum": list(PATH_MATCH_MODES)}
            if key == "path_match_mode"
            else {"type": "string"}
            for key in FILTER_KEYS
        },
    },
}


@router.get(
    "",
    summary="Get all consumer request logs",
    operation_id="logsAll",
    response_model=LogsPage,
    openapi_extra={"parameters": [{**CONSUMER_HEADER, "required": False}, FILTER_PARAMETER]},
    responses=documented_errors(400, 401, 403),
)
async def all_logs(
    request: Request,
    cursor: str | None = Query(default=None, max_length=512),
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> Response:
    """The consumer's Vault API calls, newest first. A session token reads only its own
    consumer's logs, only when its ``show_logs`` is on. Reading logs is not itself logged."""
    skip_consumer_log(request)  # or every look at the logs would push the calls it looks for away
    caller = await authenticate_connections_caller(request)
    visible_apis: list[str] | None = None
    if caller.session is not None:
        if caller.session.settings.get("show_logs") is False:
            raise Forbidden("This session does not show logs", detail="Its settings.show_logs is false.")
        visible_apis = caller.session.settings.get("unified_apis") or None
    wanted = parse_logs_filter(request.query_params)
    position = decode_cursor(cursor)
    before_pk = cursor_number(position, maximum=INT64_MAX) if position is not None else None
    runtime = runtime_of(request)
    async with runtime.engine.connect() as connection:
        records, next_pk = await list_consumer_logs(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            wanted=wanted,
            before_pk=before_pk,
            limit=limit,
            visible_apis=visible_apis,
        )
    base_url = urlsplit(runtime.settings.public_url).netloc
    meta = page_meta(
        request,
        public_url=runtime.settings.public_url,
        items=len(records),
        current=cursor,
        next_cursor=encode_cursor(str(next_pk)) if next_pk is not None else None,
    )
    return ok([log_view(r, base_url=base_url, catalog=runtime.catalog) for r in records], **meta)
