"""Consent to an application's data scopes (Apideck's ``connectionConsentsAll`` /
``connectionConsentUpdate`` and the ``consent_state`` / ``consents`` / ``latest_consent`` /
``application_data_scopes`` fields of a connection).

An application may list the resources and fields it reads and writes (its *data scopes*, set
with ``vaultline apps data-scopes``). While they are enabled, each connection needs the
consumer's consent to them: its health is ``needs_consent`` until a granting record covers every
scope. Records are immutable and appended (an audit trail); the state is computed on read:

- ``implicit``: the application asks for no consent (data scopes off) and none was recorded;
- ``pending``: consent is required and nothing was recorded yet;
- ``granted``: the latest record grants everything the application asks for now;
- ``requires_reconsent``: the latest record granted less than the application asks for now
  (its data scopes grew after the grant);
- ``denied``: the latest record refuses and nothing was granted before; ``revoked``: it
  refuses after an earlier grant.

Either caller may record consent: the backend (API key) for a consent it collected itself, the
consumer's own session token in the Hosted Vault. No ``allow_actions`` entry is needed, not
even to withdraw consent: a consumer can always take their consent back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from vaultline.clock import iso_from_ms, now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.consent_state import consent_state_of, missing_scopes
from vaultline.connections.offered import offered_definition, read_connection
from vaultline.connections.writes import NewConsent, write_connection_change
from vaultline.errors import BadRequest, Unprocessable
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionRecord
from vaultline.store.data_scopes import DataScopes, Resources, get_data_scopes

# The states a caller may set through a connection's ``consent_state`` (the others are computed).
SETTABLE_STATES = {"granted": True, "denied": False, "revoked": False}


def data_scopes_view(scopes: DataScopes | None) -> dict[str, Any]:
    if scopes is None:
        return {"enabled": False, "resources": "*"}
    return {"enabled": scopes.enabled, "updated_at": iso_from_ms(scopes.updated_at), "resources": scopes.resources}


def consent_fields(scopes: DataScopes | None, record: ConnectionRecord | None) -> dict[str, Any]:
    """The consent fields of a connection's wire view."""
    consents = list(record.consents) if record else []
    fields: dict[str, Any] = {
        "consent_state": consent_state_of(scopes, consents),
        "consents": consents,
        "application_data_scopes": data_scopes_view(scopes),
    }
    if consents:
        fields["latest_consent"] = consents[-1]
    return fields


async def get_application_data_scopes(runtime: Runtime, application_id: str) -> DataScopes | None:
    async with runtime.engine.connect() as connection:
        return await get_data_scopes(connection, application_id=application_id)


