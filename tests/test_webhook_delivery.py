"""Delivery from the outbox to a real receiver on loopback: signed, prompt, retried with
backoff, dead-lettered, every attempt recorded, and refused for private addresses."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import orjson
import pytest
from fastapi import FastAPI

from tests.support.tenants import create_tenant
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tests.support.webhooks import FAST_RETRIES, attempts_of, outbox, point_webhook, wait_for_event
from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.runtime import Runtime
from vaultline.webhooks.events import CONNECTION_CREATED, CONNECTION_REVOKED, enqueue_connection_event
from vaultline.webhooks.signing import verify_signature


@asynccontextmanager
async def _serving(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running; as a context manager, a failing test still ends it."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def fast_app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with _serving(settings.model_copy(update=FAST_RETRIES)) as application:
        yield application


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    """``@pytest.mark.parametrize("receiver", [N], indirect=True)`` answers 500 to the first N."""
    with webhook_receiver(fail_first=getattr(request, "param", 0)) as running:
        yield running


async def _emit(app: FastAPI, application_id: str, event_type: str = CONNECTION_CREATED) -> str | None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        return await enqueue_connection_event(
            connection,
            type=event_type,
            application_id=application_id,
            consumer_id="alice",
            unified_api="crm",
            service_id="pipedrive",
            public_url=runtime.settings.public_url,
        )


async def test_an_event_arrives_signed_within_a_second_of_the_commit(fast_app: FastAPI, receiver: Receiver) -> None:
    tenant = await create_tenant(fast_app, name="Hooked")
    secret = await point_webhook(fast_app, tenant.application_id, receiver.url)
    committed = time.monotonic()
    event_id = await _emit(fast_app, tenant.application_id)
    [got] = await receiver.arrived(timeout=5)
    assert got.at - committed < 1.0  # woken by the commit, not by the next poll
    assert verify_signature(secret, got.body, got.headers["x-vaultline-signature"]) > 0
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"].startswith("Vaultline-Webhooks/")
    assert got.headers["x-vaultline-event-id"] == got.headers["x-apideck-idempotency-key"] == event_id
    assert got.headers["x-vaultline-event-type"] == got.headers["x-apideck-event-type"] == CONNECTION_CREATED
    body = orjson.loads(got.body)
    assert body["id"] == event_id and body["type"] == CONNECTION_CREATED
    payload = body["payload"]
    assert payload["event_id"] == event_id and payload["event_type"] == CONNECTION_CREATED
    assert payload["application_id"] == tenant.application_id and payload["consumer_id"] == "alice"
    assert (payload["unified_api"], payload["service_id"], payload["entity_id"]) == (
        "crm",
        "pipedrive",
        "crm+pipedrive",
    )
    assert payload["entity_type"] == "Connection" and payload["execution_attempt"] == 1
    assert payload["entity_url"] == "http://vault.test/vault/connections/crm/pipedrive"
    assert payload["occurred_at"].endswith("Z")
    stored = await wait_for_event(fast_app, tenant.application_id, lambda e: e["status"] == "delivered", timeout=5)
    assert stored["payload"] == body and stored["attempts"] == 1 and stored["delivered_at"] is not None


@pytest.mark.parametrize("receiver", [3], indirect=True)
async def test_failed_attempts_retry_with_growing_backoff_until_delivered(
    fast_app: FastAPI, receiver: Receiver
) -> None:
    tenant = await create_tenant(fast_app, name="Flaky receiver")
    secret = await point_webhook(fast_app, tenant.application_id, receiver.url)
    event_id = await _emit(fast_app, tenant.application_id, CONNECTION_REVOKED)
    seen = await receiver.arrived(timeout=10)
    assert [r.status for r in seen] == [500, 500, 500, 200]
    assert {r.headers["x-vaultline-event-id"] for r in seen} == {event_id}
    assert [orjson.loads(r.body)["payload"]["execution_attempt"] for r in seen] == [1, 2, 3, 4]
    for request in seen:
        verify_signature(secret, request.body, request.headers["x-vaultline-signature"])
    gaps = [later.at - earlier.at for earlier, later in zip(seen, seen[1:], strict=False)]
    assert 0.1 < gaps[0] < gaps[1] < gaps[2]  # ~0.2 s, ~0.4 s, ~0.8 s with ±25 % jitter
    stored = await wait_for_event(fast_app, tenant.application_id, lambda e: e["status"] == "delivered", timeout=5)
    attempts = await attempts_of(fast_app, stored["id"])
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 500), (2, 500), (3, 500), (4, 200)]
    assert attempts[0].error == "HTTP 500" and attempts[-1].error is None
    assert all(a.duration_ms >= 0 for a in attempts) and stored["last_error"] is None


@pytest.mark.parametrize("receiver", [100], indirect=True)
async def test_an_event_is_dead_lettered_after_the_last_attempt(settings: Settings, receiver: Receiver) -> None:
    async with _serving(settings.model_copy(update={**FAST_RETRIES, "webhook_max_attempts": 2})) as app:
        tenant = await create_tenant(app, name="Gone receiver")
        await point_webhook(app, tenant.application_id, receiver.url)
        await _emit(app, tenant.application_id)
        dead = await wait_for_event(app, tenant.application_id, lambda e: e["status"] == "dead", timeout=5)
        assert dead["attempts"] == 2 and dead["last_error"] == "HTTP 500" and dead["delivered_at"] is None
        assert len(receiver.requests) == 2


async def test_delivery_to_a_loopback_url_is_refused_without_the_flag(settings: Settings, receiver: Receiver) -> None:
    strict = {**FAST_RETRIES, "allow_private_webhooks": False}
    async with _serving(settings.model_copy(update=strict)) as app:
        tenant = await create_tenant(app, name="Sneaky")
        await point_webhook(app, tenant.application_id, receiver.url)  # stored around the CLI's check
        await _emit(app, tenant.application_id)
        event = await wait_for_event(app, tenant.application_id, lambda e: e["attempts"] >= 1, timeout=5)
        assert event["status"] == "pending" and "VAULTLINE_ALLOW_PRIVATE_WEBHOOKS" in event["last_error"]
        assert receiver.requests == []


async def test_no_webhook_no_event_and_a_rolled_back_change_leaves_none(fast_app: FastAPI) -> None:
    tenant = await create_tenant(fast_app, name="Quiet")
    assert await _emit(fast_app, tenant.application_id) is None  # nothing configured to receive it
    await point_webhook(fast_app, tenant.application_id, "http://127.0.0.1:9/unused")
    runtime: Runtime = fast_app.state.runtime
    with pytest.raises(RuntimeError):
        async with runtime.engine.begin() as connection:
            await enqueue_connection_event(
                connection,
                type=CONNECTION_CREATED,
                application_id=tenant.application_id,
                consumer_id="alice",
                unified_api="crm",
                service_id="pipedrive",
                public_url="http://vault.test",
            )
            raise RuntimeError("the change failed after the event was enqueued")
    assert await outbox(fast_app, tenant.application_id) == []
