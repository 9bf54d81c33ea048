"""The done-when: a real `vaultline serve` is killed with SIGKILL while its events are still
pending (the receiver fails the first attempts); started again on the same database, it
delivers every event, signed, with the id and payload it was enqueued with."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from tests.support.connections import PIPEDRIVE_TOKEN
from tests.support.live_server import create_app_via_cli, env_for, live_server, run_cli
from tests.support.webhook_receiver import webhook_receiver
from vaultline.config import Settings
from vaultline.db.engine import create_engine
from vaultline.db.schema import webhook_events
from vaultline.webhooks.signing import verify_signature

FAST = {
    "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS": "true",
    "VAULTLINE_WEBHOOK_RETRY_BASE_SECONDS": "1.5",
    "VAULTLINE_WEBHOOK_TIMEOUT_SECONDS": "2",
}


async def _read_outbox(settings: Settings) -> list[dict[str, Any]]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(webhook_events).order_by(webhook_events.c.created_at))
            return [dict(row._mapping) for row in rows]
    finally:
        await engine.dispose()


def _outbox_when(settings: Settings, predicate: Any, *, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = asyncio.run(_read_outbox(settings))
        if predicate(events):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not in the expected state after {timeout} s: {events}")
        time.sleep(0.05)


@pytest.mark.slow
def test_pending_events_survive_a_kill_9_and_arrive_signed_after_restart(settings: Settings) -> None:
    with webhook_receiver(fail_first=3) as receiver:
        env = env_for(settings, **FAST)
        created = create_app_via_cli(env, "Killable SaaS")
        app_id = created["application_id"]
        run_cli(env, "integrations", "enable", "--app", app_id, "pipedrive")
        hook = json.loads(run_cli(env, "apps", "webhook", app_id, "--url", receiver.url, "--json").stdout)
        assert hook["application_id"] == app_id and hook["url"] == receiver.url
        secret = hook["secret"]
        headers = {"Authorization": f"Bearer {created['api_key']}", "x-apideck-app-id": app_id}
        headers["x-apideck-consumer-id"] = "alice"

        with live_server(settings, **FAST) as server:
            body = {"enabled": True, "settings": {"api_token": PIPEDRIVE_TOKEN}}
            response = httpx.patch(f"{server.url}/vault/connections/crm/pipedrive", headers=headers, json=body)
            assert response.status_code == 200, response.text
            # Both events (created, callable) were tried once and failed; their retries are due later.
            _outbox_when(settings, lambda es: len(es) == 2 and all(e["attempts"] == 1 for e in es), timeout=5)
            server.process.kill()  # SIGKILL: no shutdown, no chance to flush anything
            server.process.wait(timeout=10)

        pending = asyncio.run(_read_outbox(settings))
        assert [e["type"] for e in pending] == ["vault.connection.created", "vault.connection.callable"]
        assert all(e["status"] == "pending" and e["delivered_at"] is None for e in pending)
        assert [r.status for r in receiver.requests] == [500, 500]

        with live_server(settings, **FAST):
            seen = receiver.delivered(timeout=20, count=2)
            _outbox_when(settings, lambda es: all(e["status"] == "delivered" for e in es), timeout=5)

    for stored in pending:
        deliveries = [r for r in seen if r.headers["x-vaultline-event-id"] == stored["id"]]
        assert deliveries and deliveries[-1].status == 200
        final = deliveries[-1]
        verify_signature(secret, final.body, final.headers["x-vaultline-signature"])
        received = orjson.loads(final.body)
        attempt = received["payload"]["execution_attempt"]
        assert attempt == len(deliveries) >= 2 and final.headers["x-vaultline-attempt"] == str(attempt)
        # Exactly as enqueued, but for the attempt counter Apideck's payload carries.
        assert received == {
            **stored["payload"],
            "payload": {**stored["payload"]["payload"], "execution_attempt": attempt},
        }
        assert received["payload"]["consumer_id"] == "alice" and received["payload"]["application_id"] == app_id
