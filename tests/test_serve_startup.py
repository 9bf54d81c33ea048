"""Starting `vaultline` on a machine that is not ready for it: one line saying what to fix, a
non-zero exit and no side effects; files owner-only; a live session link only when asked for.

Run as the real command, as an operator meets it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PUBLIC_URL, TEST_MASTER_KEY
from tests.support.live_server import (
    VAULTLINE,
    create_app_via_cli,
    env_for,
    free_port,
    live_server,
    read_banner,
    run_cli,
)
from tests.test_cli import mint
from vaultline.config import Settings
from vaultline.db.engine import create_engine

pytestmark = pytest.mark.slow

SECRET_IN_URL = "pw-never-printed"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTLINE_")}
    env.update(extra)
    return env


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    """The failure's only line (stdout must be empty: no banner, no link)."""
    assert result.returncode != 0, result.stdout
    assert result.stdout == "", f"printed before failing:\n{result.stdout}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{result.stderr}"
    assert lines[0].startswith("vaultline: ") and "Traceback" not in lines[0]
    return lines[0]


@contextlib.contextmanager
def port_in_use() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_is_one_line_before_any_side_effect(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with port_in_use() as port:
        for workers in ("1", "2"):
            result = run_cli(
                clean_env(VAULTLINE_DATA_DIR=str(data_dir)),
                "serve",
                "--port",
                str(port),
                "--workers",
                workers,
                check=False,
            )
            line = one_line_failure(result)
            assert f"port {port}" in line and "already in use" in line and "--port" in line
    assert not data_dir.exists()  # no database, no master key, no demo application, no session


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["apps", "list"], ["demo"]])
def test_unreachable_postgresql_is_one_line(command: list[str]) -> None:
    url = f"postgresql://vaultline:{SECRET_IN_URL}@127.0.0.1:{free_port()}/vaultline"  # nothing listens there
    env = clean_env(VAULTLINE_DATABASE_URL=url, VAULTLINE_MASTER_KEY=TEST_MASTER_KEY)
    port = ["--port", str(free_port())] if command == ["serve"] else []
    line = one_line_failure(run_cli(env, *command, *port, check=False))
    assert "cannot reach PostgreSQL at 127.0.0.1:" in line and "connection refused" in line
    assert "VAULTLINE_DATABASE_URL" in line and SECRET_IN_URL not in line


def test_a_read_only_database_error_shows_no_sql_and_no_secret(tmp_path: Path) -> None:
    """Opened read-only, the first write is the server's freshly sealed API-key hashing secret:
    its INSERT failed with the sealed value in the error's SQL parameters."""
    data_dir = tmp_path / "data"
    env = clean_env(VAULTLINE_DATA_DIR=str(data_dir))
    run_cli(env, "migrate")
    read_only = f"sqlite:///file:{data_dir / 'vaultline.db'}?mode=ro&uri=true"
    for command in (["serve", "--port", str(free_port())], ["apps", "list"]):
        result = run_cli({**env, "VAULTLINE_DATABASE_URL": read_only}, *command, check=False)
        line = one_line_failure(result)
        assert "cannot write the SQLite database" in line and "readonly" in line and "VAULTLINE_DATA_DIR" in line
        assert "INSERT" not in result.stderr and "parameters" not in result.stderr and "v1:mk_" not in result.stderr


