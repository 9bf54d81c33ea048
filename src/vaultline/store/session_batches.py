"""The group commit's writes for minted sessions (store/consumers.py's upsert, store/sessions.py's
insert) compiled once per dialect, for the driver route of db/driver_writes.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from vaultline.db.driver_writes import Batch, CompiledWrite, compile_write
from vaultline.db.schema import sessions
from vaultline.store.consumers import (
    CONSUMER_UPSERT_COLUMNS,
    ConsumerUpsert,
    consumer_upsert_groups,
    consumer_upsert_statements,
    consumer_values,
)
from vaultline.store.sessions import SESSION_COLUMNS, SessionRecord, session_values


@dataclass(frozen=True, slots=True)
class SessionBatchWrites:
    upsert_with_metadata: CompiledWrite
    insert_missing_consumers: CompiledWrite
    insert_sessions: CompiledWrite

    def batch(self, consumer_upserts: Sequence[ConsumerUpsert], records: Sequence[SessionRecord]) -> Batch:
        """What one group commit writes, in the order upsert_consumers and insert_sessions run:
        consumers first, since a session's consumer must exist."""
        with_metadata, without = consumer_upsert_groups(consumer_upserts)
        found: list[tuple[CompiledWrite, list[dict[str, Any]]]] = []
        if with_metadata:
            found.append((self.upsert_with_metadata, [consumer_values(u) for u in with_metadata]))
        if without:
            found.append((self.insert_missing_consumers, [consumer_values(u) for u in without]))
        if records:
            found.append((self.insert_sessions, [session_values(r) for r in records]))
        return found


def compile_session_batch_writes(dialect: Dialect) -> SessionBatchWrites:
    """The statements of store/consumers.py's ``upsert_consumers`` and store/sessions.py's
    ``insert_sessions``, compiled for one engine's dialect (its JSON serializer is part of the
    bind processors)."""
    upsert, missing = consumer_upsert_statements(dialect)
    return SessionBatchWrites(
        upsert_with_metadata=compile_write(upsert, CONSUMER_UPSERT_COLUMNS, dialect),
        insert_missing_consumers=compile_write(missing, CONSUMER_UPSERT_COLUMNS, dialect),
        insert_sessions=compile_write(sessions.insert(), SESSION_COLUMNS, dialect),
    )
