"""The background verifier every serving process runs: asks the provider again about the
connections that are due — those it could not reach (with backoff), those it accepted
``VAULTLINE_REVERIFY_HOURS`` ago, and those never asked — and writes what it learns with its
events (``downstream.degraded`` / ``.recovered``, ``updated`` when a key was revoked).

Instances share the work through a short claim on each row (``next_verification_at`` moved
forward only if still due), so one connection is asked once, not once per instance.
"""

from __future__ import annotations

import asyncio
import logging

from vaultline.clock import now_ms
from vaultline.connections.verification import ready_to_verify, verifies, verify_settings
from vaultline.connections.writes import write_connection_change
from vaultline.runtime import Runtime
from vaultline.store.connections import get_connection
from vaultline.store.provider_marks import DueConnection, claim_verification, due_for_verification

log = logging.getLogger(__name__)

BATCH = 20


async def keep_verifying(runtime: Runtime) -> None:
    """Run until cancelled (``Runtime.close``); a failed pass is logged and retried."""
    while True:
        try:
            while await verify_due(runtime) == BATCH:
                pass
        except Exception:  # the database may be briefly unreachable: keep the worker alive
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Cancelled mid-query, the driver's clean-up raised instead: still a stop, or
                # ``Runtime.close`` would wait for this task forever.
                raise asyncio.CancelledError from None
            log.exception("background verification pass failed; retrying at the next poll")
        await asyncio.sleep(runtime.settings.verification_poll_seconds)


async def verify_due(runtime: Runtime) -> int:
    """Verify the connections due now, one after the other; how many were due."""
    service_ids = [d.service_id for d in runtime.catalog if verifies(runtime, d)]
    now = now_ms()
    async with runtime.engine.connect() as connection:
        due = await due_for_verification(
            connection,
            now=now,
            service_ids=service_ids,
            limit=BATCH,
            include_never_verified=runtime.settings.reverify_hours > 0,
        )
    for item in due:
        await _verify_one(runtime, item)
    return len(due)


async def _verify_one(runtime: Runtime, item: DueConnection) -> None:
    definition = runtime.catalog.get(item.service_id)
    if definition is None:
        return
    settings = runtime.settings
    lease_until = now_ms() + int((2 * settings.verification_timeout_seconds + 5) * 1000)
    async with runtime.engine.begin() as connection:
        if not await claim_verification(connection, item=item, until=lease_until):
            return  # another instance took it
        record = await get_connection(
            connection,
            application_id=item.application_id,
            consumer_id=item.consumer_id,
            unified_api=item.unified_api,
            service_id=item.service_id,
            ring=runtime.master_keys,
        )
    if record is None:
        return
    if record.validation_error is not None or not ready_to_verify(definition, record.settings):
        # Nothing to ask until the settings change (which schedules a verification); look
        # again at the next periodic round, not at every poll.
        hours = settings.reverify_hours
        later = now_ms() + int(hours * 3_600_000) if hours > 0 else None
        async with runtime.engine.begin() as connection:
            await claim_verification(connection, item=item, until=later, claimed_at=lease_until)
        return
    verification = await verify_settings(
        runtime,
        definition,
        record.settings,
        why="background",
        application_id=item.application_id,
        consumer_id=item.consumer_id,
    )
    async with runtime.engine.begin() as connection:
        current = await get_connection(
            connection,
            application_id=item.application_id,
            consumer_id=item.consumer_id,
            unified_api=item.unified_api,
            service_id=item.service_id,
            ring=runtime.master_keys,
            for_update=True,
        )
        if current is None or current.settings != verification.settings:
            return  # changed meanwhile: that change scheduled its own verification
        await write_connection_change(
            connection, runtime, definition, current, verification.verdict(current.provider, settings)
        )
