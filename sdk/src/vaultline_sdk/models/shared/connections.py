"""Apideck's connection endpoints: a consumer's connection to one integration, its validation,
and (Vaultline's own) its decrypted credentials. Times are epoch milliseconds, as on the wire."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from vaultline_sdk.models.shared._base import ResponseModel
from vaultline_sdk.models.shared.consents import ConsentRecord, DataScopes


class ConnectionState(StrEnum):
    """Where a connection stands: ``available`` → ``added`` → ``authorized`` → ``callable``;
    ``invalid`` after a failed validation, until its settings change."""

    AVAILABLE = "available"
    ADDED = "added"
    AUTHORIZED = "authorized"
    CALLABLE = "callable"
    INVALID = "invalid"


class IntegrationState(StrEnum):
    """Whether the application has set the integration up (OAuth client id and secret)."""

    DISABLED = "disabled"
    NEEDS_CONFIGURATION = "needs_configuration"
    CONFIGURED = "configured"


class AuthType(StrEnum):
    OAUTH2 = "oauth2"
    API_KEY = "apiKey"
    BASIC = "basic"
    CUSTOM = "custom"
    NONE = "none"


# A value this SDK does not know yet (a newer server's) is kept as a plain string instead of
# failing the whole answer; known values become the enum member. Both compare equal to the string.
OpenConnectionState = Annotated[ConnectionState | str, Field(union_mode="left_to_right")]
OpenIntegrationState = Annotated[IntegrationState | str, Field(union_mode="left_to_right")]
OpenAuthType = Annotated[AuthType | str, Field(union_mode="left_to_right")]


class FormField(ResponseModel):
    """One setting the integration asks for, with its current ``value`` (``"********"`` when sensitive)."""

    id: str
    label: str | None = None
    placeholder: str | None = None
    description: str | None = None
    type: str | None = None
    """``text``, ``password``, ``email``, ``select``…"""
    required: bool = False
    sensitive: bool | None = None
    """Masked as ``"********"`` everywhere except ``connections.credentials``."""
    custom_field: bool = False
    allow_custom_values: bool = False
    disabled: bool | None = None
    hidden: bool | None = None
    deprecated: bool | None = None
    prefix: str | None = None
    suffix: str | None = None
    options: list[dict[str, Any]] = []
    value: Any = None


class ConnectionConfiguration(ResponseModel):
    """Defaults for one configurable resource, e.g. ``{"resource": "leads", "defaults": [...]}``.
    Read from ``Connection.configuration``; can be sent back to ``connections.update``."""

    resource: str
    defaults: list[dict[str, Any]] = []


class Connection(ResponseModel):
    """A consumer's connection to one integration; ``state`` is ``available`` when there is none yet."""

    id: str
    """``{unified_api}+{service_id}``, e.g. ``"crm+pipedrive"``."""
    service_id: str
    unified_api: str
    name: str | None = None
    tag_line: str | None = None
    state: OpenConnectionState | None = None
    integration_state: OpenIntegrationState | None = None
    auth_type: OpenAuthType | None = None
    oauth_grant_type: str | None = None
    status: str | None = None
    """``live``, ``upcoming`` or ``requested``."""
    enabled: bool | None = None
    """Disabled connections keep their state and settings; your backend must not use them."""
    health: str | None = None
    """``ok``, ``needs_auth``, ``missing_settings``, ``pending_confirmation``, ``needs_consent``,
    ``revoked``, ``pending_refresh`` (absent when ``available``)."""
    credentials_expire_at: int | None = None
    """While ``pending_refresh``: when (epoch ms) the connection becomes ``needs_auth`` if token
    refreshes keep failing; 0 when no retention window is open."""
    last_refresh_failed_at: int | None = None
    """The last failed OAuth token refresh (epoch ms); 0 when the last refresh worked."""
    consent_state: str | None = None
    """``implicit``, ``pending``, ``granted``, ``denied``, ``revoked`` or ``requires_reconsent``."""
    consents: list[ConsentRecord] = []
    latest_consent: ConsentRecord | None = None
    application_data_scopes: DataScopes | None = None
    website: str | None = None
    icon: str | None = None
    logo: str | None = None
    authorize_url: str | None = None
    revoke_url: str | None = None
    settings: dict[str, Any] | None = None
    """The stored settings; sensitive ones are ``"********"``."""
    metadata: dict[str, Any] | None = None
    form_fields: list[FormField] = []
    configuration: list[ConnectionConfiguration] = []
    configurable_resources: list[str] = []
    resource_schema_support: list[str] = []
    resource_settings_support: list[str] = []
    validation_support: bool | None = None
    schema_support: bool | None = None
    settings_required_for_authorization: list[str] = []
    subscriptions: list[dict[str, Any]] = []
    has_guide: bool | None = None
    created_at: int | float | None = None
    updated_at: int | float | None = None


class GetConnectionsResponse(ResponseModel):
    """``GET /vault/connections``: every integration the application offers, as the consumer's connection."""

    status_code: int
    status: str
    data: list[Connection]


class GetConnectionResponse(ResponseModel):
    """One connection: the answer to get and update."""

    status_code: int
    status: str
    data: Connection


UpdateConnectionResponse = GetConnectionResponse


class ConnectionValidation(ResponseModel):
    id: str
    state: OpenConnectionState
    problems: list[str] = []
    """What failed, e.g. ``"API key is missing"`` (Vaultline's own; empty when valid)."""


class ValidateConnectionStateResponse(ResponseModel):
    """``POST …/validate``."""

    status_code: int
    status: str
    data: ConnectionValidation


class ConnectionCredentials(ResponseModel):
    """Everything your backend needs to call the provider for this consumer, in plaintext."""

    id: str
    service_id: str
    unified_api: str
    auth_type: OpenAuthType | None = None
    state: OpenConnectionState | None = None
    enabled: bool | None = None
    settings: dict[str, Any] = {}
    """Every setting, sensitive ones unmasked."""
    credentials: dict[str, Any] | None = None
    """The OAuth tokens, for OAuth 2 connections."""
    has_credentials: bool | None = None
    updated_at: int | float | None = None


class GetConnectionCredentialsResponse(ResponseModel):
    """``GET …/credentials`` (Vaultline's own, API key only)."""

    status_code: int
    status: str
    data: ConnectionCredentials
