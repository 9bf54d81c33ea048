"""Loading the catalog: the built-in definitions, then an operator's file merged over them.

Both are validated once at start-up (``Runtime.open``); an invalid file refuses the start
with a message naming the definition and field, rather than failing on some later request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from vaultline.catalog.definitions import CatalogFile, IntegrationDefinition
from vaultline.crypto.master_key import ConfigError

BUILTIN_CATALOG = "builtin_catalog.json"


@dataclass(frozen=True)
class Catalog:
    """Every integration this server knows, keyed by ``service_id``, in a stable order."""

    by_service_id: dict[str, IntegrationDefinition]

    def __iter__(self) -> Iterator[IntegrationDefinition]:
        return iter(self.by_service_id.values())

    def __len__(self) -> int:
        return len(self.by_service_id)

    def get(self, service_id: str) -> IntegrationDefinition | None:
        return self.by_service_id.get(service_id)

    def find(self, *, unified_api: str, service_id: str) -> IntegrationDefinition | None:
        definition = self.by_service_id.get(service_id)
        return definition if definition is not None and definition.unified_api == unified_api else None

    def unified_apis(self) -> list[str]:
        return sorted({d.unified_api.value for d in self})


def _parse(text: str | bytes, *, source: str) -> tuple[IntegrationDefinition, ...]:
    try:
        return CatalogFile.model_validate_json(text).integrations
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"Invalid integration catalog {source}: {where}: {first['msg']}") from None


def builtin_definitions() -> tuple[IntegrationDefinition, ...]:
    text = resources.files("vaultline.catalog").joinpath(BUILTIN_CATALOG).read_text(encoding="utf-8")
    return _parse(text, source="(built-in)")


def load_catalog(catalog_file: Path | None = None) -> Catalog:
    """The built-in catalog; with ``catalog_file`` (VAULTLINE_CATALOG_FILE), its definitions
    are added, and one with a built-in ``service_id`` replaces that definition whole."""
    merged = {d.service_id: d for d in builtin_definitions()}
    if catalog_file is not None:
        try:
            text = catalog_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"Cannot read VAULTLINE_CATALOG_FILE {str(catalog_file)!r}: {exc.strerror}") from None
        extra = _parse(text, source=repr(str(catalog_file)))
        seen: set[str] = set()
        for definition in extra:
            if definition.service_id in seen:
                raise ConfigError(f"Integration catalog {str(catalog_file)!r} defines {definition.service_id!r} twice")
            seen.add(definition.service_id)
            merged[definition.service_id] = definition
    return Catalog(merged)
