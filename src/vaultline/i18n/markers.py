"""``N_("…")`` marks a message for extraction where it is defined (a table of labels, an
error raised below the pages); it is translated where a page shows it, with the reader's locale."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name, which the extractor knows
    return message
