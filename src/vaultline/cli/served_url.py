"""The public URL a ``vaultline serve`` answers on, and how to name the command that reaches it.

Session links carry the server's public URL (tokens are issued for it), so ``vaultline demo``
must derive it exactly as ``serve`` does: VAULTLINE_PUBLIC_URL, or else the --host and --port.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from vaultline.config import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def with_served_url(settings: Settings, host: str, port: int) -> Settings:
    """``settings`` with the public URL of a server on host:port, unless one was configured."""
    if "VAULTLINE_PUBLIC_URL" in os.environ:
        return settings
    return settings.model_copy(update={"public_url": f"http://{_display_host(host)}:{port}"})


def cli_program() -> str:
    """``vaultline`` as the user can type it: the path they started it with when it is not on PATH."""
    program = sys.argv[0] if sys.argv and sys.argv[0] else "vaultline"
    on_path = shutil.which("vaultline")
    if on_path is not None and Path(on_path).resolve() == Path(program).resolve():
        return "vaultline"
    if Path(program).name != "vaultline":  # python -m vaultline.cli.main, a test harness…
        return "vaultline"
    return program


def demo_command(host: str, port: int) -> str:
    """The ``vaultline demo`` command line that mints a link for this server."""
    words = [cli_program(), "demo"]
    if "VAULTLINE_PUBLIC_URL" not in os.environ:
        if host != DEFAULT_HOST:
            words += ["--host", host]
        if port != DEFAULT_PORT:
            words += ["--port", str(port)]
    return " ".join(words)
