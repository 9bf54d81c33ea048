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
from vaultline.cli.served_url import DEFAULT_HOST, DEFAULT_PORT
from vaultline.cli.startup_failures import explain_failure
from vaultline.config import Settings
from vaultline.crypto.master_key import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaultline", description="Vaultline: a self-hostable integration Vault.")
    parser.add_argument("--version", action="version", version=f"vaultline {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run the server (on the first start of the embedded default, create a demo application)"
    )
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler="serve_command:serve")

    demo = commands.add_parser("demo", help="print a new Hosted Vault link for the demo consumer")
    demo.add_argument("--host", default=DEFAULT_HOST, help="the --host the server was started with")
    demo.add_argument("--port", type=int, default=DEFAULT_PORT, help="the --port the server was started with")
    demo.set_defaults(handler="demo_command:demo")

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
    webhook = apps.add_parser("webhook", help="set, rotate, disable or show the application's webhook")
    webhook.add_argument("application_id", metavar="APP_ID")
    webhook.add_argument("--url", help="where vault.connection.* events are POSTed (http or https)")
    webhook.add_argument("--rotate-secret", action="store_true", help="issue a new signing secret")
    webhook.add_argument("--disable", action="store_true", help="stop delivering (pending events wait)")
    webhook.add_argument("--json", action="store_true", help="print one JSON object (with `secret` when set)")
    webhook.set_defaults(handler="webhook_commands:configure")
    scopes = apps.add_parser("data-scopes", help="the data scopes consumers must consent to (show, set, disable)")
    scopes.add_argument("application_id", metavar="APP_ID")
    chosen = scopes.add_mutually_exclusive_group()
    chosen.add_argument("--resources", metavar="JSON", help='e.g. \'{"crm.contacts": {"email": {"read": true}}}\'')
    chosen.add_argument("--all", action="store_true", help='consent to every resource and field ("*")')
    chosen.add_argument("--disable", action="store_true", help="ask for no consent (health never needs_consent)")
    scopes.add_argument("--json", action="store_true", help="print the data scopes as one JSON object")
    scopes.set_defaults(handler="data_scopes_commands:configure")

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
    rotate_master = keys.add_parser(
        "rotate-master", help="re-wrap every stored secret under the first VAULTLINE_MASTER_KEY (servers keep running)"
    )
    rotate_master.add_argument(
        "--generate", action="store_true", help="SQLite key file only: put a new master key in front of the old one"
    )
    rotate_master.add_argument("--batch-size", type=int, default=200)
    rotate_master.set_defaults(handler="keys_commands:rotate_master")
    _add_integrations_parser(commands)
    _add_links_parser(commands)
    return parser


def _add_links_parser(commands: Any) -> None:
    links = commands.add_parser("links", help="Vault links: URLs that open the Hosted Vault for a consumer")
    sub = links.add_subparsers(dest="links_command", required=True)
    create = sub.add_parser("create", help="create a link and print its URL (shown once: it is stored hashed)")
    create.add_argument("--app", metavar="APP_ID", required=True)
    create.add_argument("--consumer", metavar="CONSUMER_ID", required=True)
    create.add_argument("--expires-in", type=int, metavar="SECONDS", help="at most 604800 (7 days); default 72 hours")
    create.add_argument("--multi-use", action="store_true", help="any browser may open it (default: the first only)")
    create.add_argument("--send-to", metavar="EMAIL", help="email it (a server with VAULTLINE_SMTP_URL sends it)")
    create.add_argument("--locale", metavar="LANG", help="the email's language, e.g. nl")
    create.add_argument("--session", metavar="JSON", help="a POST /vault/sessions body: settings, theme…")
    create.add_argument("--json", action="store_true", help="print one JSON object (with `url`)")
    create.set_defaults(handler="links_commands:create")
    listing = sub.add_parser("list", help="a consumer's links, newest first")
    listing.add_argument("--app", metavar="APP_ID", required=True)
    listing.add_argument("--consumer", metavar="CONSUMER_ID", required=True)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler="links_commands:list_consumer_links")
    revoke = sub.add_parser("revoke", help="stop a link from opening the vault")
    revoke.add_argument("--app", metavar="APP_ID", required=True)
    revoke.add_argument("link_id", metavar="LINK_ID")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(handler="links_commands:revoke")


def _add_integrations_parser(commands: Any) -> None:
    integrations = commands.add_parser("integrations", help="the integration catalog and what applications offer")
    sub = integrations.add_subparsers(dest="integrations_command", required=True)
    listing = sub.add_parser("list", help="the catalog; with --app, what that application offers")
    listing.add_argument("--app", metavar="APP_ID")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler="integrations_commands:list_integrations")
    for name, verb in (("enable", "offer"), ("disable", "stop offering")):
        command = sub.add_parser(name, help=f"{verb} integrations in an application")
        command.add_argument("--app", metavar="APP_ID", required=True)
        command.add_argument("service_ids", nargs="*", metavar="SERVICE_ID")
        command.add_argument("--all", action="store_true", help="every integration in the catalog")
        command.set_defaults(handler=f"integrations_commands:{name}")
    oauth = sub.add_parser("set-oauth", help="the application's own OAuth client for a service")
    oauth.add_argument("--app", metavar="APP_ID", required=True)
    oauth.add_argument("service_id", metavar="SERVICE_ID")
    oauth.add_argument("--client-id", required=True)
    oauth.add_argument("--client-secret", required=True, help='the secret, or "-" to read it from stdin')
    oauth.set_defaults(handler="integrations_commands:set_oauth")
    disconnect = sub.add_parser("disconnect-url", help="the disconnect URL to register at an OAuth provider")
    disconnect.add_argument("--app", metavar="APP_ID", required=True)
    disconnect.add_argument("service_id", metavar="SERVICE_ID")
    disconnect.add_argument("--consumer", metavar="CONSUMER_ID", help="clear this consumer's tokens on a disconnect")
    disconnect.set_defaults(handler="disconnect_url_command:disconnect_url_command")


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
        return _run(settings, args)
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
    except KeyboardInterrupt:  # Ctrl+C while starting: nothing to explain
        return 130


def _run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        outcome = _resolve(args.handler)(settings, args)
        result: int = asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome
    except Exception as exc:
        explanation = explain_failure(exc, settings)
        if explanation is None:
            raise  # a bug: its traceback is what a report needs
        print(f"vaultline: {explanation}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
