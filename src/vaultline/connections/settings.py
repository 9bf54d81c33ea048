"""A connection's settings on the way in (merged, type-checked) and on the way out (masked).

Masking: a form field with ``sensitive: true`` is answered as ``MASK`` whenever it holds a
value, to every caller of the connection endpoints; only the credentials endpoint (API key
only) returns it. A front end that posts its whole form back sends ``MASK`` for the values it
never saw: that means "unchanged", never "store these asterisks".
"""

from __future__ import annotations

import re
from typing import Any

from vaultline.catalog.definitions import FormField, IntegrationDefinition
from vaultline.connections.state import is_set
from vaultline.errors import BadRequest
from vaultline.strict_url import InvalidUrl, parse_strict_url

MASK = "********"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")


def mask_settings(definition: IntegrationDefinition, settings: dict[str, Any]) -> dict[str, Any]:
    sensitive = definition.sensitive_ids
    return {key: MASK if key in sensitive and is_set(value) else value for key, value in settings.items()}


def merge_settings(
    definition: IntegrationDefinition, current: dict[str, Any], incoming: dict[str, Any]
) -> dict[str, Any]:
    """``current`` updated with ``incoming``: a key set to null or "" is removed, a sensitive key
    sent as ``MASK`` is kept as stored, an unknown key or a value of the wrong type is a 400."""
    merged = dict(current)
    for key, value in incoming.items():
        form_field = definition.field(key)
        if form_field is None:
            allowed = [f.id for f in definition.form_fields]
            raise BadRequest(
                f"Unknown setting 'settings.{key}' for {definition.name}",
                detail={"allowed_settings": allowed},
            )
        if value is None or value == "":
            merged.pop(key, None)
        elif form_field.sensitive and value == MASK:
            continue
        else:
            merged[key] = _checked(form_field, value)
    return merged


def _checked(form_field: FormField, value: Any) -> Any:
    where = f"settings.{form_field.id}"
    if form_field.type == "checkbox":
        if not isinstance(value, bool):
            raise BadRequest(f"{where} must be true or false")
        return value
    if form_field.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequest(f"{where} must be a number")
        return value
    if form_field.type == "multi-select":
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            raise BadRequest(f"{where} must be a list of option values")
        _check_options(form_field, value)
        return value
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a string")
    if len(value) > form_field.max_length:
        raise BadRequest(f"{where} is longer than {form_field.max_length} characters")
    control = _CONTROL_CHARS if form_field.type == "textarea" else _CONTROL_OR_NEWLINE
    if control.search(value):
        raise BadRequest(f"{where} must not contain control characters")
    if form_field.type == "url":
        try:
            parse_strict_url(value)
        except InvalidUrl as exc:
            raise BadRequest(f"{where} {exc}") from None
    if form_field.type == "email" and "@" not in value:
        raise BadRequest(f"{where} must be an email address")
    _check_options(form_field, [value])
    return value


def _check_options(form_field: FormField, values: list[Any]) -> None:
    if not form_field.options:
        return
    allowed = [option.value for option in form_field.options]
    for value in values:
        if value not in allowed:
            raise BadRequest(
                f"settings.{form_field.id}: {value!r} is not one of the options", detail={"allowed": allowed}
            )
