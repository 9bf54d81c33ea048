"""A Vault link on the wire (``GET /vault/links``, the CLI's ``--json``): state, times, openings;
never its URL, which exists only in the create answer."""

from __future__ import annotations

from typing import Any

from vaultline.clock import iso_from_ms
from vaultline.store.vault_links import LinkRecord


def link_view(record: LinkRecord, now: int, email: dict[str, Any] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "application_id": record.application_id,
        "consumer_id": record.consumer_id,
        "state": record.state(now),
        "single_use": record.single_use,
        "bound": record.binding_hash is not None,
        "locale": record.locale,
        "send_to": record.send_to,
        "created_at": iso_from_ms(record.created_at),
        "expires_at": iso_from_ms(record.expires_at),
        "revoked_at": iso_from_ms(record.revoked_at),
        "first_opened_at": iso_from_ms(record.first_opened_at),
        "last_opened_at": iso_from_ms(record.last_opened_at),
        "open_count": record.open_count,
    }
    if email is not None:
        view["email"] = {**email, "sent_at": iso_from_ms(email["sent_at"])}
    return view
