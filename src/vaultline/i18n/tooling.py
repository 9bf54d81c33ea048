"""The translators' tools behind ``scripts/i18n`` (docs/i18n.md): extract the messages of the
templates and the code into ``messages.pot``, update every locale's ``.po`` from it, check that
the catalogs are complete, list what is missing as a JSON template and fill translations in
from one. The tests call ``problems()`` too, so CI fails on whatever ``check`` would."""

from __future__ import annotations

import argparse
import ast
import io
import json
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po, write_po

from vaultline.i18n.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES
from vaultline.i18n.translations import DOMAIN

PACKAGE = Path(__file__).resolve().parent.parent  # src/vaultline
LOCALE_DIR = PACKAGE / "i18n" / "locale"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATED = tuple(locale for locale in SUPPORTED_LOCALES if locale != DEFAULT_LOCALE)
# Fixed dates: re-running the tools changes a file only when its messages change.
_DATE = datetime(2026, 11, 25, tzinfo=UTC)
_HEADER = "# Messages of Vaultline's Hosted Vault. Extracted by scripts/i18n: see docs/i18n.md.\n#"
_METHODS = [
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**/links/templates/**.txt", "jinja2.ext:babel_extract"),  # the Vault link email
    ("**.py", "vaultline.i18n.tooling:extract_python_and_route_summaries"),
]
_OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"},
    "**/links/templates/**.txt": {"extensions": "jinja2.ext.i18n"},
}
_SKIPPED = ("migrations", "__pycache__")


def extract_python_and_route_summaries(
    fileobj: BinaryIO, keywords: Mapping[str, Any], comment_tags: Collection[str], options: dict[str, Any]
) -> Iterator[tuple[Any, ...]]:
    """Babel's Python extraction, plus each route's ``summary="…"``: it names the operation on
    the consumer's logs page (hosted/logs_page.py translates it there)."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)  # type: ignore[arg-type]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "summary" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    # As if marked N_("…"); the comment reaches the translators.
                    yield value.lineno, "N_", value.value, ["An API operation, as a consumer's logs page names it"]


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def extracted() -> Catalog:
    """Every message the templates and the code mark: ``_()``, ``gettext``, ``ngettext``, ``N_``."""
    catalog = Catalog(
        project="Vaultline",
        version="",
        domain=DOMAIN,
        header_comment=_HEADER,
        copyright_holder="Vaultline contributors",
        creation_date=_DATE,
        fuzzy=False,
    )
    found = extract_from_dir(
        PACKAGE,
        _METHODS,
        _OPTIONS,
        comment_tags=("i18n:",),
        strip_comment_tags=True,
        directory_filter=lambda path: not any(part in Path(path).parts for part in _SKIPPED),
    )
    for filename, lineno, message, comments, context in found:
        location = (f"src/vaultline/{Path(filename).as_posix()}", lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def _write(catalog: Catalog, path: Path) -> bool:
    """Write ``catalog`` as a .po/.pot (locations without line numbers, so an edit elsewhere in
    a file does not touch every catalog); False when the file already says exactly that."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, ignore_obsolete=True, include_lineno=False)
    content = buffer.getvalue()
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def extract() -> bool:
    return _write(extracted(), TEMPLATE)


def update() -> list[str]:
    """Bring every locale's .po to the template's msgids: new ones empty (never guessed from a
    similar message: no fuzzy matching), removed ones dropped. Returns the files changed."""
    template = read_catalog(TEMPLATE)
    changed = []
    for locale in TRANSLATED:
        path = po_path(locale)
        if path.exists():
            catalog = read_catalog(path, locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, header_comment=_HEADER, project="Vaultline", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.creation_date = catalog.revision_date = _DATE
        catalog.fuzzy = False
        if _write(catalog, path):
            changed.append(f"{locale}/LC_MESSAGES/{path.name}")
    return changed


def missing(locale: str) -> list[Message]:
    """The template's messages this locale lacks a reviewed translation of."""
    template = read_catalog(TEMPLATE)
    path = po_path(locale)
    catalog = read_catalog(path, locale) if path.exists() else Catalog(locale=locale)
    result = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        strings = translated.string if translated is not None else None
        values = strings if isinstance(strings, tuple) else (strings,)
        if translated is None or translated.fuzzy or not all(values):
            result.append(message)
    return result


def problems() -> list[str]:
    """What ``check`` fails on: a template behind the sources, a missing, empty or fuzzy
    translation, a translation whose placeholders differ from its msgid, an obsolete entry."""
    found: list[str] = []
    fresh = {_msgid(m) for m in extracted() if m.id}
    committed = {_msgid(m) for m in read_catalog(TEMPLATE) if m.id}
    for msgid in sorted(fresh - committed):
        found.append(f"messages.pot lacks {msgid!r} (run scripts/i18n)")
    for msgid in sorted(committed - fresh):
        found.append(f"messages.pot still has {msgid!r}, which no source uses (run scripts/i18n)")
    for locale in TRANSLATED:
        for message in missing(locale):
            found.append(f"{locale}: no reviewed translation of {_msgid(message)!r}")
        path = po_path(locale)
        if not path.exists():
            continue
        catalog = read_catalog(path, locale)
        for message in catalog:
            if message.id and _msgid(message) not in committed:
                found.append(f"{locale}: {_msgid(message)!r} is not in messages.pot (run scripts/i18n)")
        for message, errors in catalog.check():
            found.extend(f"{locale}: {_msgid(message)!r}: {error}" for error in errors)
    return found


def missing_template(locales: Iterable[str]) -> dict[str, dict[str, object]]:
    """``{msgid: {locale: ""}}`` for every missing translation: fill it in, then ``fill`` it.
    A plural message asks for a list with one string per plural form of the locale."""
    todo: dict[str, dict[str, object]] = {}
    for locale in locales:
        plurals = Catalog(locale=locale).num_plurals
        for message in missing(locale):
            entry = todo.setdefault(_msgid(message), {})
            if not isinstance(message.id, str):
                entry["_plural"] = message.id[1]
                entry[locale] = [""] * plurals
            else:
                entry[locale] = ""
    return todo


def fill(translations: dict[str, dict[str, object]]) -> list[str]:
    """Write ``{msgid: {locale: text or [texts]}}`` into the .po files; returns what it skipped."""
    skipped = []
    for locale in TRANSLATED:
        path = po_path(locale)
        catalog = read_catalog(path, locale)
        for msgid, by_locale in translations.items():
            text = by_locale.get(locale)
            if not text:
                continue
            message = catalog.get(msgid)
            if message is None:
                skipped.append(f"{locale}: {msgid!r} is not in the catalog")
                continue
            message.string = tuple(text) if isinstance(text, list) else str(text)
            message.flags.discard("fuzzy")
        _write(catalog, path)
    return skipped


def _say(text: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/i18n", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=["all", "extract", "update", "check", "missing", "fill"],
        help="all (default): extract, update, then check",
    )
    parser.add_argument("file", nargs="?", help="fill: the JSON file of translations")
    args = parser.parse_args(argv)
    if args.command in ("all", "extract"):
        _say("messages.pot " + ("updated" if extract() else "unchanged"))
    if args.command in ("all", "update"):
        for path in update():
            _say(f"{path} updated")
    if args.command == "missing":
        _say(json.dumps(missing_template(TRANSLATED), ensure_ascii=False, indent=2))
        return 0
    if args.command == "fill":
        if not args.file:
            parser.error("fill needs the JSON file written by `scripts/i18n missing` and filled in")
        for line in fill(json.loads(Path(args.file).read_text(encoding="utf-8"))):
            _say(line, error=True)
    if args.command in ("all", "check", "fill"):
        found = problems()
        for line in found:
            _say(line, error=True)
        counts = {locale: len(missing(locale)) for locale in TRANSLATED}
        _say("untranslated: " + ", ".join(f"{locale} {count}" for locale, count in counts.items()))
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
