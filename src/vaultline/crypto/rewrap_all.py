"""Re-wrapping every sealed value in the database under the current master key.

Only the small wrapped data key changes (``envelope.rewrap``); ciphertexts stay. Rows are
done in short batches, each its own transaction, and each update is a compare-and-swap on
the old value, so servers can keep reading and writing throughout: a value a server
re-sealed meanwhile is simply picked up again (or is already under the new key).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Column, ColumnElement, Table, and_, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from vaultline.crypto.envelope import rewrap
from vaultline.crypto.master_key import MasterKeyRing
from vaultline.db.schema import (
    application_integrations,
    application_webhooks,
    connections,
    email_outbox,
    oauth_states,
    server_secrets,
    signing_keys,
)

# Every column holding ``envelope.seal`` output. A new sealed column must be listed here, or
# rotation would leave it under the old key (tests/test_credentials_at_rest.py checks this).
SEALED_COLUMNS: tuple[tuple[Table, str], ...] = (
    (server_secrets, "value_sealed"),
    (signing_keys, "private_key_sealed"),
    (application_integrations, "oauth_client_secret_sealed"),
    (connections, "settings_sealed"),
    (connections, "credentials_sealed"),
    (application_webhooks, "secret_sealed"),
    (oauth_states, "code_verifier_sealed"),
    (email_outbox, "message_sealed"),
)


class RewrapStalled(Exception):
    """A batch made no progress: something keeps sealing under an old key."""


@dataclass
class RewrapReport:
    rewrapped: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rewrapped.values())


def _not_under(column: Column[str], key_id: str) -> ColumnElement[bool]:
    return and_(column.is_not(None), not_(column.like(f"v1:{key_id}:%")))


async def count_not_under_current(engine: AsyncEngine, ring: MasterKeyRing) -> int:
    total = 0
    async with engine.connect() as connection:
        for table, name in SEALED_COLUMNS:
            column = table.c[name]
            query = select(func.count()).select_from(table).where(_not_under(column, ring.current.key_id))
            total += int((await connection.execute(query)).scalar_one())
    return total


async def rewrap_all(engine: AsyncEngine, ring: MasterKeyRing, *, batch_size: int = 200) -> RewrapReport:
    report = RewrapReport()
    for table, name in SEALED_COLUMNS:
        column = table.c[name]
        keys = list(table.primary_key.columns)
        done = 0
        while True:
            async with engine.begin() as connection:
                query = select(*keys, column).where(_not_under(column, ring.current.key_id)).limit(batch_size)
                rows = (await connection.execute(query)).all()
                changed = 0
                for row in rows:
                    old = row[len(keys)]
                    where = and_(*(key == row[i] for i, key in enumerate(keys)), column == old)
                    result = await connection.execute(update(table).where(where).values({name: rewrap(ring, old)}))
                    changed += result.rowcount
            done += changed
            if len(rows) < batch_size and changed == len(rows):
                break
            if rows and changed == 0:
                raise RewrapStalled(
                    f"{table.name}.{name}: values keep being sealed under an old key; is a server still "
                    "running with the old master key first? Give every instance the new key first, then retry."
                )
        report.rewrapped[f"{table.name}.{name}"] = done
    return report