async def connection_consents(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> list[dict[str, Any]]:
    """Every consent record of the connection, oldest first; 404 when the consumer has none."""
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    async with runtime.engine.connect() as connection:
        record = await read_connection(connection, runtime, caller, definition, required=True)
    return list(record.consents)


async def record_consent(
    runtime: Runtime,
    caller: ConnectionsCaller,
    unified_api: str,
    service_id: str,
    *,
    granted: bool,
    resources: Resources,
) -> dict[str, Any]:
    """Append a consent record (a ``vault.connection.updated`` event goes with it) and return
    it. A grant must cover every data scope the application asks for (422 naming what is
    missing); a refusal may name anything. 404 when the consumer has no such connection."""
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    check_grant(await get_application_data_scopes(runtime, caller.application_id), granted, resources)
    consent = {
        "id": "con_" + secrets.token_hex(10),
        "created_at": iso_from_ms(now_ms()),
        "granted": granted,
        "resources": resources,
    }
    async with runtime.engine.begin() as connection:
        before = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
        await write_connection_change(connection, runtime, definition, before, NewConsent(consent))
    return consent


@dataclass(frozen=True, slots=True)
class ConsentDecision:
    """A consent record to append, decided from a connection's ``ConnectionInput`` fields."""

    granted: bool
    resources: Resources


def check_grant(scopes: DataScopes | None, granted: bool, resources: Resources) -> None:
    """422 when a grant does not cover the application's current data scopes."""
    if isinstance(resources, str) and resources != "*":
        raise BadRequest('resources must be an object of resources and fields, or "*"', detail={"resources": resources})
    if granted and scopes is not None and scopes.enabled:
        missing = missing_scopes(resources, scopes.resources)
        if missing:
            raise Unprocessable(
                "This consent does not cover the application's data scopes",
                detail={"missing": missing[:50], "application_data_scopes": data_scopes_view(scopes)},
            )


async def consent_input_decision(
    runtime: Runtime,
    caller: ConnectionsCaller,
    unified_api: str,
    service_id: str,
    *,
    consent_state: str | None,
    latest_consent: dict[str, Any] | None,
    application_data_scopes: dict[str, Any] | None = None,
) -> ConsentDecision | None:
    """What the consent fields of ``PATCH /vault/connections/{api}/{svc}`` (the spec's
    ``ConnectionInput``) ask for, checked before anything is written:

    - the fields as read (same ``consent_state``, same ``latest_consent`` id, same data scopes),
      as a client sends back the connection it read: nothing to do (``None``);
    - ``consent_state`` granted / denied / revoked, or a new ``latest_consent``: a new record
      (``latest_consent``'s resources, else the application's own data scopes);
    - a computed state (pending, implicit, requires_reconsent) that differs from the current
      one, or a ``consent_state`` contradicting ``latest_consent.granted``: 400.

    ``application_data_scopes`` is accepted and ignored: the data scopes are the application's,
    set with ``vaultline apps data-scopes``, and a connection sent back as read carries them.
    """
    del application_data_scopes  # accepted in the spec's shape (api/connection_input.py), not stored
    if consent_state is None and latest_consent is None:
        return None
    definition, _ = await offered_definition(runtime, caller, unified_api, service_id)
    scopes = await get_application_data_scopes(runtime, caller.application_id)
    async with runtime.engine.connect() as connection:
        record = await read_connection(connection, runtime, caller, definition)
    consents = record.consents if record is not None else ()
    latest = consents[-1] if consents else None
    current = consent_state_of(scopes, consents)
    same_latest = latest_consent is None or (latest is not None and latest_consent.get("id") == latest.get("id"))
    if consent_state in (None, current) and same_latest:
        return None  # sent back as read
    if latest_consent is not None and not same_latest:
        granted = bool(latest_consent["granted"])
        if consent_state is not None and SETTABLE_STATES.get(consent_state, not granted) != granted:
            raise BadRequest("consent_state and latest_consent.granted disagree")
    elif consent_state in SETTABLE_STATES:
        granted = SETTABLE_STATES[consent_state]
    else:
        raise BadRequest(
            f"consent_state {consent_state!r} is computed by the server and cannot be set",
            detail={"settable": sorted(SETTABLE_STATES), "consent_state": current},
        )
    resources = (latest_consent or {}).get("resources") if not same_latest else None
    if resources is None:
        resources = scopes.resources if scopes is not None else "*"
    check_grant(scopes, granted, resources)
    return ConsentDecision(granted, resources)


async def apply_consent_input(
    runtime: Runtime,
    caller: ConnectionsCaller,
    unified_api: str,
    service_id: str,
    *,
    consent_state: str | None,
    latest_consent: dict[str, Any] | None,
    application_data_scopes: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """``consent_input_decision`` then ``record_consent``: the new record, or ``None``."""
    decision = await consent_input_decision(
        runtime, caller, unified_api, service_id, consent_state=consent_state, latest_consent=latest_consent,
        application_data_scopes=application_data_scopes,
    )  # fmt: skip
    if decision is None:
        return None
    return await record_consent(
        runtime, caller, unified_api, service_id, granted=decision.granted, resources=decision.resources
    )
