"""Opening a Vault link: find it by its secret's hash, refuse it when revoked, expired or (single
use) already bound to another browser, else mint a fresh session from the body stored with it.

Failed lookups count against the caller's address like invalid API keys (auth_throttle.py): a
malformed secret costs no query and is counted; a throttled address is refused before the query.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from vaultline.auth_throttle import AuthThrottle
from vaultline.links.events import enqueue_link_event
from vaultline.links.request import session_request_from
from vaultline.links.tokens import is_binding, is_link_secret, new_binding, sha256_hex
from vaultline.runtime import Runtime
from vaultline.sessions.minting import MintedSession, mint_session
from vaultline.store.applications import get_application
from vaultline.store.consumer_logs import LogEntry
from vaultline.store.vault_links import (
    LinkRecord,
    bind_link,
    find_link_by_secret_hash,
    link_binding_hash,
    note_link_expired,
    note_link_opened,
)
from vaultline.webhooks.events import LINK_EXPIRED, LINK_OPENED

Refusal = Literal["invalid", "revoked", "expired", "used"]
REFUSAL_STATUS: dict[Refusal, int] = {"invalid": 404, "revoked": 410, "expired": 410, "used": 403}
OPENED_STATUS = 303  # the redirect into the vault


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    record: LinkRecord | None
    refusal: Refusal | None = None
    minted: MintedSession | None = None
    # Set when this opening bound a single-use link: the value this browser must keep.
    binding: str | None = None


def binding_cookie_name(link_id: str) -> str:
    return f"vaultline_link_{link_id}"


async def open_link(
    runtime: Runtime, throttle: AuthThrottle, secret: str, *, address: str, cookies: Mapping[str, str]
) -> LinkOutcome:
    """``cookies``: the browser's, where a single-use link's binding is looked for."""
    started = time.perf_counter()
    if not is_link_secret(secret):
        await throttle.record_failure(address)
        return LinkOutcome(None, "invalid")
    await throttle.refuse_if_throttled(address)
    async with runtime.engine.connect() as connection:
        record = await find_link_by_secret_hash(connection, secret_hash=sha256_hex(secret))
    if record is None:
        await throttle.record_failure(address)
        return LinkOutcome(None, "invalid")
    outcome = await _open_found(runtime, record, cookies.get(binding_cookie_name(record.id)))
    _log_opening(runtime, outcome, record, seconds=time.perf_counter() - started)
    return outcome


async def _open_found(runtime: Runtime, record: LinkRecord, binding: str | None) -> LinkOutcome:
    now = runtime.clock()
    public_url = runtime.settings.public_url
    if record.revoked_at is not None:
        return LinkOutcome(record, "revoked")
    if now >= record.expires_at:
        async with runtime.engine.begin() as connection:
            if await note_link_expired(connection, link_id=record.id, now=now):
                await enqueue_link_event(connection, type=LINK_EXPIRED, record=record, public_url=public_url, now=now)
        return LinkOutcome(record, "expired")
    bound_now: str | None = None
    if record.single_use:
        bound_now, allowed = await _check_binding(runtime, record, binding)
        if not allowed:
            return LinkOutcome(record, "used")
    async with runtime.engine.connect() as connection:
        application = await get_application(connection, application_id=record.application_id)
    if application is None:
        return LinkOutcome(record, "invalid")
    minted = await mint_session(
        runtime,
        application=application,
        consumer_id=record.consumer_id,
        request=session_request_from(record.session_request),
    )
    async with runtime.engine.begin() as connection:
        await note_link_opened(connection, link_id=record.id, now=now)
        await enqueue_link_event(
            connection,
            type=LINK_OPENED,
            record=record,
            public_url=public_url,
            now=now,
            session_id=minted.session_id,
            first_opening=record.first_opened_at is None,
        )
    return LinkOutcome(record, minted=minted, binding=bound_now)


async def _check_binding(runtime: Runtime, record: LinkRecord, presented: str | None) -> tuple[str | None, bool]:
    """(the binding this opening created, whether this browser may open the link)."""
    if record.binding_hash is None:
        candidate = new_binding()
        async with runtime.engine.begin() as connection:
            if await bind_link(connection, link_id=record.id, binding_hash=sha256_hex(candidate)):
                return candidate, True
            binding_hash = await link_binding_hash(connection, link_id=record.id)  # another browser won
    else:
        binding_hash = record.binding_hash
    if presented is None or not is_binding(presented) or binding_hash is None:
        return None, False
    return None, hmac.compare_digest(binding_hash, sha256_hex(presented))


def _log_opening(runtime: Runtime, outcome: LinkOutcome, record: LinkRecord, *, seconds: float) -> None:
    """A consumer log row for the opening (or its refusal), like an API call made for the consumer."""
    status = OPENED_STATUS if outcome.refusal is None else REFUSAL_STATUS[outcome.refusal]
    runtime.consumer_logs.enqueue(
        LogEntry(
            application_id=record.application_id,
            consumer_id=record.consumer_id,
            caller="link",
            method="GET",
            path=f"/link/[{record.id}]",
            status_code=status,
            duration_us=int(seconds * 1_000_000),
            timestamp=runtime.clock(),
            operation_id="vaultLinkOpen",
            operation_name="Open a Vault link",
            unified_api=None,
            service_id=None,
            error_message=None if outcome.refusal is None else f"link refused: {outcome.refusal}",
        )
    )
