"""A connection's id, ``{unified_api}+{service_id}`` (``crm+salesforce``), as Apideck spells it:
written and read here only, so the API, the pages, the webhooks and the logs agree."""

from __future__ import annotations


def connection_id(unified_api: str, service_id: str) -> str:
    return f"{unified_api}+{service_id}"


def split_connection_id(value: str) -> tuple[str | None, str]:
    """(unified_api, service_id) of ``crm+salesforce``; (None, ``salesforce``) for a bare service id.
    The unified API may come back empty (``+salesforce``): the caller decides if that is valid."""
    unified_api, separator, service_id = value.rpartition("+")
    return (unified_api if separator else None), service_id