async def test_database_errors_never_carry_parameters(settings: Settings) -> None:
    """Whatever logs or prints a database error (the CLI, the server's error log) sees no
    values a statement wrote: they can be sealed secrets or consumer data."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TEMPORARY TABLE probe (id TEXT PRIMARY KEY)"))
            insert = text("INSERT INTO probe (id) VALUES (:id)")
            await connection.execute(insert, {"id": "v1:mk_secret-value"})
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(insert, {"id": "v1:mk_secret-value"})
    finally:
        await engine.dispose()
    assert "probe" in str(raised.value) and "secret-value" not in str(raised.value)


@contextlib.contextmanager
def read_only_directory(path: Path) -> Iterator[list[str]]:
    """``path`` made read-only for the command run with the returned prefix. Root ignores
    permissions, so as root the directory is bind-mounted read-only in a private mount namespace."""
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield []
        finally:
            path.chmod(0o700)
        return
    unshare = shutil.which("unshare")
    probe = f"mount --bind {path} {path} && mount -o remount,bind,ro {path}"
    if unshare is None or subprocess.run([unshare, "-m", "sh", "-c", probe], capture_output=True).returncode != 0:
        pytest.skip("running as root, and cannot mount a read-only directory here (unshare -m)")
    yield [unshare, "-m", "sh", "-c", f'{probe} && exec "$0" "$@"']


@pytest.mark.parametrize("populated", [False, True], ids=["new", "populated"])
def test_a_read_only_data_dir_is_one_line(tmp_path: Path, populated: bool) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    env = clean_env(VAULTLINE_DATA_DIR=str(data_dir))
    if populated:
        run_cli(env, "apps", "list")
    with read_only_directory(data_dir) as prefix:
        command = [*prefix, VAULTLINE, "serve", "--port", str(free_port())]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    line = one_line_failure(result)
    assert "cannot write" in line and str(data_dir) in line and "VAULTLINE_DATA_DIR" in line


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def test_database_files_are_owner_only_in_an_open_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    settings = Settings(data_dir=data_dir, public_url=PUBLIC_URL)
    with umask(0o022), live_server(settings) as server:  # the usual umask: files 0644 unless we say
        app = create_app_via_cli(server.env, "Files")
        minted = mint(server.url, app, "files")
        assert minted.status_code == 200  # a write: SQLite now has its -wal and -shm files
        files = ["vaultline.db", "vaultline.db-wal", "vaultline.db-shm", "master.key"]
        assert {name: mode(data_dir / name) for name in files} == dict.fromkeys(files, "0o600")


def test_a_readable_database_and_key_file_become_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    env = clean_env(VAULTLINE_DATA_DIR=str(data_dir))
    run_cli(env, "apps", "list")
    for name in ("vaultline.db", "master.key"):
        (data_dir / name).chmod(0o644)  # as an older version, a copy or a restore left them
    run_cli(env, "apps", "list")
    assert mode(data_dir / "vaultline.db") == mode(data_dir / "master.key") == "0o600"


def test_only_the_first_start_prints_a_session_link(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_url=PUBLIC_URL)
    with live_server(settings) as first:
        banner = read_banner(first)
    assert "/session/" in banner and "vl_live_" in banner  # the first start shows what to open
    with live_server(settings) as later:
        banner = read_banner(later)
        assert "/session/" not in banner and "vl_live_" not in banner
        assert "vaultline demo` for a Hosted Vault link" in banner

        # On demand: a fresh link to the same server, also when the port alone says where it is.
        port = later.url.rsplit(":", 1)[1]
        without_public_url = {k: v for k, v in later.env.items() if k != "VAULTLINE_PUBLIC_URL"}
        for env, args in ((later.env, []), (without_public_url, ["--port", port])):
            printed = run_cli(env, "demo", *args).stdout
            (link,) = [word for word in printed.split() if "/session/" in word]
            assert link.startswith(f"{later.url}/session/")
            with httpx.Client(follow_redirects=True, timeout=10) as browser:
                page = browser.get(link)
            assert page.status_code == 200 and "/hosted/" in str(page.url)
            assert "<title>Demo SaaS Vault</title>" in page.text


def test_demo_without_a_demo_application_is_one_line(settings: Settings) -> None:
    env = env_for(settings)
    create_app_via_cli(env, "Not a demo")
    line = one_line_failure(run_cli(env, "demo", check=False))
    assert "no demo application" in line and "POST /vault/sessions" in line


def test_two_workers_serve_on_the_port_bound_first(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_url=PUBLIC_URL)
    with live_server(settings, serve_args=["--workers", "2"]) as server:
        app = create_app_via_cli(server.env, "Workers")
        answers = [mint(server.url, app, "workers") for _ in range(6)]
        assert {answer.status_code for answer in answers} == {200}


def test_demo_away_from_the_data_dir_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "elsewhere" / ".vaultline"
    line = one_line_failure(run_cli(clean_env(VAULTLINE_DATA_DIR=str(data_dir)), "demo", check=False))
    assert f"no Vaultline database at {data_dir / 'vaultline.db'}" in line and "VAULTLINE_DATA_DIR" in line
    assert not data_dir.exists()
