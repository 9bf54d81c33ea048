"""Static files of the Hosted Vault, read once at start-up and served from memory under a
content-hashed URL (``/hosted-static/<hash>/vault.css``), so they can be cached for a year."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
PAGE_ASSETS = ("vault.css", "app.js")
STATIC_PREFIX = "/hosted-static"


@dataclass(frozen=True)
class StaticAsset:
    name: str
    body: bytes
    digest: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.name[self.name.rindex(".") :]]


@dataclass(frozen=True)
class StaticAssets:
    by_name: dict[str, StaticAsset]

    @classmethod
    def load(cls) -> StaticAssets:
        folder = resources.files("vaultline.hosted").joinpath("static")
        assets = {}
        for name in (*PAGE_ASSETS, "vault.js"):
            body = folder.joinpath(name).read_bytes()
            assets[name] = StaticAsset(name, body, hashlib.sha256(body).hexdigest()[:12])
        return cls(assets)

    def url(self, name: str) -> str:
        return f"{STATIC_PREFIX}/{self.by_name[name].digest}/{name}"

    def get(self, name: str) -> StaticAsset | None:
        return self.by_name.get(name)
