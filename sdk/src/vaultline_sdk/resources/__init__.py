"""The API's resources, one module each, each with a sync and an async class."""

from vaultline_sdk.resources.connection_consents import AsyncConnectionConsents, ConnectionConsents
from vaultline_sdk.resources.connection_oauth import AsyncConnectionOAuth, ConnectionOAuth
from vaultline_sdk.resources.connection_settings import AsyncConnectionSettings, ConnectionSettings
from vaultline_sdk.resources.connections import AsyncConnections, Connections
from vaultline_sdk.resources.consumers import AsyncConsumers, Consumers
from vaultline_sdk.resources.links import AsyncVaultLinks, VaultLinks
from vaultline_sdk.resources.logs import AsyncLogs, Logs
from vaultline_sdk.resources.sessions import AsyncSessions, Sessions

__all__ = [
    "AsyncConnectionConsents",
    "AsyncConnectionOAuth",
    "AsyncConnectionSettings",
    "AsyncConnections",
    "AsyncConsumers",
    "AsyncLogs",
    "AsyncVaultLinks",
    "AsyncSessions",
    "ConnectionConsents",
    "ConnectionOAuth",
    "ConnectionSettings",
    "Connections",
    "Consumers",
    "Logs",
    "Sessions",
    "VaultLinks",
]
