"""What the application offers a consumer, and the consumer's connection to each offering:
the lookups that answer 404 (not offered) or 403 (outside the session's ``unified_apis``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

from sqlalchemy.ext.asyncio import AsyncConnection

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connection_ids import connection_id
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.state import ConnectionState, connection_state
from vaultline.errors import NotFound
from vaultline.runtime import Runtime
from vaultline.store.app_config import AppConfig, read_config_version
from vaultline.store.connections import ConnectionRecord, ensure_connection, get_connection, list_connections
from vaultline.store.consumers import ConsumerUpsert, upsert_consumers
from vaultline.store.data_scopes import DataScopes
from vaultline.store.integrations import ApplicationIntegration


@dataclass(frozen=True, slots=True)
class OfferedConnection:
    definition: IntegrationDefinition
    offering: ApplicationIntegration
    record: ConnectionRecord | None
    # The application's data scopes: every answer needs them, or its consent fields and health
    # would say "no consent needed" where a plain read says needs_consent.
    data_scopes: DataScopes | None

    @property
    def state(self) -> ConnectionState:
        return connection_state(self.definition, self.record)

    @property
    def unified_api(self) -> str:
        return self.definition.unified_api.value

    @property
    def service_id(self) -> str:
        return self.definition.service_id

    @property
    def needs_oauth_client(self) -> bool:
        """An OAuth integration the application has not given a client id/secret for yet."""
        # client_credentials: each consumer brings their own client, the application none.
        if self.definition.grant_type == "client_credentials":
            return False
        return self.definition.auth_type == "oauth2" and not (
            self.offering.oauth_client_id and self.offering.has_oauth_client_secret
        )

    def event(self) -> dict[str, Any]:
        """What Vault JS's ``onConnectionChange`` receives: no settings, nothing secret."""
        return {
            "id": connection_id(self.unified_api, self.service_id),
            "service_id": self.service_id,
            "unified_api": self.unified_api,
            "name": self.definition.name,
            "state": self.state,
            "enabled": self.record.enabled if self.record else False,
        }


async def app_config(connection: AsyncConnection, runtime: Runtime, caller: ConnectionsCaller) -> AppConfig | None:
    """The caller's application's configuration, current as of this request: the version comes
    with the session row for a session caller, else from one indexed read (store/app_config.py)."""
    version = caller.config_version
    if version is None:
        version = await read_config_version(connection, application_id=caller.application_id)
    return await runtime.app_configs.get(connection, application_id=caller.application_id, version=version)


async def offered_integrations(runtime: Runtime, application_id: str) -> dict[str, ApplicationIntegration]:
    """The application's enabled offerings that the catalog still knows, by service id."""
    async with runtime.reader() as connection:
        version = await read_config_version(connection, application_id=application_id)
        config = await runtime.app_configs.get(connection, application_id=application_id, version=version)
    return dict(config.offerings) if config is not None else {}


