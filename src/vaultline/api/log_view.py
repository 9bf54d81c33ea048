"""A consumer log row on the wire, in the reference spec's ``Log`` shape (every required field
present, nothing extra: the schema says ``additionalProperties: false``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from vaultline.api.schemas import Envelope, Links, Meta
from vaultline.catalog.loader import Catalog
from vaultline.clock import iso_from_ms
from vaultline.connections.verification import VERIFY_OPERATION_ID
from vaultline.store.consumer_logs import LogRecord

# Every call Vaultline logs is a call to its Vault API; calls about no particular connector
# name the Vault itself as their service, as Apideck's logs name "apideck-vault".
VAULT_SERVICE = {"id": "vault", "name": "Vault"}


class LogOperation(BaseModel):
    id: str
    name: str


class LogService(BaseModel):
    id: str
    name: str


class LogView(BaseModel):
    id: str
    parent_id: str | None
    api_style: str
    base_url: str
    child_request: bool
    consumer_id: str
    duration: float
    error_message: str | None
    execution: int
    has_children: bool
    http_method: str
    latency: float
    operation: LogOperation
    path: str
    sandbox: bool
    service: LogService
    source_ip: str | None
    status_code: int
    success: bool
    timestamp: str
    unified_api: str


class LogsPage(Envelope):
    data: list[LogView]
    meta: Meta
    links: Links


def log_view(record: LogRecord, *, base_url: str, catalog: Catalog) -> dict[str, Any]:
    entry = record.entry
    duration_ms = entry.duration_us / 1000
    service = VAULT_SERVICE
    definition = catalog.get(entry.service_id) if entry.service_id is not None else None
    if entry.service_id is not None:
        service = {"id": entry.service_id, "name": definition.name if definition else entry.service_id}
    if entry.operation_id == VERIFY_OPERATION_ID and definition is not None and definition.verification is not None:
        # A call Vaultline made to the provider: its address as the catalog writes it (no values).
        base_url, _ = definition.verification.request.shown_address()
    return {
        "id": record.id,
        "parent_id": None,
        "api_style": "REST",
        "base_url": base_url,
        "child_request": False,
        "consumer_id": entry.consumer_id,
        # Vaultline calls no provider while answering a Vault API call: the whole time is its own.
        "duration": duration_ms,
        "error_message": entry.error_message,
        "execution": round(duration_ms),
        "has_children": False,
        "http_method": entry.method,
        "latency": duration_ms,
        "operation": {"id": entry.operation_id, "name": entry.operation_name},
        "path": entry.path,
        "sandbox": False,
        "service": service,
        "source_ip": None,  # not stored: a consumer's IP address is personal data we do not need
        "status_code": entry.status_code,
        "success": entry.success,
        "timestamp": iso_from_ms(entry.timestamp),
        "unified_api": "vault",
    }
