"""Translations of the catalog's texts for people: tag lines, guides and form field labels,
descriptions and placeholders. They live apart from the definitions, one file per locale
(``catalog/translations/<lang>.json``) keyed by ``service_id``, so adding an integration and
translating one never touch the same lines. Any text without a translation stays in English,
and so does any text an operator's catalog file changed (it no longer matches the built-in
English the translation was made from)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from vaultline.catalog.definitions import FormField, Guide, IntegrationDefinition
from vaultline.catalog.loader import builtin_definitions

TRANSLATIONS_FOLDER = "translations"
FIELD_TEXTS = ("label", "description", "placeholder")


def _translated(current: str | None, builtin: str | None, translation: Any) -> str | None:
    if current is not None and current == builtin and isinstance(translation, str) and translation:
        return translation
    return current


@dataclass(frozen=True)
class CatalogTexts:
    """locale → service_id → ``{"tag_line", "guide", "fields": {field id: {label, description,
    placeholder}}}``, and the built-in definitions the translations were made from."""

    by_locale: dict[str, dict[str, dict[str, Any]]]
    builtin: dict[str, IntegrationDefinition]

    @classmethod
    def load(cls) -> CatalogTexts:
        folder = resources.files("vaultline.catalog").joinpath(TRANSLATIONS_FOLDER)
        by_locale = {}
        for entry in folder.iterdir():
            if entry.name.endswith(".json"):
                by_locale[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
        return cls(by_locale, {d.service_id: d for d in builtin_definitions()})

    def localized(self, definition: IntegrationDefinition, locale: str) -> IntegrationDefinition:
        texts = self.by_locale.get(locale, {}).get(definition.service_id)
        builtin = self.builtin.get(definition.service_id)
        if not texts or builtin is None:
            return definition
        changes: dict[str, Any] = {
            "tag_line": _translated(definition.tag_line, builtin.tag_line, texts.get("tag_line"))
        }
        if definition.guide is not None:
            text = _translated(definition.guide.text, builtin.guide.text if builtin.guide else None, texts.get("guide"))
            changes["guide"] = Guide(text=text, url=definition.guide.url)
        fields = texts.get("fields") or {}
        changes["form_fields"] = tuple(
            self._localized_field(form_field, builtin.field(form_field.id), fields.get(form_field.id) or {})
            for form_field in definition.form_fields
        )
        return definition.model_copy(update=changes)

    @staticmethod
    def _localized_field(form_field: FormField, builtin: FormField | None, texts: dict[str, Any]) -> FormField:
        if builtin is None or not texts:
            return form_field
        changes = {
            name: _translated(getattr(form_field, name), getattr(builtin, name), texts.get(name))
            for name in FIELD_TEXTS
        }
        return form_field.model_copy(update=changes)
