"""A connection's resource settings (Apideck's ``configuration``): per configurable resource, the
default values the consumer chose (``{"resource": "leads", "defaults": [{"id": ..., "value": ...}]}``).
Vaultline stores them for the application's backend to apply when it calls the provider; the
Hosted Vault edits the ``owner_id`` default of each resource."""

from __future__ import annotations

from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.errors import BadRequest, NotFound

# The default every configurable resource has: the one the Hosted Vault's resource form edits.
OWNER_DEFAULT_ID = "owner_id"


def require_configurable(definition: IntegrationDefinition, resource: str) -> None:
    if resource not in definition.configurable_resources:
        raise NotFound(
            f"{definition.name} has no resource settings for {resource!r}",
            detail={"configurable_resources": list(definition.configurable_resources)},
        )


def check_configuration(definition: IntegrationDefinition, configuration: list[dict[str, Any]]) -> None:
    for item in configuration:
        resource = item.get("resource")
        if resource not in definition.configurable_resources:
            raise BadRequest(
                f"configuration: {definition.name} has no configurable resource {resource!r}",
                detail={"configurable_resources": list(definition.configurable_resources)},
            )


def replace_resource_entries(
    stored: list[dict[str, Any]] | None, given: list[dict[str, Any]], *, only: str
) -> list[dict[str, Any]]:
    """``stored`` with the entries for resource ``only`` replaced by ``given`` (all of which name
    ``only``, or the request is a 400): changing one resource's settings keeps the others."""
    strays = sorted({str(item.get("resource")) for item in given if item.get("resource") != only})
    if strays:
        raise BadRequest(
            f"configuration: this request changes the settings of {only!r} only, not of {', '.join(strays)}",
            detail="Send each resource's settings to its own /{resource}/config, or all of them to the connection.",
        )
    return [item for item in stored or [] if item.get("resource") != only] + [dict(item) for item in given]


def resource_entry(stored: list[dict[str, Any]] | None, resource: str) -> dict[str, Any]:
    """The resource's settings as stored, with the ``owner_id`` default listed even when unset,
    so a client sees which default it can fill in."""
    defaults = [dict(d) for item in stored or [] if item.get("resource") == resource for d in item.get("defaults", [])]
    if not any(d.get("id") == OWNER_DEFAULT_ID for d in defaults):
        defaults.append({"id": OWNER_DEFAULT_ID, "target": "resource", "options": []})
    return {"resource": resource, "defaults": defaults}
