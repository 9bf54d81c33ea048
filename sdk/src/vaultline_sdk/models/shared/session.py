"""The body of ``POST /vault/sessions``: Apideck's ``Session`` schema, field for field."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from vaultline_sdk.models.shared._base import RequestModel, ResponseModel


class UnifiedApiIdEnum(StrEnum):
    """A Unified API, as named in Apideck's ``UnifiedApiId``."""

    ACCOUNTING = "accounting"
    ATS = "ats"
    CALENDAR = "calendar"
    CRM = "crm"
    CSP = "csp"
    CUSTOMER_SUPPORT = "customer-support"
    ECOMMERCE = "ecommerce"
    EMAIL = "email"
    EMAIL_MARKETING = "email-marketing"
    EXPENSE_MANAGEMENT = "expense-management"
    FILE_STORAGE = "file-storage"
    FORM = "form"
    HRIS = "hris"
    LEAD = "lead"
    PAYROLL = "payroll"
    POS = "pos"
    PROCUREMENT = "procurement"
    PROJECT_MANAGEMENT = "project-management"
    SCRIPT = "script"
    SMS = "sms"
    SPREADSHEET = "spreadsheet"
    SUBSCRIPTION_ANALYTICS = "subscription-analytics"
    TEAM_MESSAGING = "team-messaging"
    ISSUE_TRACKING = "issue-tracking"
    TIME_REGISTRATION = "time-registration"
    TRANSACTIONAL_EMAIL = "transactional-email"
    VAULT = "vault"
    DATA_WAREHOUSE = "data-warehouse"


class SessionSettingsAllowActionsEnum(StrEnum):
    """An action the consumer may take on a connection in the Hosted Vault."""

    DELETE = "delete"
    DISCONNECT = "disconnect"
    REAUTHORIZE = "reauthorize"
    DISABLE = "disable"


class ConsumerMetadata(ResponseModel):
    """How the consumer is shown in the Hosted Vault's sidebar. Every field is optional."""

    account_name: str | None = None
    """The name of the account, e.g. ``"SpaceX"``."""
    user_name: str | None = None
    """The name of the user, e.g. ``"Elon Musk"``."""
    email: str | None = None
    """The user's email address."""
    image: str | None = None
    """The user's avatar: an absolute http(s) URL."""

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)


class SessionSettings(RequestModel):
    """How the Hosted Vault behaves for this session. Unset fields take the server's default
    (shown here); Vaultline enforces ``unified_apis`` and ``allow_actions`` on the server."""

    unified_apis: list[UnifiedApiIdEnum] | None = None
    """The Unified APIs the consumer may see and use; omitted or empty means all."""
    hide_resource_settings: bool = False
    """Hide the configurable resources of an integration."""
    sandbox_mode: bool = False
    """Show a banner saying this is a test environment."""
    isolation_mode: bool = False
    """Show only the connection settings, without navigation."""
    session_length: str = "1h"
    """How long the session lasts, e.g. ``"30m"``, ``"1h"``, ``"7d"``; at most one week."""
    show_logs: bool = True
    """Show the logs page."""
    show_suggestions: bool = False
    """Show the suggestions page."""
    show_sidebar: bool = True
    """Show the sidebar."""
    auto_redirect: bool = False
    """Go back to ``redirect_uri`` once a connection is callable."""
    hide_guides: bool = False
    """Hide connection guides."""
    hide_consumer_card: bool = False
    """Hide the consumer card (read by Apideck's UIs; not in Apideck's spec)."""
    allow_actions: list[SessionSettingsAllowActionsEnum] | None = None
    """Actions the consumer may take; omitted means all, empty means none."""


class SessionTheme(RequestModel):
    """The look of the Hosted Vault. URLs are absolute http(s); colours are CSS hex (``#286efa``)."""

    favicon: str | None = None
    logo: str | None = None
    primary_color: str | None = None
    sidepanel_background_color: str | None = None
    sidepanel_text_color: str | None = None
    vault_name: str | None = None
    """The name shown in the sidebar."""
    privacy_url: str | None = None
    terms_url: str | None = None


class Session(RequestModel):
    """What a new session shows and allows. Every field is optional: ``Session()`` is valid."""

    consumer_metadata: ConsumerMetadata | None = None
    """How the consumer appears in the sidebar; also stored on the consumer."""
    redirect_uri: str | None = None
    """Where the consumer goes back to when done (must be in the application's allowlist, if any)."""
    settings: SessionSettings | None = None
    theme: SessionTheme | None = None
    custom_consumer_settings: dict[str, Any] | None = None
    """Free-form settings stored with the consumer (never put in the token)."""


class CreateSessionResponseData(ResponseModel):
    session_uri: str
    """The Hosted Vault URL to send the consumer to (``<server>/session/<token>``)."""
    session_token: str
    """The signed session JWT (for Vault JS, or to verify offline)."""


class CreateSessionResponse(ResponseModel):
    """The answer to ``POST /vault/sessions``: ``{status_code, status, data}``."""

    status_code: int
    status: str
    data: CreateSessionResponseData
