"""Importing a connection made elsewhere (``connectionsImport``): how a customer moves its
consumers' connections to Vaultline without asking each consumer to connect again.

The backend (API key only) hands over the settings and, for OAuth integrations, the tokens;
both are stored sealed like any other, in one change with its events. The connection ends
``callable``, or ``authorized`` when a required setting is still missing (``added`` for a
client_credentials or password integration imported without a token: ``POST …/token`` next). A token without a
known expiry is queued for refresh: it is stored as expiring now, so the next credentials read
refreshes it (when there is a refresh token) before handing it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.connections.caller import ConnectionsCaller
from vaultline.connections.offered import OfferedConnection, offered_definition, open_connection_for_change
from vaultline.connections.settings import merge_settings
from vaultline.connections.state import is_set
from vaultline.connections.writes import ImportedConnection, write_connection_change
from vaultline.errors import Unprocessable
from vaultline.runtime import Runtime
from vaultline.store.connections import ConnectionChanges
from vaultline.store.data_scopes import get_data_scopes


@dataclass(frozen=True, slots=True, repr=False)
class ImportedTokens:
    """Apideck's ``ConnectionImportData.credentials``."""

    access_token: str
    refresh_token: str | None
    issued_at: datetime | None
    expires_in: int | None

    def stored(self) -> dict[str, Any]:
        """As oauth/provider_client.credentials_from stores a provider's answer."""
        if self.issued_at is not None and self.expires_in is not None:
            expires_at = int(self.issued_at.timestamp() * 1000) + self.expires_in * 1000
        else:
            expires_at = now_ms()  # unknown expiry: refreshed on the next credentials read
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "scope": None,
            "expires_at": expires_at,
        }


async def import_connection(
    runtime: Runtime,
    caller: ConnectionsCaller,
    unified_api: str,
    service_id: str,
    *,
    settings: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    tokens: ImportedTokens | None,
) -> OfferedConnection:
    """Create or replace the consumer's connection with what another system had. Settings are
    merged into what is stored (a re-run of a migration is harmless); tokens replace."""
    caller.require_backend("import a connection")
    definition, offering = await offered_definition(runtime, caller, unified_api, service_id)
    _check_importable(definition, tokens)
    async with runtime.engine.begin() as connection:
        created, before = await open_connection_for_change(connection, runtime, caller, definition)  # backend only
        merged = merge_settings(definition, before.settings, settings or {})
        missing = [name for name in definition.credential_ids if not is_set(merged.get(name))]
        if missing:
            raise Unprocessable(
                f"An imported {definition.name} connection needs its credentials: {', '.join(missing)}",
                detail={"missing_settings": missing},
            )
        changes = ConnectionChanges(
            enabled=True,
            settings=merged,
            metadata=before.metadata if metadata is None else metadata,
            configuration=before.configuration,
            validation_error=None,
        )
        credentials = tokens.stored() if tokens is not None else before.oauth_credentials
        write = ImportedConnection(changes, credentials)
        after = await write_connection_change(connection, runtime, definition, before, write, created=created)
        scopes = await get_data_scopes(connection, application_id=caller.application_id)
    return OfferedConnection(definition, offering, after, scopes)


def _check_importable(definition: IntegrationDefinition, tokens: ImportedTokens | None) -> None:
    # A stored-credentials grant (client_credentials, password) can come over as settings only:
    # the backend then asks for a token with POST …/token.
    if definition.auth_type == "oauth2" and tokens is None and definition.grant_type == "authorization_code":
        raise Unprocessable(
            f"An imported {definition.name} connection needs its tokens: credentials.access_token",
            detail={"missing": ["credentials.access_token"]},
        )
    if definition.auth_type != "oauth2" and tokens is not None:
        raise Unprocessable(
            f"{definition.name} uses {definition.auth_type} credentials, not OAuth tokens: import them as settings",
            detail={"auth_type": definition.auth_type, "credential_settings": list(definition.credential_ids)},
        )
