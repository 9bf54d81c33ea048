"""HTML form posts: reading ``application/x-www-form-urlencoded`` bodies and turning an
integration's form fields into typed settings, with a message per field for inline errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from vaultline.catalog.definitions import FormField
from vaultline.connections.settings import MASK
from vaultline.connections.state import is_set
from vaultline.errors import UnsupportedMediaType
from vaultline.i18n.translations import Translator

FORM_TYPE = "application/x-www-form-urlencoded"


async def read_form(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if body and content_type != FORM_TYPE:
        raise UnsupportedMediaType("Send the form as application/x-www-form-urlencoded")  # no browser form does
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200)


@dataclass
class ParsedSettings:
    settings: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # What to show back in the form after an error: never a sensitive value.
    shown: dict[str, Any] = field(default_factory=dict)


def _typed_option(form_field: FormField, raw: str, t: Translator) -> Any:
    for option in form_field.options:
        if str(option.value) == raw:
            return option.value
    raise ValueError(t.gettext("Choose one of the options for %(label)s", label=form_field.label))


def _value(form_field: FormField, values: list[str], t: Translator) -> Any:
    if form_field.type == "checkbox":
        return "true" in values
    if form_field.type == "multi-select":
        return [_typed_option(form_field, v, t) for v in values if v != ""]
    raw = values[-1] if values else ""
    if form_field.type != "textarea":
        raw = raw.strip()
    if raw == "":
        return None
    if form_field.type == "number":
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(t.gettext("%(label)s must be a number", label=form_field.label)) from None
        return int(number) if number.is_integer() and "." not in raw else number
    if form_field.type in ("select", "filtered-select"):
        return _typed_option(form_field, raw, t)
    return raw


def parse_settings(
    form_fields: list[FormField], form: dict[str, list[str]], stored: dict[str, Any], translator: Translator
) -> ParsedSettings:
    """The settings the form asks for, checked the way a person needs to hear about it (in
    their language): each required value present, each value in its documented format. A
    sensitive field left empty keeps what is stored (sent on as ``MASK``, which the connections
    logic keeps)."""
    parsed = ParsedSettings()
    t = translator
    for form_field in form_fields:
        label = form_field.label
        try:
            value = _value(form_field, form.get(form_field.id, []), translator)
        except ValueError as exc:
            parsed.errors[form_field.id] = str(exc)
            continue
        if form_field.sensitive and value is None and is_set(stored.get(form_field.id)):
            parsed.settings[form_field.id] = MASK
            continue
        if not form_field.sensitive:
            parsed.shown[form_field.id] = value
        if form_field.required and form_field.type != "checkbox" and not is_set(value):
            parsed.errors[form_field.id] = t.gettext("Enter your %(label)s", label=label)
            continue
        if isinstance(value, str) and form_field.pattern and re.fullmatch(form_field.pattern, value) is None:
            message = t.gettext("%(label)s is not in the expected format.", label=label)
            parsed.errors[form_field.id] = f"{message} {form_field.description}" if form_field.description else message
            continue
        if form_field.sensitive and isinstance(value, str) and re.search(r"\s", value):
            parsed.errors[form_field.id] = t.gettext(
                "%(label)s contains a space or line break: paste it again", label=label
            )
            continue
        parsed.settings[form_field.id] = value
    return parsed


_SETTING_IN_MESSAGE = re.compile(r"settings\.([A-Za-z_][A-Za-z0-9_]*)")


def field_of_message(message: str) -> str | None:
    """``"settings.email must be an email address"`` → ``"email"``: where to show an error
    the connections logic raised."""
    match = _SETTING_IN_MESSAGE.search(message)
    return match.group(1) if match else None
