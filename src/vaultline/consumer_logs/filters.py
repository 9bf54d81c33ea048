"""``filter[...]`` of ``GET /vault/logs``: Apideck's ``LogsFilter`` as a deepObject query.

Arrays may come repeated (``filter[status_codes]=200&filter[status_codes]=201``), with
brackets (``filter[status_codes][]=200``) or comma-separated. An unknown key is a 400 naming
it: a typo must not silently widen the answer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from vaultline.connection_ids import split_connection_id
from vaultline.errors import BadRequest
from vaultline.store.consumer_logs import PATH_MATCH_MODES, LogsFilter

FILTER_KEYS = (
    "connector_id",
    "path",
    "path_match_mode",
    "http_method",
    "http_methods",
    "start_date",
    "end_date",
    "status_code",
    "status_codes",
    "exclude_unified_apis",
)
MAX_STATUS_CODES = 50
_FILTER_PARAM = re.compile(r"filter\[([^\[\]]*)\](?:\[\d*\])?")
_METHOD = re.compile(r"[A-Za-z]{1,16}")
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def parse_logs_filter(query: QueryParams) -> LogsFilter:
    values: dict[str, list[str]] = {}
    unknown: list[str] = []
    for name, value in query.multi_items():
        if name == "filter":
            raise BadRequest("Send filters as filter[key]=value", detail={"keys": list(FILTER_KEYS)})
        match = _FILTER_PARAM.fullmatch(name)
        if match is None:
            continue
        key = match.group(1)
        if "\x00" in value:  # PostgreSQL refuses NUL in a text parameter with an error, not a miss
            raise BadRequest(f"filter[{key}] must not contain a NUL character (%00)")
        if key not in FILTER_KEYS:
            unknown.append(key)
        values.setdefault(key, []).extend(part.strip() for part in value.split(",") if part.strip())
    if unknown:
        names = ", ".join(sorted(set(unknown)))
        raise BadRequest(f"Unknown filter key(s): {names}", detail={"unknown": sorted(set(unknown))})
    return _build(values)


def _build(values: dict[str, list[str]]) -> LogsFilter:
    def one(key: str) -> str | None:
        found = values.get(key) or []
        if len(found) > 1:
            raise BadRequest(f"filter[{key}] takes one value")
        return found[0] if found else None

    unified_api, service_id = _connector(one("connector_id"))
    path = one("path")
    if path is not None and len(path) > 1000:
        raise BadRequest("filter[path] is at most 1000 characters")
    mode = (one("path_match_mode") or "CONTAINS").upper()
    if mode not in PATH_MATCH_MODES:
        raise BadRequest(f"filter[path_match_mode] must be one of {', '.join(PATH_MATCH_MODES)}")
    methods = [*values.get("http_method", []), *values.get("http_methods", [])]
    if any(_METHOD.fullmatch(m) is None for m in methods):
        raise BadRequest("filter[http_method(s)] must be HTTP method names such as GET")
    codes = [*values.get("status_code", []), *values.get("status_codes", [])]
    if len(codes) > MAX_STATUS_CODES:
        raise BadRequest(f"At most {MAX_STATUS_CODES} status codes")
    start_ms, end_ms = _date_ms(one("start_date"), "start_date"), _date_ms(one("end_date"), "end_date")
    if start_ms is not None and end_ms is not None and end_ms < start_ms:
        raise BadRequest("filter[end_date] must be on or after filter[start_date]")
    excluded = values.get("exclude_unified_apis", [])
    if any(_NAME.fullmatch(api) is None for api in excluded):
        raise BadRequest("filter[exclude_unified_apis] is a comma-separated list of unified API ids")
    return LogsFilter(
        unified_api=unified_api,
        service_id=service_id,
        path=path or None,
        path_match_mode=mode,  # narrowed to PathMatchMode by the membership check above
        http_methods=tuple(sorted({m.upper() for m in methods})),
        start_ms=start_ms,
        end_ms=end_ms,
        status_codes=tuple(sorted({_status_code(code) for code in codes})),
        exclude_unified_apis=tuple(excluded),
    )


def _connector(value: str | None) -> tuple[str | None, str | None]:
    """``crm+salesforce`` (Apideck's connector id) or a bare ``salesforce``. A ``+`` typed
    unencoded in a URL arrives as a space, so a space separates them too."""
    if value is None:
        return None, None
    unified_api, service_id = split_connection_id(value.replace(" ", "+"))
    if (unified_api is not None and _NAME.fullmatch(unified_api) is None) or _NAME.fullmatch(service_id) is None:
        raise BadRequest("filter[connector_id] is '{unified_api}+{service_id}' or a service id")
    return unified_api, service_id


def _status_code(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not (100 <= number <= 599) or number != int(number):
        raise BadRequest("Status codes are whole numbers from 100 to 599")
    return int(number)


def _date_ms(text: str | None, key: str) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"filter[{key}] must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the spec's examples are UTC
    try:
        return int(moment.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        raise BadRequest(f"filter[{key}] is out of range") from None
