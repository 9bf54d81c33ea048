"""Running the real `vaultline` command: CLI calls and a server on a loopback socket."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from vaultline.config import Settings

VAULTLINE = str(Path(sys.executable).parent / "vaultline")


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points the real command at the same storage as ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLINE_")}
    env["VAULTLINE_DATA_DIR"] = str(settings.data_dir)
    env["VAULTLINE_PUBLIC_URL"] = settings.public_url
    # Stated, not inherited: only a test that points verification at a stand-in turns it on.
    env["VAULTLINE_VERIFY_CREDENTIALS"] = "true" if settings.verify_credentials else "false"
    if settings.database_url:
        env["VAULTLINE_DATABASE_URL"] = settings.database_url
    if settings.master_key:
        env["VAULTLINE_MASTER_KEY"] = settings.master_key.get_secret_value()
    env.update(extra)
    return env


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([VAULTLINE, *args], env=env, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"vaultline {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def create_app_via_cli(env: dict[str, str], name: str, *extra: str) -> dict[str, Any]:
    created: dict[str, Any] = json.loads(run_cli(env, "apps", "create", "--name", name, "--json", *extra).stdout)
    return created


def free_port() -> int:
    """A loopback port nothing listens on. Servers bind it a moment later, so under pytest-xdist
    each worker draws from its own range below the kernel's ephemeral ports: two workers can then
    never pick the same port in that moment (and a readiness check never reaches another worker's
    server)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … under xdist
    if not worker.startswith("gw"):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port
    low = 20_000 + int(worker.removeprefix("gw")) * 500
    for candidate in random.sample(range(low, low + 500), 500):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    raise RuntimeError(f"no free port in {low}-{low + 499} for xdist worker {worker}")


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    env: dict[str, str]


@contextmanager
def live_server(
    settings: Settings, *, port: int | None = None, serve_args: Sequence[str] = (), **extra_env: str
) -> Iterator[LiveServer]:
    """`vaultline serve` on a free loopback port (or ``port``), until the block ends."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = env_for(settings, VAULTLINE_PUBLIC_URL=url, VAULTLINE_ACCESS_LOG="false", **extra_env)
    process = subprocess.Popen(
        [VAULTLINE, "serve", "--port", str(port), *serve_args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited early:\n{process.stdout.read() if process.stdout else ''}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not become ready in 30 s")
            time.sleep(0.1)
        yield LiveServer(url, process, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def read_banner(server: LiveServer) -> str:
    """What `vaultline serve` printed before serving (it is printed in full before the port
    answers, so reading stops at its last line)."""
    assert server.process.stdout is not None
    lines = []
    for line in server.process.stdout:
        lines.append(line)
        if "Stop with Ctrl+C" in line:
            return "".join(lines)
    raise AssertionError("the server's output ended without a banner:\n" + "".join(lines))
