"""The hot paths' few SELECTs, run on the driver without SQLAlchemy's per-call execution.

A profile of the credentials read after the first round put ~75 % of its database time in
SQLAlchemy Core's execute (cache-key generation, parameter processing, building the result's
metadata), around an SQLite call of tens of microseconds. A ``HotQuery`` compiles its statement
once per dialect with SQLAlchemy itself (the same SQL text it would send) and keeps the column
names and SQLAlchemy's own result processors (JSON decoding, booleans); a reader connection
(db/inline_reads.py) then runs it straight on the driver's cursor. Rows have the same
attribute names and values as SQLAlchemy's rows (tests/test_hot_queries.py compares them).

Any other connection (a write transaction, an aiosqlite in-memory database) runs the statement
through SQLAlchemy as before, so the results never depend on the route taken.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    sql: str
    parameter_names: tuple[str, ...]  # in the order the driver's placeholders take them
    row_type: Callable[..., Any]
    processors: tuple[Callable[[Any], Any] | None, ...]
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, processor), processors only
    pick: Callable[[dict[str, Any]], Any]  # the parameters' values in placeholder order

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        if len(self.parameter_names) == 1:
            return (values[self.parameter_names[0]],)
        picked: tuple[Any, ...] = self.pick(values)  # itemgetter: a tuple for two names or more
        return picked

    def rows(self, raw_rows: Sequence[Sequence[Any]]) -> list[Any]:
        make = self.row_type
        processed = self.processed
        if not processed:
            return [make(*raw) for raw in raw_rows]
        # Only the few columns with a processor are touched (a connection row has 27 columns and
        # 4 processors): zipping every value with its processor cost more than the processors.
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for index, process in processed:
                values[index] = process(values[index])
            rows.append(make(*values))
        return rows


class HotQuery:
    """A SELECT built once with bound parameters; compiled once per dialect."""

    __slots__ = ("statement", "_compiled")

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, CompiledQuery] = {}

    def compiled_for(self, dialect: Dialect) -> CompiledQuery:
        key = f"{dialect.name}+{dialect.driver}"
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _compile(self.statement, dialect)
        return compiled


def _compile(statement: Select[Any], dialect: Dialect) -> CompiledQuery:
    compiled = statement.compile(dialect=dialect)
    names = tuple(entry.keyname for entry in compiled._result_columns)  # noqa: SLF001 — SQLAlchemy's own column list
    processors = tuple(
        entry.type._cached_result_processor(dialect, None)  # noqa: SLF001 — the processors SQLAlchemy would apply
        for entry in compiled._result_columns  # noqa: SLF001
    )
    positions = compiled.positiontup
    if positions is None:
        raise ValueError(f"{dialect.name}: a hot query needs a positional paramstyle")
    return CompiledQuery(
        sql=compiled.string,
        parameter_names=tuple(positions),
        row_type=namedtuple("HotRow", names),  # noqa: PYI024
        processors=processors,
        processed=tuple((index, process) for index, process in enumerate(processors) if process is not None),
        pick=itemgetter(*positions) if positions else (lambda _values: ()),
    )


async def hot_rows(connection: AsyncConnection, query: HotQuery, parameters: dict[str, Any]) -> list[Any]:
    """The rows of ``query``: on the driver for a reader connection, else through SQLAlchemy."""
    run = getattr(connection, "run_hot", None)
    if run is not None:
        rows: list[Any] = await run(query, parameters)
        return rows
    return list(await connection.execute(query.statement, parameters))
