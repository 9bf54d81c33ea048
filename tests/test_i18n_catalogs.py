"""The translation catalogs: complete in every language (no missing, empty or fuzzy entry,
placeholders as in the msgid), ``messages.pot`` in step with the templates and the code, fuzzy
entries never served, and the catalog texts' translations made for integrations that exist."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.catalog.loader import builtin_definitions
from vaultline.catalog.texts import CatalogTexts
from vaultline.i18n import tooling
from vaultline.i18n.locales import SUPPORTED_LOCALES
from vaultline.i18n.translations import TranslatorSet, _compiled

TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]
# The most used integrations: their catalog texts are translated in every language.
TOP_TEN = (
    "pipedrive", "hubspot", "salesforce", "zoho-crm", "quickbooks",
    "xero", "bamboohr", "greenhouse", "google-drive", "dropbox",
)  # fmt: skip


def test_the_committed_catalogs_have_no_problem() -> None:
    problems = tooling.problems()
    assert not problems, "Run scripts/i18n, then translate what it lists:\n" + "\n".join(problems)


@pytest.fixture
def scratch_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the catalogs the tooling reads instead of the committed ones."""
    folder = tmp_path / "locale"
    shutil.copytree(tooling.LOCALE_DIR, folder)
    monkeypatch.setattr(tooling, "LOCALE_DIR", folder)
    monkeypatch.setattr(tooling, "TEMPLATE", folder / "messages.pot")
    return folder


def _edit(path: Path, locale: str | None, change: object) -> None:
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale)
    change(catalog)  # type: ignore[operator]
    with path.open("wb") as target:
        write_po(target, catalog)


def test_check_fails_on_a_fuzzy_an_empty_and_a_missing_translation(scratch_catalogs: Path) -> None:
    def spoil(catalog: object) -> None:
        catalog["Cancel"].flags.add("fuzzy")  # type: ignore[index]
        catalog["Save settings"].string = ""  # type: ignore[index]
        catalog.delete("Search")  # type: ignore[attr-defined]

    _edit(scratch_catalogs / "de" / "LC_MESSAGES" / "messages.po", "de", spoil)
    problems = tooling.problems()
    assert "de: no reviewed translation of 'Cancel'" in problems
    assert "de: no reviewed translation of 'Save settings'" in problems
    assert "de: no reviewed translation of 'Search'" in problems
    assert not any(p.startswith(("nl:", "fr:", "es:", "ja:")) for p in problems)


def test_check_fails_on_a_placeholder_the_translation_lost(scratch_catalogs: Path) -> None:
    _edit(
        scratch_catalogs / "fr" / "LC_MESSAGES" / "messages.po",
        "fr",
        lambda catalog: setattr(catalog["Connect %(name)s"], "string", "Connecter %(nom)s"),
    )
    assert any(p.startswith("fr: 'Connect %(name)s'") for p in tooling.problems())


def test_check_fails_when_a_source_string_is_not_in_the_pot(scratch_catalogs: Path) -> None:
    # As if a template gained {{ _("Skip to content") }} after the last extraction.
    _edit(scratch_catalogs / "messages.pot", None, lambda catalog: catalog.delete("Skip to content"))
    problems = tooling.problems()
    assert "messages.pot lacks 'Skip to content' (run scripts/i18n)" in problems
    # ...and the .po files still carry it: not in the template any more.
    assert "nl: 'Skip to content' is not in messages.pot (run scripts/i18n)" in problems


def test_update_adds_new_messages_empty_and_drops_removed_ones(scratch_catalogs: Path) -> None:
    _edit(scratch_catalogs / "messages.pot", None, lambda catalog: catalog.add("A brand new message"))
    tooling.update()
    template = tooling.missing_template(["ja"])
    assert template == {"A brand new message": {"ja": ""}}
    tooling.fill({"A brand new message": {"ja": "新しいメッセージ"}})
    assert tooling.missing("ja") == []


def test_fuzzy_translations_are_never_served(tmp_path: Path) -> None:
    po_file = tmp_path / "messages.po"
    shutil.copy(tooling.po_path("de"), po_file)
    _edit(po_file, "de", lambda catalog: catalog["Cancel"].flags.add("fuzzy"))
    translations, translated = _compiled(po_file, "de")
    assert translations.gettext("Cancel") == "Cancel"  # English, not the unreviewed guess
    assert "Cancel" not in translated
    assert translations.gettext("Save settings") == "Einstellungen speichern"


def test_every_locale_loads_and_formats_for_its_language() -> None:
    translators = TranslatorSet.load()
    assert translators.get("ja").gettext("Connect %(name)s", name="Pipedrive") == "Pipedrive に接続"
    assert translators.get("de").ngettext("Connected by %(num)s other account", "x", 1234) == (
        "Von 1.234 anderen Konten verbunden"
    )
    assert translators.get("fr").format_number(1234.5) == "1\u202f234,5"
    assert translators.get("xx") is translators.get("en")


def _texts_of(definition: IntegrationDefinition) -> list[str | None]:
    fields = [(f.label, f.description) for f in definition.form_fields]
    return [definition.tag_line, definition.guide.text if definition.guide else None, *sum(fields, ())]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_texts_translate_the_top_ten_and_name_only_what_exists(locale: str) -> None:
    texts = CatalogTexts.load()
    builtin = {d.service_id: d for d in builtin_definitions()}
    for service_id, translated in texts.by_locale[locale].items():
        assert service_id in builtin, f"{locale}.json translates {service_id!r}, which the catalog lacks"
        unknown = set(translated.get("fields", {})) - {f.id for f in builtin[service_id].form_fields}
        assert not unknown, f"{locale}.json: {service_id} has no fields {unknown}"
    for service_id in TOP_TEN:
        english, localized = builtin[service_id], texts.localized(builtin[service_id], locale)
        for before, after in zip(_texts_of(english), _texts_of(localized), strict=True):
            assert (before is None) == (after is None)
            assert before is None or before != after, f"{locale}: {service_id} still says {before!r}"


def test_a_catalog_text_an_operator_changed_stays_as_written() -> None:
    texts = CatalogTexts.load()
    builtin = next(d for d in builtin_definitions() if d.service_id == "pipedrive")
    changed = builtin.model_copy(update={"tag_line": "Our own words for Pipedrive."})
    localized = texts.localized(changed, "nl")
    assert localized.tag_line == "Our own words for Pipedrive."
    assert localized.form_fields[0].label == "API-token"  # unchanged texts are still translated


def test_no_template_hides_gettext_behind_a_variable_named_underscore() -> None:
    """``{% set _ = list.append(x) %}`` (a common Jinja idiom) makes every later ``_("…")`` of
    that template call None: a 500 on exactly the pages that reach both."""
    templates = tooling.PACKAGE / "hosted" / "templates"
    shadowing = re.compile(r"{%-?\s*(?:set|for)\s+_\s*(?:=|,|in\b)")
    offenders = [path.name for path in sorted(templates.glob("*.html")) if shadowing.search(path.read_text())]
    assert not offenders, f"templates assigning `_`: {offenders}"
