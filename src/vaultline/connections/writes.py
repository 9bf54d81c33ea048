"""The one way a stored connection changes: the row written and its ``vault.connection.*``
events enqueued in the caller's transaction, for the API, the Hosted Vault and OAuth alike, so
no path can change a connection without the application hearing of it (or hear of a change
that was rolled back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connections.change_events import enqueue_connection_change
from vaultline.connections.token_schedule import next_refresh_at
from vaultline.runtime import Runtime
from vaultline.store.connection_marks import append_consent, set_pending_confirmation
from vaultline.store.connections import (
    ConnectionChanges,
    ConnectionRecord,
    delete_connection,
    reread_connection,
    save_connection,
    set_oauth_credentials,
    set_validation_error,
)
from vaultline.store.provider_marks import ProviderMarks, set_provider_marks
from vaultline.webhooks.events import enqueue_connection_event


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    token_hash: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class NewTokens:
    """The provider's tokens to store (``None`` clears them) and the verdict stored with them."""

    credentials: dict[str, Any] | None
    validation_error: str | None = None
    # Tokens obtained with a ``nonce`` wait for POST …/confirm (oauth/confirmation.py): the hash
    # of the confirm token and its expiry; ``None``: usable at once. Only the callback decides
    # this; a refresh or a revocation keeps whatever is pending ("keep"), so it never confirms.
    pending_confirmation: PendingConfirmation | None | Literal["keep"] = "keep"


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The backend confirmed the pending tokens: the connection becomes usable."""


@dataclass(frozen=True, slots=True)
class NewConsent:
    """A consent record appended to the connection's (connections/consents.py)."""

    consent: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportedConnection:
    """Settings and the provider's tokens stored together (an import from another system), so
    the application hears of one change, not of two half-done ones."""

    changes: ConnectionChanges
    credentials: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ProviderVerdict:
    """What asking the provider taught about the stored settings: its marks, and the verdict
    (``validation_error``: a refusal's text, ``None`` when accepted or unknown)."""

    marks: ProviderMarks
    validation_error: str | None


@dataclass(frozen=True, slots=True)
class Deletion:
    """The connection and everything stored with it go."""


def _refresh_due(
    runtime: Runtime, definition: IntegrationDefinition, credentials: dict[str, Any] | None, error: str | None
) -> int | None:
    """When the token keeper refreshes tokens stored now; never for tokens found unusable."""
    if error is not None:
        return None
    return next_refresh_at(definition, credentials, runtime.settings, stored_at=now_ms())


@overload
async def write_connection_change(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    before: ConnectionRecord,
    write: ConnectionChanges | NewTokens | Confirmation | NewConsent | ImportedConnection | ProviderVerdict,
    *,
    created: bool = False,
    event: str | None = None,
) -> ConnectionRecord: ...


@overload
async def write_connection_change(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    before: ConnectionRecord,
    write: Deletion,
    *,
    created: bool = False,
    event: str | None = None,
) -> None: ...


async def write_connection_change(
    connection: AsyncConnection,
    runtime: Runtime,
    definition: IntegrationDefinition,
    before: ConnectionRecord,
    write: ConnectionChanges | NewTokens | Confirmation | NewConsent | ImportedConnection | ProviderVerdict | Deletion,
    *,
    created: bool = False,
    event: str | None = None,
) -> ConnectionRecord | None:
    """Apply ``write`` to ``before`` (the row as read, locked, in this transaction; the fresh row
    when ``created``) and return the row as it is now (``None`` once deleted). The events are
    the ones the change makes (connections/change_events.py), or exactly ``event`` when given
    (``revoked``, ``token_refresh.failed``: they say what happened better than a diff)."""
    ring = runtime.master_keys
    after: ConnectionRecord | None
    if isinstance(write, Deletion):
        await delete_connection(
            connection,
            application_id=before.application_id,
            consumer_id=before.consumer_id,
            unified_api=before.unified_api,
            service_id=before.service_id,
        )
        after = None
    else:
        if isinstance(write, ConnectionChanges):
            await save_connection(connection, record=before, changes=write, ring=ring)
            if write.provider is not None:
                await set_provider_marks(connection, pk=before.pk, marks=write.provider)
        elif isinstance(write, ProviderVerdict):
            await set_provider_marks(connection, pk=before.pk, marks=write.marks)
            if write.validation_error != before.validation_error:  # a new verdict is a change of state
                await set_validation_error(
                    connection,
                    pk=before.pk,
                    error=write.validation_error,
                    updated_at=max(now_ms(), before.updated_at + 1),
                )
        elif isinstance(write, Confirmation):
            await set_pending_confirmation(connection, record=before, token_hash=None, expires_at=None)
        elif isinstance(write, NewConsent):
            await append_consent(connection, record=before, consent=write.consent)
        elif isinstance(write, ImportedConnection):
            await save_connection(connection, record=before, changes=write.changes, ring=ring)
            await set_oauth_credentials(
                connection,
                record=before,
                credentials=write.credentials,
                ring=ring,
                validation_error=write.changes.validation_error,
                refresh_due_at=_refresh_due(runtime, definition, write.credentials, write.changes.validation_error),
            )
            # Imported tokens are usable at once: whatever a nonce flow left pending is dropped.
            await set_pending_confirmation(connection, record=before, token_hash=None, expires_at=None)
        else:
            await set_oauth_credentials(
                connection,
                record=before,
                credentials=write.credentials,
                ring=ring,
                validation_error=write.validation_error,
                refresh_due_at=_refresh_due(runtime, definition, write.credentials, write.validation_error),
            )
            pending = write.pending_confirmation
            if pending != "keep":
                await set_pending_confirmation(
                    connection,
                    record=before,
                    token_hash=pending.token_hash if pending else None,
                    expires_at=pending.expires_at if pending else None,
                )
        after = await reread_connection(connection, record=before, ring=ring)
    public_url = runtime.settings.public_url
    if event is None:
        await enqueue_connection_change(
            connection, definition=definition, before=before, after=after, created=created, public_url=public_url
        )
    else:
        await enqueue_connection_event(
            connection,
            type=event,
            application_id=before.application_id,
            consumer_id=before.consumer_id,
            unified_api=before.unified_api,
            service_id=before.service_id,
            public_url=public_url,
        )
    return after
