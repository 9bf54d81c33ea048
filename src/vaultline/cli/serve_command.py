"""``vaultline serve`` and ``vaultline migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

import uvicorn
from fastapi import FastAPI

from vaultline import __version__
from vaultline.config import Settings
from vaultline.db.engine import create_engine
from vaultline.db.engine import migrate as migrate_to_head
from vaultline.demo import Demo, ensure_demo
from vaultline.runtime import Runtime
from vaultline.server_protocol import uvicorn_limits


def app_factory() -> FastAPI:
    """What each uvicorn worker imports: settings come from the environment ``serve`` prepared."""
    from vaultline.app import create_app

    # Our log format names no file, line, thread or process: skip collecting them per record.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(Settings())


async def migrate(settings: Settings, _args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    try:
        await migrate_to_head(engine)
    finally:
        await engine.dispose()
    print("Database schema is up to date.")
    return 0


async def _prepare(settings: Settings) -> Demo | None:
    """Migrate, load keys, and on the embedded default make sure the demo exists — once, in
    the parent, before any worker starts."""
    runtime = await Runtime.open(settings, background=False)
    try:
        return await ensure_demo(runtime) if settings.database_url is None else None
    finally:
        await runtime.close()


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if "VAULTLINE_PUBLIC_URL" not in os.environ:
        public_url = f"http://{_display_host(args.host)}:{args.port}"
        os.environ["VAULTLINE_PUBLIC_URL"] = public_url
        settings = settings.model_copy(update={"public_url": public_url})
    demo = asyncio.run(_prepare(settings))
    _print_banner(settings, demo)
    uvicorn.run(
        "vaultline.cli.serve_command:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # ours redacts tokens from paths
        proxy_headers=True,
        server_header=False,
        **uvicorn_limits(settings),
    )
    return 0


def _print_banner(settings: Settings, demo: Demo | None) -> None:
    url = settings.public_url
    storage = f"SQLite at {settings.sqlite_path}" if settings.database_url is None else "PostgreSQL"
    print(f"\nVaultline {__version__} on {url}  ({storage})\n")
    if demo is not None:
        app = demo.application
        if demo.api_key:
            print("Created a demo application. Its API key is shown only this once:")
            print(f"  application id: {app.id}")
            print(f"  API key:        {demo.api_key}\n")
        else:
            print(f"Demo application: {app.id}  (lost its key? `vaultline apps rotate-key {app.id}`)\n")
        print("Open the Hosted Vault as the demo consumer (this link works for 1 hour):")
        print(f"  {demo.session.uri}\n")
        key = demo.api_key or "<your API key>"
        print("Mint a session yourself:")
        print(
            f"  curl -X POST {url}/vault/sessions -H 'Authorization: Bearer {key}' "
            f"-H 'x-apideck-app-id: {app.id}' -H 'x-apideck-consumer-id: test-consumer'\n"
        )
    print(f"API reference: {url}/docs    Stop with Ctrl+C.\n", flush=True)
