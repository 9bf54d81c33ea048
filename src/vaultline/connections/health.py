"""A connection's ``health`` (Apideck's ``ConnectionHealth``), from what Vaultline knows, the
first that applies:

- ``revoked``: the consumer disconnected an OAuth connection (its tokens were revoked);
- ``needs_auth``: no credentials, or credentials found unusable (``invalid``);
- ``pending_confirmation``: OAuth tokens from a ``nonce`` flow wait for POST …/confirm;
- ``needs_consent``: the application's data scopes need a consent the consumer has not given;
- ``missing_settings``: a required setting is empty;
- ``pending_refresh``: OAuth token refreshes keep failing; usable until ``credentials_expire_at``
  (oauth/refresh_outcomes.py), then ``needs_auth``;
- ``ok``: callable.

A connection that is only ``available`` has no health.
"""

from __future__ import annotations

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.connections.consents import needs_consent
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
    if record.credentials_expire_at is not None:
        return "pending_refresh"
    return "ok"
