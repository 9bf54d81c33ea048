"""The embedded database's files stay readable by their owner only.

SQLite creates a database with the process's umask (0644 in a 0755 directory), and creates its
``-wal`` and ``-shm`` files later, with the database file's own mode. So the database file is
created owner-only before SQLite first opens it, and every connection tightens a database
(and journal) left readable by an older version.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy.engine import make_url

OWNER_ONLY = 0o600
_JOURNAL_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_database_file(url: str) -> Path | None:
    """The file an SQLite URL names; None for an in-memory database or an SQLite URI
    (``file:…?mode=ro``), whose options are SQLite's to interpret."""
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:") or "uri" in parsed.query:
        return None
    return Path(database)


def create_owner_only(path: Path) -> None:
    """Create an empty database file (SQLite accepts one) with mode 0600, unless it exists."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))


def keep_owner_only(path: Path) -> None:
    """Remove group and other permissions from the database and its journal files."""
    for suffix in _JOURNAL_SUFFIXES:
        candidate = Path(f"{path}{suffix}")
        # Missing (the journal files come and go), or not ours to change: nothing to do.
        with contextlib.suppress(OSError):
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(OWNER_ONLY)
