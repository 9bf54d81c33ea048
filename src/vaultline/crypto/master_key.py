"""The master key that encrypts every secret Vaultline stores.

It comes from ``VAULTLINE_MASTER_KEY`` (base64url of 32 bytes; several comma-separated keys
mean "seal with the first, open with any", which is how a master key is rotated), or — on
the embedded SQLite default only — from a file generated once in the data directory.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vaultline.config import Settings

MASTER_KEY_FILE = "master.key"


class ConfigError(Exception):
    """Start-up refused: the message tells the operator what to set."""


@dataclass(frozen=True, repr=False)
class MasterKey:
    key_id: str
    material: bytes

    def __repr__(self) -> str:  # never show key material in logs or tracebacks
        return f"MasterKey(key_id={self.key_id!r})"

    @cached_property
    def cipher(self) -> AESGCM:
        """AES-GCM under this key, built once: it holds nothing but the material this object
        already holds, and building it for every data key (un)wrapped was ~1 µs of each."""
        return AESGCM(self.material)

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        text = text.strip()
        try:
            material = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError as exc:
            raise ConfigError(
                "VAULTLINE_MASTER_KEY must be base64url of 32 bytes; generate one with: vaultline keys generate-master"
            ) from exc
        if len(material) != 32:
            raise ConfigError(
                f"VAULTLINE_MASTER_KEY must decode to 32 bytes, got {len(material)}; "
                "generate one with: vaultline keys generate-master"
            )
        key_id = "mk_" + hashlib.sha256(b"vaultline-master-key-id|" + material).hexdigest()[:16]
        return cls(key_id=key_id, material=material)


@dataclass(frozen=True)
class MasterKeyRing:
    """The current master key (seals) plus older ones still accepted for opening."""

    current: MasterKey
    previous: tuple[MasterKey, ...] = ()

    def find(self, key_id: str) -> MasterKey | None:
        for key in (self.current, *self.previous):
            if key.key_id == key_id:
                return key
        return None


def generate_master_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def load_master_keys(settings: Settings) -> MasterKeyRing:
    if settings.master_key is not None:
        return ring_from_text(settings.master_key.get_secret_value())
    if settings.backend == "postgresql":
        raise ConfigError(
            "Refusing to start on PostgreSQL without VAULTLINE_MASTER_KEY: a generated key "
            "would live on one machine only and every other instance could not read the "
            "secrets it encrypts. Generate one with `vaultline keys generate-master`, keep "
            "it in your secret manager and set VAULTLINE_MASTER_KEY on every instance."
        )
    # The file may hold "NEW,OLD" during a rotation (`vaultline keys rotate-master --generate`).
    return ring_from_text(_read_or_create_key_file(settings.data_dir))


def ring_from_text(text: str) -> MasterKeyRing:
    """``"NEW,OLD,…"`` → a ring sealing with NEW and opening with any."""
    texts = [t for t in text.split(",") if t.strip()]
    if not texts:
        raise ConfigError("VAULTLINE_MASTER_KEY is set but empty")
    keys = [MasterKey.from_text(t) for t in texts]
    return MasterKeyRing(current=keys[0], previous=tuple(keys[1:]))


def uses_key_file(settings: Settings) -> bool:
    return settings.master_key is None and settings.backend == "sqlite"


def write_key_file(data_dir: Path, texts: list[str]) -> None:
    """Replace the generated key file atomically (write, fsync, rename), owner-only."""
    path = data_dir / MASTER_KEY_FILE
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(",".join(t.strip() for t in texts))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_key_file_texts(data_dir: Path) -> list[str]:
    return [t.strip() for t in (data_dir / MASTER_KEY_FILE).read_text().split(",") if t.strip()]


def _read_or_create_key_file(data_dir: Path) -> str:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / MASTER_KEY_FILE
    try:
        # O_EXCL: two processes starting at once must not both write a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # A key file copied in, or written by hand, may be readable by others: not for long.
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        return path.read_text()
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_master_key_text())
    return path.read_text()
