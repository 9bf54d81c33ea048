"""Changing a consumer's connection: the one transaction behind "add", "enter settings",
"disable/re-enable", "disconnect" and "delete", with the ``allow_actions`` each one needs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import (
    OfferedConnection,
    offered_definition,
    open_connection_for_change,
    read_connection,
)
from vaultline.connections.resource_configuration import check_configuration, replace_resource_entries
from vaultline.connections.settings import merge_settings
from vaultline.connections.state import is_set
from vaultline.connections.verification import (
    Verification,
    inputs_changed,
    ready_to_verify,
    unverified_marks,
    verifies,
    verify_settings,
)
from vaultline.connections.writes import Deletion, write_connection_change
from vaultline.errors import Forbidden, NotFound
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionChanges, ConnectionRecord
from vaultline.store.data_scopes import get_data_scopes
from vaultline.store.provider_marks import ProviderMarks


async def apply_connection_update(
    runtime: Runtime,
    caller: ConnectionsCaller,
    unified_api: str,
    service_id: str,
    *,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
    configuration: list[dict[str, Any]] | None = None,
    configuration_of: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> OfferedConnection:
    """Add the connection (created enabled when missing), then apply what is given; ``None``
    keeps the stored value. Settings are merged: a key set to null or "" is cleared, a
    sensitive one sent back masked is kept. Only the backend may set ``metadata``.
    ``configuration`` replaces every resource's settings, or only those of ``configuration_of``.
    New credentials are verified with the provider first (connections/verification.py)."""
    definition, offering = await offered_definition(runtime, caller, unified_api, service_id)
    if metadata is not None:
        caller.require_backend("set a connection's metadata")
    if configuration is not None:
        check_configuration(definition, configuration)
        _refuse_hidden_resource_settings(caller)
    verification = None
    if settings and verifies(runtime, definition):
        verification = await _verify_before_saving(runtime, caller, definition, settings, enabled)
    async with runtime.engine.begin() as connection:
        created, before = await open_connection_for_change(connection, runtime, caller, definition)
        merged = merge_settings(definition, before.settings, settings or {})
        now_enabled = before.enabled if enabled is None else enabled
        for action, doing in _required_actions(definition, before, created, now_enabled, merged):
            caller.require_action(action, doing)
        changes = ConnectionChanges(
            enabled=now_enabled,
            settings=merged,
            metadata=before.metadata if metadata is None else metadata,
            configuration=_configuration_after(before.configuration, configuration, configuration_of),
            # New settings deserve a new verdict: "invalid" only sticks to what was validated.
            validation_error=before.validation_error if merged == before.settings else None,
            provider=_provider_marks(runtime, definition, before, merged),
        )
        if verification is not None and verification.settings == merged:  # judged exactly what is saved
            verdict = verification.verdict(before.provider, runtime.settings)
            changes = replace(changes, validation_error=verdict.validation_error, provider=verdict.marks)
        after = await write_connection_change(connection, runtime, definition, before, changes, created=created)
        scopes = await get_data_scopes(connection, application_id=caller.application_id)
    return OfferedConnection(definition, offering, after, scopes)


async def delete_consumer_connection(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> None:
    """Delete the connection and everything stored with it; 404 when the consumer has none."""
    definition, _offering = await offered_definition(runtime, caller, unified_api, service_id)
    caller.require_action("delete", "delete a connection")
    async with runtime.engine.begin() as connection:
        before = await read_connection(connection, runtime, caller, definition, for_update=True)
        if before is not None:
            await write_connection_change(connection, runtime, definition, before, Deletion())
    if before is None:
        raise NotFound(f"The consumer has no connection {connection_id(unified_api, service_id)!r}")


async def _verify_before_saving(
    runtime: Runtime,
    caller: ConnectionsCaller,
    definition: IntegrationDefinition,
    settings: dict[str, Any],
    enabled: bool | None,
) -> Verification | None:
    """Ask the provider about the settings as they would be saved, before the transaction (the
    row is not locked for the provider's 10 s). The caller's permissions are checked first, so
    a session that may not replace credentials cannot use the provider to try keys."""
    async with runtime.engine.connect() as connection:
        current = await read_connection(connection, runtime, caller, definition)
    stored = current.settings if current is not None else {}
    merged = merge_settings(definition, stored, settings)
    if not inputs_changed(definition, stored, merged) or not ready_to_verify(definition, merged):
        return None
    if current is not None:
        now_enabled = current.enabled if enabled is None else enabled
        for action, doing in _required_actions(definition, current, False, now_enabled, merged):
            caller.require_action(action, doing)
    return await verify_settings(
        runtime,
        definition,
        merged,
        why="entered",
        application_id=caller.application_id,
        consumer_id=caller.consumer_id,
    )


def _provider_marks(
    runtime: Runtime, definition: IntegrationDefinition, before: ConnectionRecord, merged: dict[str, Any]
) -> ProviderMarks | None:
    """Without a verdict: unchanged marks for unchanged credentials; for new ones, nothing known
    (verified soon in the background when this server verifies; a verdict replaces this)."""
    if not inputs_changed(definition, before.settings, merged):
        return None
    ready = verifies(runtime, definition) and ready_to_verify(definition, merged)
    return unverified_marks(before.provider, verify_at=now_ms() if ready else None)


def _required_actions(
    definition: IntegrationDefinition, before: ConnectionRecord, created: bool, enabled: bool, settings: dict[str, Any]
) -> list[tuple[str, str]]:
    """The ``allow_actions`` entries a change needs, with what it does (for the 403 message).
    Adding a connection and entering first credentials need none, as in Apideck's Vault."""
    needed: list[tuple[str, str]] = []
    if not created and enabled != before.enabled:
        needed.append(("disable", "disable a connection" if not enabled else "re-enable a disabled connection"))
    # Credentials found invalid authorize nothing: replacing them (the fix the Hosted Vault
    # offers after a refusal) needs no "reauthorize".
    replacing_invalid = before.validation_error is not None
    for setting_id in definition.credential_ids:
        old, new = before.settings.get(setting_id), settings.get(setting_id)
        if is_set(old) and not is_set(new):
            needed.append(("disconnect", "clear a connection's credentials"))
        elif is_set(old) and old != new and not replacing_invalid:
            needed.append(("reauthorize", "replace a connection's credentials"))
    return needed


def _refuse_hidden_resource_settings(caller: ConnectionsCaller) -> None:
    """The Hosted Vault hides resource settings from such a session; its token may not change them either."""
    if caller.session is not None and caller.session.settings.get("hide_resource_settings"):
        raise Forbidden(
            "This session may not change resource settings: its settings.hide_resource_settings is true",
            detail="Change resource settings from your backend with the application's API key.",
        )


def _configuration_after(
    stored: list[dict[str, Any]] | None, given: list[dict[str, Any]] | None, only: str | None
) -> list[dict[str, Any]] | None:
    if given is None:
        return stored
    if only is None:
        return [dict(item) for item in given]
    return replace_resource_entries(stored, given, only=only)
