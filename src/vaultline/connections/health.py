"""A connection's ``health`` (Apideck's ``ConnectionHealth``), from what Vaultline knows, the
first that applies:

- ``revoked``: the consumer disconnected an OAuth connection (its tokens were revoked);
- ``needs_auth``: no credentials, or credentials found unusable (``invalid``);
- ``pending_confirmation``: OAuth tokens from a ``nonce`` flow wait for POST …/confirm;
- ``needs_consent``: the application's data scopes need a consent the consumer has not given;
- ``missing_settings``: a required setting is empty;
- ``pending_refresh``: OAuth token refreshes keep failing; the credentials go at ``credentials_expire_at``;
- ``degraded``: the provider could not be asked whether the credentials work (unreachable, 429,
  5xx) since ``last_downstream_error_at``; the connection stays usable and is asked again;
- ``ok``: callable.

``needs_auth`` also covers credentials the provider refused (connections/verification.py);
``health_reason`` says why in words. A connection that is only ``available`` has no health.
"""

from __future__ import annotations

from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connections.consent_state import needs_consent
from vaultline.connections.state import has_credentials, is_pending_confirmation, missing_required_settings
from vaultline.store.connections import ConnectionRecord
from vaultline.store.data_scopes import DataScopes

# The validation_error a revocation leaves (oauth/revocation.py): it tells "revoked" from "never authorized".
REVOKED_REASON = "The consumer disconnected this connection; its tokens were revoked at the provider."


def connection_health(
    definition: IntegrationDefinition, record: ConnectionRecord | None, scopes: DataScopes | None
) -> str | None:
    if record is None:
        return None
    if not has_credentials(definition, record):
        return "revoked" if record.validation_error == REVOKED_REASON else "needs_auth"
    if record.validation_error is not None:
        return "needs_auth"
    if is_pending_confirmation(record):
        return "pending_confirmation"
    if needs_consent(scopes, record):
        return "needs_consent"
    if missing_required_settings(definition, record.settings):
        return "missing_settings"
    if record.provider.credentials_expire_at is not None:
        return "pending_refresh"
    if record.provider.degraded:
        return "degraded"
    return "ok"


def health_reason(definition: IntegrationDefinition, record: ConnectionRecord | None) -> str | None:
    """Vaultline's words for a health other than ``ok``, when it has them: the provider's refusal
    (already shortened and stripped of credentials) or why the provider could not be asked."""
    if record is None:
        return None
    if record.validation_error is not None and has_credentials(definition, record):
        return record.validation_error
    if record.provider.degraded:
        return f"{definition.name} could not be reached: {record.provider.downstream_error or 'no answer'}"
    return None


def health_fields(
    definition: IntegrationDefinition, record: ConnectionRecord | None, scopes: DataScopes | None
) -> dict[str, Any]:
    """Apideck's ``health`` and its timestamps (0: none, as the spec says), and Vaultline's own
    ``health_reason`` and ``verified_at`` (when the provider last accepted the credentials).
    Nothing for a connection the consumer has not added."""
    health = connection_health(definition, record, scopes)
    if health is None or record is None:
        return {}
    marks = record.provider
    return {
        "health": health,
        "health_reason": health_reason(definition, record),
        "last_downstream_error_at": marks.last_downstream_error_at or 0,
        "last_refresh_failed_at": marks.last_refresh_failed_at or 0,
        "credentials_expire_at": marks.credentials_expire_at or 0,
        "verified_at": marks.verified_at,
    }
