"""``vaultline serve`` and ``vaultline migrate``.

``serve`` starts in an order that makes a failure cheap: bind the port (a port in use is one
line, before anything else happens), then migrate and prepare the demo, then print the banner
and serve on the sockets already bound.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from vaultline import __version__
from vaultline.cli.listening_sockets import bind_listening_sockets
from vaultline.cli.log_output import log_to_stderr
from vaultline.cli.served_url import cli_program, demo_command, with_served_url
from vaultline.config import Settings
from vaultline.db.engine import create_engine
from vaultline.db.engine import migrate as migrate_to_head
from vaultline.demo import Demo, ensure_demo, mint_demo_session
from vaultline.operator_metrics import MULTIPROC_DIR_ENV
from vaultline.runtime import Runtime
from vaultline.server_protocol import uvicorn_limits
from vaultline.sessions.minting import MintedSession


def app_factory() -> FastAPI:
    """What each uvicorn worker imports: settings come from the environment ``serve`` prepared."""
    from vaultline.app import create_app

    # Our log format names no file, line, thread or process: skip collecting them per record.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    log_to_stderr("%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(Settings())


async def migrate(settings: Settings, _args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    try:
        await migrate_to_head(engine)
    finally:
        await engine.dispose()
    print("Database schema is up to date.")
    return 0


async def _prepare(settings: Settings) -> tuple[Demo | None, MintedSession | None]:
    """Migrate, load keys, and on the embedded default make sure the demo exists — once, in
    the parent, before any worker starts. A session link only when the demo is new: later
    starts print none (`vaultline demo` mints one on demand)."""
    runtime = await Runtime.open(settings, background=False)
    try:
        demo = await ensure_demo(runtime) if settings.database_url is None else None
        session = await mint_demo_session(runtime, demo.application) if demo and demo.api_key else None
        return demo, session
    finally:
        await runtime.close()


def serve(settings: Settings, args: argparse.Namespace) -> int:
    demo_hint = demo_command(args.host, args.port)
    settings = with_served_url(settings, args.host, args.port)
    sockets = bind_listening_sockets(args.host, args.port)
    try:
        demo, session = asyncio.run(_prepare(settings))
        _print_banner(settings, demo, session, demo_hint)
        os.environ["VAULTLINE_PUBLIC_URL"] = settings.public_url  # what the workers' Settings() read
        return _serve_on(settings, sockets, args.workers)
    finally:
        for sock in sockets:
            sock.close()


def _serve_on(settings: Settings, sockets: list[socket.socket], workers: int) -> int:
    config = uvicorn.Config(
        "vaultline.cli.serve_command:app_factory",
        factory=True,
        workers=workers,
        access_log=False,  # ours redacts tokens from paths
        proxy_headers=False,  # the app honours VAULTLINE_TRUSTED_PROXIES only (client_address.py)
        server_header=False,
        **uvicorn_limits(settings),
    )
    if config.workers > 1:
        with _metrics_shared_by_workers():
            Multiprocess(config, sockets=sockets).run()  # it turns signals into a shutdown itself
        return 0
    server = uvicorn.Server(config)
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it shut down on: a normal stop
        pass
    return 0 if server.started else 3  # uvicorn's status for an application that failed to start


@contextmanager
def _metrics_shared_by_workers() -> Iterator[None]:
    """A fresh private directory where every worker's prometheus-client writes its figures, so
    that GET /metrics from any worker shows their sum; removed when the server stops. Fresh,
    never inherited: files of an earlier run would add its counts to this one's."""
    directory = tempfile.mkdtemp(prefix="vaultline-metrics-")  # mode 0700
    os.environ[MULTIPROC_DIR_ENV] = directory  # the workers inherit it; read before their first metric
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _print_banner(settings: Settings, demo: Demo | None, session: MintedSession | None, demo_hint: str) -> None:
    url = settings.public_url
    storage = f"SQLite at {settings.sqlite_path}" if settings.database_url is None else "PostgreSQL"
    print(f"\nVaultline {__version__} on {url}  ({storage})\n")
    if demo is not None and demo.api_key and session is not None:
        app = demo.application
        print("Created a demo application. Its API key is shown only this once:")
        print(f"  application id: {app.id}")
        print(f"  API key:        {demo.api_key}\n")
        print("Open the Hosted Vault as the demo consumer (this link works for 1 hour):")
        print(f"  {session.uri}\n")
        print("Mint a session yourself:")
        print(
            f"  curl -X POST {url}/vault/sessions -H 'Authorization: Bearer {demo.api_key}' "
            f"-H 'x-apideck-app-id: {app.id}' -H 'x-apideck-consumer-id: test-consumer'\n"
        )
        print(f"A new Hosted Vault link later: {demo_hint}\n")
    elif demo is not None:
        app_id = demo.application.id
        print(f"Demo application: {app_id}  (lost its key? `{cli_program()} apps rotate-key {app_id}`)")
        print(f"Run `{demo_hint}` for a Hosted Vault link.\n")
    print(f"API reference: {url}/docs    Stop with Ctrl+C.\n", flush=True)