def offered_in_config(
    config: AppConfig | None, runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> tuple[IntegrationDefinition, ApplicationIntegration]:
    """``offered_definition`` once the application's configuration is at hand."""
    definition = runtime.catalog.find(unified_api=unified_api, service_id=service_id)
    offering = config.offerings.get(service_id) if definition is not None and config is not None else None
    if definition is None or offering is None:
        raise NotFound(f"This application offers no integration {connection_id(unified_api, service_id)!r}")
    caller.require_unified_api(unified_api)
    return definition, offering


async def offered_definition(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> tuple[IntegrationDefinition, ApplicationIntegration]:
    """404 when the application does not offer it, 403 when outside the session's ``unified_apis``."""
    if runtime.catalog.find(unified_api=unified_api, service_id=service_id) is None:  # no query for unknown ids
        raise NotFound(f"This application offers no integration {connection_id(unified_api, service_id)!r}")
    async with runtime.reader() as connection:
        config = await app_config(connection, runtime, caller)
    return offered_in_config(config, runtime, caller, unified_api, service_id)


async def offered_connections(runtime: Runtime, caller: ConnectionsCaller) -> list[OfferedConnection]:
    """Everything the application offers that this caller may see, in catalog order, each with
    the consumer's connection (``None`` when the consumer has none). One pool checkout."""
    async with runtime.reader() as connection:
        config = await app_config(connection, runtime, caller)
        if config is None:
            return []
        visible = _visible_offerings(runtime, config, caller)
        # Only the connections the answer shows are decrypted (not those to integrations no
        # longer offered, or outside the session's ``unified_apis``).
        records = await list_connections(
            connection,
            application_id=caller.application_id,
            consumer_id=caller.consumer_id,
            ring=runtime.master_keys,
            only={key for _, _, key in visible},
        )
    scopes = config.data_scopes
    by_id = {(r.unified_api, r.service_id): r for r in records}
    return [OfferedConnection(definition, offering, by_id.get(key), scopes) for definition, offering, key in visible]


_Visible = list[tuple[IntegrationDefinition, ApplicationIntegration, tuple[str, str]]]
# Which offerings a caller sees, in catalog order, depends only on the catalog, the application's
# offerings (an object of the configuration cached under its version, store/app_config.py: a new
# version is a new object) and the session's ``unified_apis``; kept per those (the objects are
# kept in the entry: an id is only unique while its object lives). Walking the whole catalog for
# every list was about a tenth of a session-token list.
_VISIBLE: dict[tuple[int, int, tuple[str, ...] | None], tuple[object, object, _Visible]] = {}
_MAX_VISIBLE = 4096


def _visible_offerings(runtime: Runtime, config: AppConfig, caller: ConnectionsCaller) -> _Visible:
    catalog, offered = runtime.catalog, config.offerings
    allowed = caller.session.settings.get("unified_apis") if caller.session is not None else None
    if allowed and not (isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)):
        return _walk_catalog(runtime, config, caller)  # not what minting writes: not worth a key
    key = (id(catalog), id(offered), tuple(allowed) if allowed else None)
    entry = _VISIBLE.get(key)
    if entry is not None and entry[0] is catalog and entry[1] is offered:
        return entry[2]
    visible = _walk_catalog(runtime, config, caller)
    if len(_VISIBLE) >= _MAX_VISIBLE:
        _VISIBLE.clear()
    _VISIBLE[key] = (catalog, offered, visible)
    return visible


def _walk_catalog(runtime: Runtime, config: AppConfig, caller: ConnectionsCaller) -> _Visible:
    offered = config.offerings
    return [
        (d, offered[d.service_id], (d.unified_api.value, d.service_id))
        for d in runtime.catalog
        if d.service_id in offered and caller.may_see(d.unified_api.value)
    ]


async def find_connection(
    runtime: Runtime, caller: ConnectionsCaller, unified_api: str, service_id: str
) -> OfferedConnection:
    """One offering with the consumer's connection to it; 404/403 as ``offered_definition``.
    One pool checkout."""
    if runtime.catalog.find(unified_api=unified_api, service_id=service_id) is None:
        raise NotFound(f"This application offers no integration {connection_id(unified_api, service_id)!r}")
    async with runtime.reader() as connection:
        config = await app_config(connection, runtime, caller)
        definition, offering = offered_in_config(config, runtime, caller, unified_api, service_id)
        record = await read_connection(connection, runtime, caller, definition)
    return OfferedConnection(definition, offering, record, config.data_scopes if config is not None else None)


@overload
async def read_connection(
    connection: AsyncConnection,
    runtime: Runtime,
    caller: ConnectionsCaller,
    definition: IntegrationDefinition,
    *,
    for_update: bool = False,
    required: Literal[True],
) -> ConnectionRecord: ...


@overload
async def read_connection(
    connection: AsyncConnection,
    runtime: Runtime,
    caller: ConnectionsCaller,
    definition: IntegrationDefinition,
    *,
    for_update: bool = False,
    required: Literal[False] = False,
) -> ConnectionRecord | None: ...


async def read_connection(
    connection: AsyncConnection,
    runtime: Runtime,
    caller: ConnectionsCaller,
    definition: IntegrationDefinition,
    *,
    for_update: bool = False,
    required: bool = False,
) -> ConnectionRecord | None:
    """The caller's consumer's connection to ``definition``; with ``required``, 404 when there is none."""
    record = await get_connection(
        connection,
        application_id=caller.application_id,
        consumer_id=caller.consumer_id,
        unified_api=definition.unified_api.value,
        service_id=definition.service_id,
        ring=runtime.master_keys,
        for_update=for_update,
    )
    if record is None and required:
        raise NotFound(
            f"The consumer has no connection {connection_id(definition.unified_api, definition.service_id)!r}"
        )
    return record


async def open_connection_for_change(
    connection: AsyncConnection, runtime: Runtime, caller: ConnectionsCaller, definition: IntegrationDefinition
) -> tuple[bool, ConnectionRecord]:
    """The caller's consumer's connection to ``definition``, created when missing and locked for
    the change about to be written in ``connection``'s transaction; ``True`` when it was created.
    The backend may name a consumer Vaultline has not seen yet: it is recorded first."""
    if caller.is_backend:
        await upsert_consumers(
            connection, [ConsumerUpsert(caller.application_id, caller.consumer_id, None, None, now_ms())]
        )
    created = await ensure_connection(
        connection,
        application_id=caller.application_id,
        consumer_id=caller.consumer_id,
        unified_api=definition.unified_api.value,
        service_id=definition.service_id,
    )
    before = await read_connection(connection, runtime, caller, definition, for_update=True, required=True)
    return created, before
