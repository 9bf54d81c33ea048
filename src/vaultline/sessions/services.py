"""What sessions/ uses of a running server: ``Runtime`` provides it. Named here rather than
imported because the runtime holds this package's recorder, so runtime.py sits above sessions/."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vaultline.config import Settings
from vaultline.sessions.recorder import SessionRecorder
from vaultline.tokens.keyring import KeyRing


class SessionServices(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def keyring(self) -> KeyRing: ...

    @property
    def recorder(self) -> SessionRecorder: ...

    def reader(self) -> AbstractAsyncContextManager[AsyncConnection]: ...
