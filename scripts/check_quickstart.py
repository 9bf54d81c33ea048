"""The README's first command, checked on a clean install: a fresh virtualenv gets the
``vaultline`` distribution alone (no extras, nothing from the dev environment), then
``vaultline serve`` must start on the embedded default, and the demo key it prints must mint a
session whose link opens the Hosted Vault.

Standard library only, so it can run with any Python >= 3.11 (scripts/test calls it before
pytest). A failure ends with one line saying which step broke, and exit status 1.
Usage: python scripts/check_quickstart.py [--keep DIR]   (--keep reuses DIR and leaves it behind)
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a source distribution of the server is built from; copied so that the build leaves
# nothing behind in the working tree and sees no stray build/ or *.egg-info from it.
SOURCE_FILES = ("pyproject.toml", "README.md", "src")
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20
SEED_CONSUMER_ID = "quickstart-check"


class CheckFailed(Exception):
    """One step of the quick start broke: the message says which and why."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (for debugging)")
    args = parser.parse_args()
    started = time.monotonic()
    work = args.keep or Path(tempfile.mkdtemp(prefix="vaultline-quickstart-"))
    try:
        python = install_alone(work)
        import_every_module(python)
        serve_and_open_a_session(work, python)
    except CheckFailed as failure:
        sys.stderr.write(f"QUICK START BROKEN: {failure}\n")
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    say(f"the quick start works on a clean install of vaultline alone ({time.monotonic() - started:.1f} s)")
    return 0


_STARTED = time.monotonic()


def say(message: str) -> None:
    sys.stdout.write(f"check_quickstart [{time.monotonic() - _STARTED:4.1f} s]: {message}\n")
    sys.stdout.flush()


def run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise CheckFailed(f"{what} failed (exit {result.returncode}):\n{output}")


