"""``vaultline``: serve, manage applications and keys, migrate.

Every command reads the same ``VAULTLINE_*`` settings as the server, so it acts on the
database a running server uses (SQLite in WAL mode lets both work at once).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from vaultline import __version__
from vaultline.cli.errors import CommandError
from vaultline.config import Settings
from vaultline.crypto.master_key import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaultline", description="Vaultline: a self-hostable integration Vault.")
    parser.add_argument("--version", action="version", version=f"vaultline {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server (on first start, create a demo application)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler="serve_command:serve")

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        handler="serve_command:migrate"
    )

    apps = commands.add_parser("apps", help="manage applications").add_subparsers(dest="apps_command", required=True)
    create = apps.add_parser("create", help="create an application and its first API key")
    create.add_argument("--name", required=True)
    create.add_argument("--redirect-origin", action="append", default=[], metavar="URL")
    create.add_argument("--embed-origin", action="append", default=[], metavar="URL")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    create.set_defaults(handler="apps_commands:create")
    listing = apps.add_parser("list", help="list applications")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler="apps_commands:list_apps")
    rotate = apps.add_parser("rotate-key", help="issue a new API key; the old ones stop working")
    rotate.add_argument("application_id", metavar="APP_ID")
    rotate.add_argument("--grace-seconds", type=int, default=0, help="keep old keys working this long (default 0)")
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(handler="apps_commands:rotate_key")

    keys = commands.add_parser("keys", help="session signing keys and the master key").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("rotate", help="start signing with a new key (running servers follow within seconds)").set_defaults(
        handler="keys_commands:rotate"
    )
    keys.add_parser("list", help="list signing keys").set_defaults(handler="keys_commands:list_keys")
    keys.add_parser("generate-master", help="print a new random master key").set_defaults(
        handler="keys_commands:generate_master"
    )
    return parser


def _resolve(handler: str) -> Callable[[Settings, argparse.Namespace], Any]:
    """Import a command's module only when it runs: `apps list` should not pay for uvicorn."""
    module_name, _, function = handler.partition(":")
    command: Callable[[Settings, argparse.Namespace], Any] = getattr(
        importlib.import_module(f"vaultline.cli.{module_name}"), function
    )
    return command


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        outcome = _resolve(args.handler)(settings, args)
        result: int = asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome
    except ConfigError as exc:
        print(f"vaultline: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        problems = "; ".join(f"VAULTLINE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        print(f"vaultline: invalid settings: {problems}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"vaultline: {exc}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
