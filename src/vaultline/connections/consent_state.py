"""Whether a connection has the consent its application's data scopes need, computed from the
consent records (connections/consents.py documents the states). Kept apart from the consent
writes so health (connections/health.py) can read it without importing the writer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vaultline.store.connections import ConnectionRecord
from vaultline.store.data_scopes import DataScopes, Resources

GRANTED = "granted"


def consent_required(scopes: DataScopes | None) -> bool:
    return scopes is not None and scopes.enabled


def missing_scopes(granted: Resources, required: Resources) -> list[str]:
    """What ``required`` asks for that ``granted`` does not give (``resource.field:read``…)."""
    if granted == "*":
        return []
    if not isinstance(granted, dict) or not isinstance(required, dict):
        return ["*"]  # everything was asked for, and only a part was granted
    missing: list[str] = []
    for resource, fields in required.items():
        given = granted.get(resource) or {}
        for field, permissions in fields.items():
            for permission, wanted in permissions.items():
                if wanted and not (given.get(field) or {}).get(permission):
                    missing.append(f"{resource}.{field}:{permission}")
    return missing


def consent_state_of(scopes: DataScopes | None, consents: Sequence[dict[str, Any]]) -> str:
    if not consents:
        return "pending" if consent_required(scopes) else "implicit"
    latest = consents[-1]
    if not latest.get("granted"):
        return "revoked" if any(record.get("granted") for record in consents) else "denied"
    if scopes is not None and scopes.enabled and missing_scopes(latest.get("resources", {}), scopes.resources):
        return "requires_reconsent"
    return GRANTED


def needs_consent(scopes: DataScopes | None, record: ConnectionRecord) -> bool:
    return consent_required(scopes) and consent_state_of(scopes, record.consents) != GRANTED
