"""What the request metrics cost ``POST /vault/sessions``, in-process: the same app built with
``VAULTLINE_METRICS_TOKEN`` set (the metrics middleware on) and unset, driven straight through
ASGI (no sockets, no HTTP client) on one SQLite database, in alternating rounds so drift on a
busy machine hits both.

    .venv/bin/python bench/metrics_overhead.py [--requests 2000] [--rounds 6]

Prints CPU µs per request (process CPU time, every thread) for each mode per round, their
medians and the overhead; also wall µs per request. Then the middleware alone around a bare
ASGI app that answers 200 at once: its own cost, without the noise of a whole request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from vaultline.app import create_app
from vaultline.config import Settings
from vaultline.request_metrics import LabelledRoute, RequestMetricsMiddleware
from vaultline.runtime import Runtime
from vaultline.store.api_keys import add_api_key
from vaultline.store.applications import create_application


async def make_tenant(app: FastAPI) -> list[tuple[bytes, bytes]]:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        application = await create_application(connection, name="Bench", redirect_origins=(), embed_origins=())
        key = await add_api_key(connection, application_id=application.id, hash_key=runtime.api_key_hash_key)
    return [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", f"Bearer {key}".encode()),
        (b"x-apideck-app-id", application.id.encode()),
        (b"x-apideck-consumer-id", b"bench-consumer"),
        (b"content-type", b"application/json"),
        (b"content-length", b"2"),
    ]


async def post_session(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/vault/sessions",
        "raw_path": b"/vault/sessions",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    if status != 200:
        raise SystemExit(f"POST /vault/sessions answered {status}: the run is invalid")


async def run_round(app: FastAPI, headers: list[tuple[bytes, bytes]], requests: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        await post_session(app, headers)
    return (time.process_time() - cpu) / requests * 1e6, (time.perf_counter() - wall) / requests * 1e6


async def main(requests: int, rounds: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="vaultline-bench-metrics-"))
    base = Settings(data_dir=data_dir, access_log=False, consumer_logs=True)
    apps = {
        "off": create_app(base),
        "on": create_app(base.model_copy(update={"metrics_token": SecretStr("bench-metrics-token-0123456789")})),
    }
    async with apps["off"].router.lifespan_context(apps["off"]), apps["on"].router.lifespan_context(apps["on"]):
        headers = {mode: await make_tenant(app) for mode, app in apps.items()}
        for mode, app in apps.items():  # warm-up: imports, caches, label children
            await run_round(app, headers[mode], 200)
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        wall: dict[str, list[float]] = {"off": [], "on": []}
        for n in range(rounds):
            order = ("off", "on") if n % 2 == 0 else ("on", "off")
            for mode in order:
                c, w = await run_round(apps[mode], headers[mode], requests)
                cpu[mode].append(c)
                wall[mode].append(w)
            print(f"round {n + 1}: off {cpu['off'][-1]:7.1f} µs CPU/req   on {cpu['on'][-1]:7.1f} µs CPU/req")
    off, on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    print(f"\nmedian CPU µs/request: off {off:.1f}, on {on:.1f}; metrics cost {on - off:+.1f} µs ({on / off:.3f}×)")
    print(f"median wall µs/request: off {statistics.median(wall['off']):.1f}, on {statistics.median(wall['on']):.1f}")


async def bare_endpoint(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def middleware_alone(requests: int, rounds: int) -> None:
    """The middleware's own cost: a bare app answering 200, with and without it."""
    route = LabelledRoute("/vault/sessions", bare_endpoint, methods=["POST"])

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        scope["route"] = route  # what the router does
        await bare_endpoint(scope, receive, send)

    apps: dict[str, Any] = {"off": bare, "on": RequestMetricsMiddleware(bare)}
    scope = {"type": "http", "method": "POST", "path": "/vault/sessions"}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    async def drive(app: Any) -> float:
        started = time.process_time()
        for _ in range(requests):
            await app(dict(scope), receive, send)
        return (time.process_time() - started) / requests * 1e6

    async def measure() -> dict[str, list[float]]:
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        for n in range(rounds):
            for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
                cpu[mode].append(await drive(apps[mode]))
        return cpu

    cpu = asyncio.run(measure())
    off, on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    print(f"middleware alone, CPU µs/request: bare {off:.2f}, with metrics {on:.2f}; its cost {on - off:.2f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
    middleware_alone(50 * args.requests, args.rounds)
