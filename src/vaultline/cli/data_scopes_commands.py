"""``vaultline apps data-scopes APP_ID [--resources JSON | --all | --disable]``: what the
application's consumers must consent to before their connections are healthy (connections/consents.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from vaultline.cli.errors import CommandError
from vaultline.config import Settings
from vaultline.connections.consents import data_scopes_view
from vaultline.runtime import Runtime
from vaultline.store.applications import get_application
from vaultline.store.data_scopes import Resources, get_data_scopes, set_data_scopes


def parse_resources(text: str) -> Resources:
    """``{"resource": {"field": {"read": bool, "write": bool}}}`` or ``"*"``, checked here so a
    typo never reaches the consumers' consent screens."""
    try:
        value: Any = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"--resources is not JSON: {exc}") from None
    if value == "*":
        return "*"
    if not isinstance(value, dict) or not value:
        raise CommandError('--resources must be a non-empty object of resources, or "*"')
    for resource, fields in value.items():
        if not isinstance(fields, dict) or not fields:
            raise CommandError(f"--resources: {resource!r} must map field names to permissions")
        for field, permissions in fields.items():
            if not isinstance(permissions, dict) or not permissions:
                raise CommandError(f'--resources: {resource}.{field} must be like {{"read": true}}')
            for name, allowed in permissions.items():
                if name not in ("read", "write") or not isinstance(allowed, bool):
                    raise CommandError(f"--resources: {resource}.{field}: only read/write true/false, not {name!r}")
    resources: Resources = value
    return resources


async def configure(settings: Settings, args: argparse.Namespace) -> int:
    resources = parse_resources(args.resources) if args.resources else ("*" if args.all else None)
    runtime = await Runtime.open(settings, background=False)
    try:
        async with runtime.engine.begin() as connection:
            if await get_application(connection, application_id=args.application_id) is None:
                raise CommandError(f"No application {args.application_id!r}")
            current = await get_data_scopes(connection, application_id=args.application_id)
            if args.disable:
                keep = current.resources if current is not None else "*"
                current = await set_data_scopes(
                    connection, application_id=args.application_id, enabled=False, resources=keep
                )
            elif resources is not None:
                current = await set_data_scopes(
                    connection, application_id=args.application_id, enabled=True, resources=resources
                )
    finally:
        await runtime.close()
    view = data_scopes_view(current)
    if args.json:
        print(json.dumps(view))
    elif not view["enabled"]:
        print(f"Application {args.application_id}: no data scopes (consumers are not asked for consent)")
    else:
        print(f"Application {args.application_id}: consumers must consent to")
        print(json.dumps(view["resources"], indent=2))
    return 0
