"""Writing a real GNU gettext catalog (.mo) for a test, so translation goes through the same
``gettext.translation`` lookup the server uses, with no catalog tool installed."""

from __future__ import annotations

import struct
from pathlib import Path


def write_mo(localedir: Path, language: str, messages: dict[str, str], *, domain: str = "messages") -> Path:
    entries = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(entries)
    ids = [k.encode() for k in keys]
    strs = [entries[k].encode() for k in keys]
    header_size = 7 * 4
    originals_at = header_size
    translations_at = originals_at + 8 * len(keys)
    data_at = translations_at + 8 * len(keys)
    table_originals, table_translations, data = [], [], b""
    for value in ids:
        table_originals.append((len(value), data_at + len(data)))
        data += value + b"\0"
    for value in strs:
        table_translations.append((len(value), data_at + len(data)))
        data += value + b"\0"
    output = struct.pack("<7I", 0x950412DE, 0, len(keys), originals_at, translations_at, 0, 0)
    for length, offset in table_originals + table_translations:
        output += struct.pack("<2I", length, offset)
    path = localedir / language / "LC_MESSAGES" / f"{domain}.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(output + data)
    return path