def install_alone(work: Path) -> Path:
    """A new virtualenv with only ``pip install -c constraints.txt <copy of the server>``."""
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)  # every run proves a clean install
    source = work / "source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    for name in SOURCE_FILES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(origin, source / name)
    say("creating a fresh virtualenv")
    installer = _pip_that_installs_elsewhere()
    python = venv / "bin" / "python"
    if installer is None:
        run([sys.executable, "-m", "venv", str(venv)], "creating a virtualenv (python -m venv)")
        installer = [str(python), "-m", "pip"]
    else:
        # No pip inside: the outer pip installs into it (--python), which saves bootstrapping one.
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)], "creating a virtualenv (python -m venv)")
        installer = [*installer, "--python", str(python)]
    say("installing the vaultline distribution alone (no extras)")
    run(
        # --no-compile: byte-compiling every dependency is most of an install's time, and the
        # server compiles what it imports on its first start anyway.
        [*installer, "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "-c", str(ROOT / "constraints.txt"), str(source)],
        "pip install -c constraints.txt . (no extras)",
    )  # fmt: skip
    return python


def _pip_that_installs_elsewhere() -> list[str] | None:
    """This interpreter's pip, when it is recent enough (22.3) to install into another environment."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True)
    match = re.match(r"pip (\d+)\.(\d+)", probe.stdout)
    if probe.returncode != 0 or match is None or (int(match[1]), int(match[2])) < (22, 3):
        return None
    return [sys.executable, "-m", "pip"]


def import_every_module(python: Path) -> None:
    """Serving imports most modules; a module imported lazily (a CLI command, a code path taken
    only on some requests) must not need a dependency the distribution does not declare."""
    code = (
        "import importlib, pkgutil, vaultline\n"
        "for m in pkgutil.walk_packages(vaultline.__path__, prefix='vaultline.'):\n"
        "    if not m.name.startswith('vaultline.db.migrations.'):\n"  # run by alembic, not importable alone
        "        importlib.import_module(m.name)\n"
    )
    say("importing every vaultline module")
    run([str(python), "-c", code], "importing every vaultline module in the clean virtualenv")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Output:
    """The server's stdout and stderr, read on a thread so that a full pipe never blocks it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._lines: list[str] = []
        self._process = process
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.append(line)

    def text(self) -> str:
        return "".join(self._lines)

    def finish(self) -> str:
        self._thread.join(timeout=5)
        return self.text()


def serve_and_open_a_session(work: Path, python: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    home = work / "home"  # the default data dir is ./.vaultline: a new user's first start
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLINE_")}
    say(f"starting `vaultline serve --port {port}` on the embedded default")
    process = subprocess.Popen(
        [str(python.parent / "vaultline"), "serve", "--port", str(port)],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(process)
    try:
        wait_until_ready(url, process, output)
        banner = output.text()
        application_id = _banner_value(banner, r"application id:\s*(app_\S+)")
        api_key = _banner_value(banner, r"API key:\s*(vl_live_\S+)")
        demo_link = _banner_value(banner, rf"({re.escape(url)}/session/\S+)")
        open_hosted_vault(demo_link, "the demo session link the banner prints")
        session_uri = mint_seed_session(url, application_id, api_key)
        open_hosted_vault(session_uri, "the session_uri minted with the seed body", expect_title="Intercom Vault")
    except CheckFailed as failure:
        stop(process)
        raise CheckFailed(f"{failure}\n--- vaultline serve said:\n{output.finish()}") from None
    code = stop(process)
    if code is None:
        raise CheckFailed(f"`vaultline serve` ignored Ctrl+C for {STOP_TIMEOUT_SECONDS} s:\n{output.finish()}")
    if code != 0:
        raise CheckFailed(f"`vaultline serve` exited {code} on Ctrl+C:\n{output.finish()}")
    output.finish()


def wait_until_ready(url: str, process: subprocess.Popen[str], output: Output) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise CheckFailed(f"`vaultline serve` exited with status {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise CheckFailed(f"/readyz did not answer 200 within {READY_TIMEOUT_SECONDS} s")
        time.sleep(0.1)
    # The banner is printed before the server accepts requests, but through a pipe: wait for its end.
    while "Stop with Ctrl+C" not in output.text():
        if time.monotonic() > deadline:
            raise CheckFailed("the banner never finished printing")
        time.sleep(0.05)


def _banner_value(banner: str, pattern: str) -> str:
    match = re.search(pattern, banner)
    if match is None:
        raise CheckFailed(f"the first start's banner has nothing matching {pattern!r}")
    return match.group(1)


def mint_seed_session(url: str, application_id: str, api_key: str) -> str:
    """POST /vault/sessions with the body the seeds (shared/seeds/*) send."""
    body = json.dumps(_seed_body()).encode()
    request = urllib.request.Request(
        f"{url}/vault/sessions",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {api_key}",
            "x-apideck-app-id": application_id,
            "x-apideck-consumer-id": SEED_CONSUMER_ID,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        raise CheckFailed(f"POST /vault/sessions with the demo key answered {error.code}: {error.read()!r}") from None
    session_uri = answer.get("data", {}).get("session_uri")
    if not (isinstance(session_uri, str) and session_uri.startswith(f"{url}/session/")):
        raise CheckFailed(f"POST /vault/sessions answered without a session_uri on {url}: {answer!r}")
    return session_uri


def _seed_body() -> object:
    # tests/seed_example.py holds only the body (a literal): evaluate it without importing tests.
    namespace: dict[str, object] = {}
    exec((ROOT / "tests" / "seed_example.py").read_text(), namespace)
    return namespace["SEED_SESSION_BODY"]


def open_hosted_vault(link: str, what: str, expect_title: str = " Vault") -> None:
    """Follow the link like a browser: the token becomes a cookie on a redirect to a clean URL."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        with opener.open(link, timeout=10) as response:
            status, final_url = response.status, response.url
            page = response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        raise CheckFailed(f"opening {what} answered {error.code}") from None
    if status != 200 or "/hosted/" not in final_url or "/session/" in final_url:
        raise CheckFailed(f"opening {what} ended at {final_url} with {status}, not on a clean Hosted Vault URL")
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    if title is None or expect_title not in title.group(1):
        raise CheckFailed(f"opening {what} did not show the Hosted Vault (title {title and title.group(1)!r})")
    if len(jar) == 0:
        raise CheckFailed(f"opening {what} set no session cookie")


def stop(process: subprocess.Popen[str]) -> int | None:
    """Ctrl+C, as a user stops it: its exit status, or None when it had to be killed."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
