"""What a command tells the operator when its environment is wrong: one line saying what to fix.

An unreachable PostgreSQL, a data directory it may not write, a database file that is not one:
these are not bugs, so they get no traceback — and an error message never carries SQL
parameters (the engines hide them) nor a database password. Anything not recognised here is a
bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from vaultline.config import Settings


def explain_failure(exc: BaseException, settings: Settings) -> str | None:
    """One line for a failure of the environment, or None when ``exc`` is not one."""
    if isinstance(exc, ArgumentError):
        return "VAULTLINE_DATABASE_URL is not a database URL: use postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    if isinstance(exc, DBAPIError):
        return _database_failure(exc, settings)
    if isinstance(exc, OSError):
        return _os_failure(exc, settings)
    return None


def _first_line(error: BaseException) -> str:
    # PostgreSQL puts row values in a DETAIL line: only the first line is about the cause.
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _postgres_target(settings: Settings) -> str:
    url = make_url(settings.async_database_url)  # the password is never shown
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''} as user {url.username or '(default)'}"


def _sqlite_file(settings: Settings) -> str:
    if settings.database_url is None:
        return str(settings.sqlite_path)
    return make_url(settings.async_database_url).database or ""


def _database_failure(exc: DBAPIError, settings: Settings) -> str:
    cause = _first_line(exc.orig) if exc.orig is not None else _first_line(exc)
    if settings.backend == "postgresql":
        target = _postgres_target(settings)
        if "does not exist" in cause and "database" in cause:
            return f"PostgreSQL at {target}: {cause}. Create it (createdb), or fix VAULTLINE_DATABASE_URL"
        return f"PostgreSQL at {target} refused: {cause}. Fix VAULTLINE_DATABASE_URL or the database's access rules"
    path = _sqlite_file(settings)
    lowered = cause.lower()
    if "readonly" in lowered or "unable to open" in lowered or "disk i/o" in lowered:
        return (
            f"cannot write the SQLite database {path} ({cause}): make its directory writable by this user, "
            "or set VAULTLINE_DATA_DIR to one it can write"
        )
    if "locked" in lowered:
        return f"the SQLite database {path} is locked by another process ({cause}): try again when it is done"
    if "not a database" in lowered:
        return f"{path} is not a SQLite database: move it away, or set VAULTLINE_DATA_DIR to another directory"
    return f"the SQLite database {path} failed: {cause}"


def _os_failure(exc: OSError, settings: Settings) -> str | None:
    if exc.filename is not None:
        reason = (exc.strerror or _first_line(exc)).lower()
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return (
                f"cannot write {exc.filename} ({reason}): make {settings.data_dir} writable by this user, "
                "or set VAULTLINE_DATA_DIR to a directory it can write"
            )
        return f"cannot use {exc.filename}: {reason}"
    if settings.backend != "postgresql":
        return None  # no file and no server involved: not the environment, a bug
    target = _postgres_target(settings)
    if isinstance(exc, socket.gaierror):
        return f"cannot find the PostgreSQL host of {target} ({exc.strerror}): fix the host in VAULTLINE_DATABASE_URL"
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"cannot reach PostgreSQL at {target}: connection refused. Start PostgreSQL, "
            "or fix the host and port in VAULTLINE_DATABASE_URL"
        )
    if isinstance(exc, TimeoutError):
        return f"PostgreSQL at {target} did not answer in time: check that it runs and that this machine can reach it"
    return f"cannot reach PostgreSQL at {target}: {exc.strerror or _first_line(exc)}. Check VAULTLINE_DATABASE_URL"
