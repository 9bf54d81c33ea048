"""Consumer log rows: batched inserts from the log writer, filtered pages newest first, and
age-based deletion in bounded batches."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, delete, false, func, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.db.schema import consumer_logs

PathMatchMode = Literal["CONTAINS", "STARTS_WITH", "ENDS_WITH", "EXACT"]
PATH_MATCH_MODES: tuple[PathMatchMode, ...] = ("CONTAINS", "STARTS_WITH", "ENDS_WITH", "EXACT")


@dataclass(frozen=True, slots=True)
class LogsFilter:
    """What ``GET /vault/logs`` asks for (parsed from its query by consumer_logs/filters.py)."""

    unified_api: str | None = None  # from connector_id "crm+salesforce"
    service_id: str | None = None
    path: str | None = None
    path_match_mode: PathMatchMode = "CONTAINS"
    http_methods: tuple[str, ...] = ()
    start_ms: int | None = None
    end_ms: int | None = None
    status_codes: tuple[int, ...] = ()
    exclude_unified_apis: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One recorded call, as the middleware builds it (cheap: no id, no I/O)."""

    application_id: str
    consumer_id: str
    caller: str
    method: str
    path: str
    status_code: int
    duration_us: int
    timestamp: int
    operation_id: str
    operation_name: str
    unified_api: str | None
    service_id: str | None
    error_message: str | None

    @property
    def success(self) -> bool:
        return self.status_code < 400


@dataclass(frozen=True, slots=True)
class LogRecord:
    pk: int
    id: str
    entry: LogEntry


# The columns a log row is written with, in the order of the precompiled INSERT's parameters.
_INSERT_COLUMNS = (
    "id",
    "application_id",
    "consumer_id",
    "caller",
    "method",
    "path",
    "status_code",
    "success",
    "duration_us",
    "timestamp",
    "operation_id",
    "operation_name",
    "unified_api",
    "service_id",
    "error_message",
)
_insert_sql: dict[str, str] = {}  # per dialect name


def _insert_sql_for(dialect: Dialect) -> str:
    """The INSERT of one log row in ``dialect``'s positional parameter style, compiled once."""
    sql = _insert_sql.get(dialect.name)
    if sql is None:
        compiled = consumer_logs.insert().compile(
            dialect=dialect,
            column_keys=list(_INSERT_COLUMNS),
            for_executemany=True,  # no RETURNING
        )
        if tuple(compiled.positiontup or ()) != _INSERT_COLUMNS:
            raise RuntimeError(f"{dialect.name}: the consumer log INSERT does not take positional parameters")
        sql = _insert_sql[dialect.name] = compiled.string
    return sql


async def insert_logs(connection: AsyncConnection, entries: list[LogEntry]) -> None:
    """One driver ``executemany`` for the whole batch: SQLAlchemy's Core insert built and
    processed a parameter dict per row (~20 µs each on a busy server). None of these columns
    has a bind processor to skip (strings, integers, a bool both drivers take as is)."""
    sql = _insert_sql_for(connection.dialect)
    # One getrandom() for the batch instead of one per uuid4(); the same version-4 UUIDs.
    randomness = os.urandom(16 * len(entries))
    rows = [
        (
            str(uuid.UUID(bytes=randomness[16 * i : 16 * i + 16], version=4)),
            e.application_id,
            e.consumer_id,
            e.caller,
            e.method,
            e.path,
            e.status_code,
            e.success,
            e.duration_us,
            e.timestamp,
            e.operation_id,
            e.operation_name,
            e.unified_api,
            e.service_id,
            e.error_message,
        )
        for i, e in enumerate(entries)
    ]
    await connection.exec_driver_sql(sql, rows)


