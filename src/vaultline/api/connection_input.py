"""The body of ``PATCH /vault/connections/{api}/{svc}`` (and of its ``/{resource}/config``
sibling): the writable fields of Apideck's ``Connection`` schema, which its SDKs call
``ConnectionInput``. Every field the spec accepts is accepted; what each one does is in
``docs/compatibility.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from vaultline.errors import UnsupportedOperation
from vaultline.fields import RequestModel, ShortText

Scalar = Annotated[str, Field(max_length=1000)] | int | float | bool
# Apideck's DataScopesResources: field-level permissions per resource, or "*" for everything.
FieldPermissions = dict[Annotated[str, Field(max_length=200)], dict[Literal["read", "write"], bool]]
DataScopesResources = Literal["*"] | dict[Annotated[str, Field(max_length=200)], FieldPermissions]


class SimpleOption(RequestModel):
    label: ShortText
    value: Scalar | list[str | int | float] | None = None
    option_type: Literal["simple"] = "simple"


class OptionGroup(RequestModel):
    id: ShortText | None = None
    label: ShortText
    options: list[SimpleOption] = Field(max_length=100)
    option_type: Literal["group"]


class ResourceDefault(RequestModel):
    """One default value of a resource setting (Apideck's ``configuration[].defaults[]``)."""

    id: ShortText
    value: Scalar | list[str | int | float] | None = Field(default=None)
    options: list[SimpleOption | OptionGroup] | None = Field(default=None, max_length=100)
    target: Literal["custom_fields", "resource"] | None = None  # read-only in the spec; kept if sent back


class ResourceConfiguration(RequestModel):
    resource: str = Field(max_length=100)
    defaults: list[ResourceDefault] = Field(default_factory=list, max_length=100)


class CustomMappingInput(RequestModel):
    """Apideck's ``CustomMapping``; only ``value`` is writable, the rest is what a client sends back."""

    id: ShortText | None = None
    label: ShortText | None = None
    value: Annotated[str, Field(max_length=1000)] | None = None
    key: ShortText | None = None
    required: bool | None = None
    custom_field: bool | None = None
    consumer_id: ShortText | None = None


class ConsentRecordInput(RequestModel):
    id: ShortText | None = None
    created_at: ShortText | None = None
    granted: bool
    resources: DataScopesResources


class DataScopesInput(RequestModel):
    enabled: bool | None = None
    updated_at: ShortText | None = None
    resources: DataScopesResources | None = None


ConsentState = Literal["implicit", "pending", "granted", "denied", "revoked", "requires_reconsent"]


class ConnectionInput(RequestModel):
    enabled: bool | None = None
    settings: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    configuration: list[ResourceConfiguration] | None = Field(default=None, max_length=50)
    custom_mappings: list[CustomMappingInput] | None = Field(default=None, max_length=100)
    # Consent: accepted in the spec's shapes; what they mean is the consent flow's to decide.
    consent_state: ConsentState | None = None
    latest_consent: ConsentRecordInput | None = None
    application_data_scopes: DataScopesInput | None = None

    def configuration_to_store(self) -> list[dict[str, Any]] | None:
        if self.configuration is None:
            return None
        return [item.model_dump(exclude_none=True) for item in self.configuration]

    def refuse_custom_mappings(self, operation_id: str) -> None:
        """An empty list (a client sending back the connection it read) is fine; a mapping
        would need the unified data layer Vaultline does not have."""
        if self.custom_mappings:
            raise UnsupportedOperation(
                "Vaultline does not support custom mappings: it has no unified data layer",
                detail={
                    "operation_id": operation_id,
                    "field": "custom_mappings",
                    "reason": "Send custom_mappings empty or leave it out; connections never have any.",
                },
            )
