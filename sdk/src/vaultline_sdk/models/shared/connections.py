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


class ConnectionHealth(StrEnum):
    """Apideck's ``ConnectionHealth``: whether the connection works, and what fixes it if not."""

    OK = "ok"
    DEGRADED = "degraded"
    """Usable, but the provider could not be asked whether the credentials work; asked again."""
    NEEDS_AUTH = "needs_auth"
    """No credentials, or the provider refused them (``health_reason`` says why): enter new ones."""
    PENDING_REFRESH = "pending_refresh"
    """OAuth token refreshes keep failing; the credentials go at ``credentials_expire_at``."""
    PENDING_CONFIRMATION = "pending_confirmation"
    NEEDS_CONSENT = "needs_consent"
    REVOKED = "revoked"
    MISSING_SETTINGS = "missing_settings"


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
OpenConnectionHealth = Annotated[ConnectionHealth | str, Field(union_mode="left_to_right")]
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
    health: OpenConnectionHealth | None = None
    """A ``ConnectionHealth`` (absent when ``available``)."""
    health_reason: str | None = None
    """Vaultline's own: why the health is not ``ok`` in words, e.g. the provider's refusal
    ("Pipedrive refused the credentials: unauthorized access") or why it could not be asked."""
    verified_at: int | float | None = None
    """Vaultline's own: when the provider last accepted the credentials (None: not verified)."""
    last_downstream_error_at: int | float | None = None
    """When the provider last could not be reached (health ``degraded``); 0: no active error."""
    last_refresh_failed_at: int | float | None = None
    """When an OAuth token refresh last failed; 0: no recent failure."""
    credentials_expire_at: int | float | None = None
    """When the credentials are dropped if token refresh keeps failing; 0: no retention window."""
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
    """What failed, e.g. ``"API key is missing"`` or the provider's refusal (Vaultline's own;
    empty when valid)."""
    health: OpenConnectionHealth | None = None
    health_reason: str | None = None


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
