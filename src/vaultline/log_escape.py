"""Request data made safe for a log line: control and invisible characters become escapes.

A path such as ``/nope%0D%0AFAKE LINE`` decodes to a carriage return and a newline; written
raw, it forges a second log line (or recolours a terminal with ESC, or hides text with bidi
controls). Backslashes are escaped too, so an escape in the log always means one in the request.
"""

from __future__ import annotations


def escape_for_log(text: str) -> str:
    """``text`` with every character ``str.isprintable`` refuses (C0, DEL, C1, U+2028/2029, bidi
    and other format controls) and every backslash written as a Python escape."""
    if text.isprintable() and "\\" not in text:
        return text  # the usual case, checked in C
    return "".join(char if char.isprintable() and char != "\\" else _escape(char) for char in text)


def _escape(char: str) -> str:
    if char == "\\":
        return "\\\\"
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
