"""A connection's state, computed from its integration's definition and what is stored.

    available ──PATCH enabled──▶ added ──credentials──▶ authorized ──required settings──▶ callable
                                                              ▲                               │
                                                              └──── POST …/validate fails ────┴──▶ invalid

OAuth tokens obtained with a ``nonce`` keep the connection ``authorized`` until POST …/confirm.

``enabled`` is a separate switch: disabling keeps the state (and everything stored), and
the backend must not use a disabled connection. Computed on read, so a catalog change (an
operator's new required field) is reflected at once.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.store.connections import ConnectionRecord

ConnectionState = Literal["available", "added", "authorized", "callable", "invalid"]


def is_set(value: Any) -> bool:
    return value is not None and value != "" and value != []


def has_credentials(definition: IntegrationDefinition, record: ConnectionRecord) -> bool:
    if definition.auth_type == "oauth2":
        return bool(record.oauth_credentials and record.oauth_credentials.get("access_token"))
    return all(is_set(record.settings.get(setting_id)) for setting_id in definition.credential_ids)


def is_pending_confirmation(record: ConnectionRecord) -> bool:
    return record.confirm_token_hash is not None


def missing_required_settings(definition: IntegrationDefinition, settings: dict[str, Any]) -> list[str]:
    return [setting_id for setting_id in definition.required_setting_ids if not is_set(settings.get(setting_id))]


def connection_state(definition: IntegrationDefinition, record: ConnectionRecord | None) -> ConnectionState:
    if record is None:
        return "available"
    if not has_credentials(definition, record):
        return "added"
    if record.validation_error is not None:
        return "invalid"
    if is_pending_confirmation(record):  # tokens from a nonce flow, not confirmed yet
        return "authorized"
    if missing_required_settings(definition, record.settings):
        return "authorized"
    return "callable"


def validation_problems(definition: IntegrationDefinition, settings: dict[str, Any]) -> list[str]:
    """What can honestly be checked without calling the provider (which this server cannot
    reach): every required value present and every value in its documented format."""
    problems: list[str] = []
    for setting_id in (*definition.credential_ids, *definition.required_setting_ids):
        if not is_set(settings.get(setting_id)):
            form_field = definition.field(setting_id)
            problems.append(f"{form_field.label if form_field else setting_id} is missing")
    for form_field in definition.form_fields:
        value = settings.get(form_field.id)
        if not isinstance(value, str) or value == "":
            continue
        if form_field.sensitive and re.search(r"\s", value):
            problems.append(f"{form_field.label} contains whitespace (was it pasted with a space or line break?)")
        elif form_field.pattern is not None and re.fullmatch(form_field.pattern, value) is None:
            hint = f": {form_field.description}" if form_field.description else ""
            problems.append(f"{form_field.label} is not in the expected format{hint}")
    return problems


def supports_validation(definition: IntegrationDefinition) -> bool:
    # OAuth validation forces a token refresh (oauth/forced_refresh.py): only tokens from an
    # authorization have a refresh token; stored-credentials grants are renewed on read.
    if definition.oauth is not None:
        return definition.oauth.grant_type == "authorization_code"
    return definition.auth_type in ("apiKey", "basic", "none")
