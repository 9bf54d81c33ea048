"""Helpers for webhook tests: point an application's webhook at a receiver, read the outbox."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import FastAPI

from vaultline.runtime import Runtime
from vaultline.store.webhook_outbox import Attempt, list_attempts, list_events
from vaultline.store.webhooks import set_webhook
from vaultline.webhooks.signing import new_webhook_secret

# Short waits so retries show within a test's few seconds.
FAST_RETRIES = {"allow_private_webhooks": True, "webhook_retry_base_seconds": 0.2, "webhook_timeout_seconds": 2.0}


async def point_webhook(app: FastAPI, application_id: str, url: str) -> str:
    """Set the application's webhook as `vaultline apps webhook --url` does; returns the secret."""
    runtime: Runtime = app.state.runtime
    secret = new_webhook_secret()
    async with runtime.engine.begin() as connection:
        await set_webhook(connection, application_id=application_id, url=url, secret=secret, ring=runtime.master_keys)
    return secret


async def outbox(app: FastAPI, application_id: str) -> list[dict[str, Any]]:
    """The application's events, oldest first."""
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        return list(reversed(await list_events(connection, application_id=application_id)))


async def attempts_of(app: FastAPI, event_id: str) -> list[Attempt]:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.connect() as connection:
        return await list_attempts(connection, event_id=event_id)


async def wait_for_event(app: FastAPI, application_id: str, predicate: Any, *, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        events = await outbox(app, application_id)
        if events and predicate(events[-1]):
            return events[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox did not reach the expected state in {timeout} s: {events}")
        await asyncio.sleep(0.05)
