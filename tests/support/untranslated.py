"""Finding English left on a translated page: every msgid of ``messages.pot`` whose translation
in the page's language differs from it is looked for, as whole words (``%(name)s`` matching
anything), in the page's visible text and labels. Texts that may stay English are taken out
first: the catalog's own texts (integration names, tag lines, guides, form labels: they fall
back to English per string) and the caller's brand and consumer data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vaultline.catalog.loader import builtin_definitions
from vaultline.i18n import tooling

_PLACEHOLDER = re.compile(r"%\\\([a-z_]+\\\)s")
# What a placeholder stands for on a page: a name or a number (words, maybe several), never
# punctuation such as the "·" between two names in a title.
_NAME = r"[\w.@'’-]+(?: [\w.@'’-]+)*?"

# Everything a person can read or hear on the page: visible text, the title, the labels a
# screen reader announces, placeholders, and text that is there but hidden until needed.
READABLE_TEXT_JS = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[aria-label],[placeholder],[title],img[alt]")) {
    for (const name of ["aria-label", "placeholder", "title", "alt"]) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  for (const el of document.querySelectorAll("[hidden], .visually-hidden, option")) parts.push(el.textContent);
  for (const el of document.querySelectorAll("[data-vault-labels]")) {
    parts.push(...Object.values(JSON.parse(el.getAttribute("data-vault-labels"))));
  }
  return parts.join("\\n");
}"""


def catalog_texts() -> set[str]:
    """Every text of the built-in catalog a page can show."""
    texts: set[str] = set()
    for definition in builtin_definitions():
        texts.update(t for t in (definition.name, definition.tag_line) if t)
        if definition.guide and definition.guide.text:
            texts.add(definition.guide.text)
        for field in definition.form_fields:
            shown = (field.label, field.description, field.placeholder, field.prefix, field.suffix)
            texts.update(t for t in shown if t)
            texts.update(option.label for option in field.options)
    return texts


@dataclass(frozen=True)
class EnglishLeftovers:
    locale: str
    patterns: dict[str, re.Pattern[str]]
    allowed: tuple[str, ...]

    @classmethod
    def for_locale(cls, locale: str, *, allowed: Iterable[str] = ()) -> EnglishLeftovers:
        catalog = tooling.read_catalog(tooling.po_path(locale), locale)
        patterns = {}
        for message in catalog:
            if not message.id:
                continue
            english = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for msgid in english:
                if msgid in strings:  # the same word in this language ("CRM", "Status"): nothing to find
                    continue
                body = _PLACEHOLDER.sub(lambda _: _NAME, re.escape(msgid))
                patterns[msgid] = re.compile(rf"(?<!\w){body}(?!\w)")
        everything_allowed = {*catalog_texts(), *allowed}
        return cls(locale, patterns, tuple(sorted(everything_allowed, key=len, reverse=True)))

    def find(self, text: str) -> list[str]:
        for allowed in self.allowed:
            text = text.replace(allowed, " ")
        return sorted(msgid for msgid, pattern in self.patterns.items() if pattern.search(text))