def _from_row(row: Row[Any]) -> LogRecord:
    entry = LogEntry(
        application_id=row.application_id,
        consumer_id=row.consumer_id,
        caller=row.caller,
        method=row.method,
        path=row.path,
        status_code=row.status_code,
        duration_us=row.duration_us,
        timestamp=row.timestamp,
        operation_id=row.operation_id,
        operation_name=row.operation_name,
        unified_api=row.unified_api,
        service_id=row.service_id,
        error_message=row.error_message,
    )
    return LogRecord(pk=row.pk, id=row.id, entry=entry)


def _conditions(wanted: LogsFilter, visible_apis: list[str] | None) -> list[ColumnElement[bool]]:
    c = consumer_logs.c
    found: list[ColumnElement[bool]] = []
    if wanted.service_id is not None:
        found.append(c.service_id == wanted.service_id)
    if wanted.unified_api is not None:
        found.append(c.unified_api == wanted.unified_api)
    if wanted.path is not None:
        by_mode = {
            "CONTAINS": c.path.contains(wanted.path, autoescape=True),
            "STARTS_WITH": c.path.startswith(wanted.path, autoescape=True),
            "ENDS_WITH": c.path.endswith(wanted.path, autoescape=True),
            "EXACT": c.path == wanted.path,
        }
        found.append(by_mode[wanted.path_match_mode])
    if wanted.http_methods:
        found.append(c.method.in_(wanted.http_methods))
    if wanted.status_codes:
        found.append(c.status_code.in_(wanted.status_codes))
    if wanted.start_ms is not None:
        found.append(c.timestamp >= wanted.start_ms)
    if wanted.end_ms is not None:
        found.append(c.timestamp <= wanted.end_ms)
    if "vault" in wanted.exclude_unified_apis:
        found.append(false())  # every Vaultline log is a Vault API call (Log.unified_api "vault")
    elif wanted.exclude_unified_apis:
        found.append(or_(c.unified_api.is_(None), c.unified_api.not_in(wanted.exclude_unified_apis)))
    if visible_apis:  # a session limited to some unified APIs sees only calls about those
        found.append(or_(c.unified_api.is_(None), c.unified_api.in_(visible_apis)))
    return found


async def list_consumer_logs(
    connection: AsyncConnection,
    *,
    application_id: str,
    consumer_id: str,
    wanted: LogsFilter,
    before_pk: int | None,
    limit: int,
    visible_apis: list[str] | None = None,
) -> tuple[list[LogRecord], int | None]:
    """Newest first; returns the page and the pk to continue before, if there is more."""
    c = consumer_logs.c
    query = select(consumer_logs).where(
        c.application_id == application_id, c.consumer_id == consumer_id, *_conditions(wanted, visible_apis)
    )
    if before_pk is not None:
        query = query.where(c.pk < before_pk)
    rows = (await connection.execute(query.order_by(c.pk.desc()).limit(limit + 1))).all()
    page = [_from_row(row) for row in rows[:limit]]
    return page, (page[-1].pk if len(rows) > limit else None)


async def count_consumer_logs(
    connection: AsyncConnection, *, application_id: str, consumer_id: str, start_ms: int, end_ms: int
) -> int:
    """How many calls were logged for the consumer from ``start_ms`` to ``end_ms`` (both included)."""
    c = consumer_logs.c
    query = select(func.count()).where(
        c.application_id == application_id,
        c.consumer_id == consumer_id,
        c.timestamp >= start_ms,
        c.timestamp <= end_ms,
    )
    return int((await connection.execute(query)).scalar_one())


async def delete_logs_before(connection: AsyncConnection, *, cutoff_ms: int, batch_size: int) -> int:
    """Delete at most ``batch_size`` rows older than ``cutoff_ms``; returns how many went."""
    c = consumer_logs.c
    oldest = select(c.pk).where(c.timestamp < cutoff_ms).order_by(c.timestamp).limit(batch_size)
    result = await connection.execute(delete(consumer_logs).where(c.pk.in_(oldest.scalar_subquery())))
    return int(result.rowcount)
