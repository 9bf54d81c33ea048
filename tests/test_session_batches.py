"""The group commit writes on the driver (store/session_batches.py): the rows must be those
SQLAlchemy writes for the same upserts and sessions (both backends, compared as stored text),
and a bad row in a batch still fails only its own request."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from tests.support.tenants import Tenant
from vaultline.errors import ServiceUnavailable
from vaultline.runtime import Runtime
from vaultline.sessions.recorder import _Pending
from vaultline.store.consumer_logs import LogEntry, insert_logs
from vaultline.store.consumers import ConsumerUpsert, upsert_consumers
from vaultline.store.sessions import SessionRecord, insert_sessions

SETTINGS: dict[str, Any] = {"unified_apis": ["crm"], "allow_actions": [], "big": 2**70, "text": 'é \u2028 "q"'}


def _batch(application_id: str, prefix: str, at: int, round_: int) -> list[_Pending]:
    """One minting per upsert (a consumer twice, as two mints in one batch can be)."""
    metadata = {"account_name": f"Åcme {round_}", "email": "a@b.c"}
    upserts = [
        ConsumerUpsert(application_id, f"{prefix}-meta", metadata, {"k": [1, 2.5, None]}, at),
        ConsumerUpsert(application_id, f"{prefix}-only-custom", None, {"k": round_}, at),
        ConsumerUpsert(application_id, f"{prefix}-bare", None, None, at),
        ConsumerUpsert(application_id, f"{prefix}-twice", {"user_name": "first"}, None, at),
        ConsumerUpsert(application_id, f"{prefix}-twice", {"user_name": "second"}, None, at + 1),
        ConsumerUpsert(application_id, f"{prefix}-empty", {}, None, at),
    ]
    return [
        _Pending(
            upsert,
            SessionRecord(
                f"{prefix}-s{round_}-{n}",
                application_id,
                upsert.consumer_id,
                "kid-1",
                {**SETTINGS, "n": n},
                None if n % 2 else "https://mysaas.com/é",
                at,
                at + 9,
            ),
        )
        for n, upsert in enumerate(upserts)
    ]


async def _stored(runtime: Runtime, prefix: str) -> list[tuple[Any, ...]]:
    """Both tables as stored text, with the prefix taken out of the ids."""
    async with runtime.engine.connect() as connection:
        consumer_rows = await connection.execute(
            text(
                "SELECT consumer_id, CAST(metadata AS TEXT), CAST(custom_settings AS TEXT), created_at, modified_at,"
                " creation_key FROM consumers WHERE consumer_id LIKE :p ORDER BY consumer_id"
            ),
            {"p": f"{prefix}-%"},
        )
        session_rows = await connection.execute(
            text(
                "SELECT id, consumer_id, kid, CAST(settings AS TEXT), redirect_uri, created_at, expires_at, revoked_at,"
                " theme, consumer_metadata FROM sessions WHERE id LIKE :p ORDER BY id"
            ),
            {"p": f"{prefix}-%"},
        )
        rows = [tuple(row) for row in consumer_rows] + [tuple(row) for row in session_rows]
    return [tuple(v.removeprefix(prefix) if isinstance(v, str) else v for v in row) for row in rows]


async def test_the_group_commit_writes_what_sqlalchemy_writes(app: FastAPI, tenant: Tenant) -> None:
    runtime: Runtime = app.state.runtime
    recorder = runtime.recorder
    assert recorder._driver.on_driver  # the driver route is the one tested
    for round_, at in enumerate([1_700_000_000_000, 1_700_000_500_000]):  # the second updates
        items = _batch(tenant.application_id, "sa", at, round_)
        async with runtime.engine.begin() as connection:
            await upsert_consumers(connection, [item.consumer for item in items])
            await insert_sessions(connection, [item.session for item in items])
        await recorder._write(_batch(tenant.application_id, "fast", at, round_))
        fast, through_sqlalchemy = await _stored(runtime, "fast"), await _stored(runtime, "sa")
        assert fast == through_sqlalchemy
        assert len(fast) == 5 + 6 * (round_ + 1)


async def test_a_bad_row_fails_only_its_own_request(app: FastAPI, tenant: Tenant) -> None:
    recorder = app.state.runtime.recorder
    at = 1_700_000_000_000
    existing = SessionRecord("taken", tenant.application_id, "c0", "kid-1", {}, None, at, at + 9)
    await recorder.record(ConsumerUpsert(tenant.application_id, "c0", None, None, at), existing)

    def session(session_id: str, consumer_id: str) -> SessionRecord:
        return SessionRecord(session_id, tenant.application_id, consumer_id, "kid-1", {}, None, at, at + 9)

    outcomes = await asyncio.gather(
        *(
            recorder.record(ConsumerUpsert(tenant.application_id, f"c{n}", None, None, at), session(sid, f"c{n}"))
            for n, sid in enumerate(["ok-1", "taken", "ok-2"], start=1)
        ),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ServiceUnavailable)
    async with app.state.runtime.engine.connect() as connection:
        stored = await connection.execute(text("SELECT id, consumer_id FROM sessions ORDER BY id"))
        assert sorted(tuple(row) for row in stored) == [("ok-1", "c1"), ("ok-2", "c3"), ("taken", "c0")]


async def test_a_record_after_close_still_commits(app: FastAPI, tenant: Tenant) -> None:
    recorder = app.state.runtime.recorder
    await recorder.close()
    at = 1_700_000_000_000
    record = SessionRecord("late", tenant.application_id, "c9", "kid-1", {}, None, at, at + 9)
    await recorder.record(ConsumerUpsert(tenant.application_id, "c9", {"a": 1}, None, at), record)
    async with app.state.runtime.engine.connect() as connection:
        stored = await connection.execute(text("SELECT id FROM sessions WHERE id = 'late'"))
        assert [row.id for row in stored] == ["late"]


async def test_the_log_writer_writes_what_sqlalchemy_writes(app: FastAPI, tenant: Tenant) -> None:
    runtime: Runtime = app.state.runtime
    assert runtime.consumer_logs._driver.on_driver

    def entries(consumer_id: str) -> list[LogEntry]:
        app_id = tenant.application_id
        return [
            LogEntry(app_id, consumer_id, "api_key", "POST", "/vault/sessions", 200, 7, 1, "o", "n", None, None, None),
            LogEntry(app_id, consumer_id, "session", "GET", "/vault/é", 404, 9, 2, "o", "n", "crm", "x", "é"),
        ]

    async with runtime.engine.begin() as connection:
        await insert_logs(connection, entries("sa"))
    await runtime.consumer_logs.write(entries("fast"))
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(text("SELECT * FROM consumer_logs ORDER BY consumer_id, timestamp"))
        stored = [{k: v for k, v in row._mapping.items() if k not in ("pk", "id")} for row in rows]
    by_consumer = {c: [{**r, "consumer_id": None} for r in stored if r["consumer_id"] == c] for c in ("sa", "fast")}
    assert by_consumer["fast"] == by_consumer["sa"] and len(by_consumer["sa"]) == 2
