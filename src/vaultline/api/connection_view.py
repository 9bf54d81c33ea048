"""A connection on the wire, in the shape of Apideck's ``Connection`` schema.

Sensitive settings are always masked here; the plaintext leaves the server only through the
credentials endpoint (``connection_credentials_view``), to the application's backend.
"""

from __future__ import annotations

from typing import Any

from vaultline.catalog.definitions import FormField, IntegrationDefinition
from vaultline.connection_ids import connection_id
from vaultline.connections.consents import consent_fields
from vaultline.connections.health import health_fields
from vaultline.connections.offered import OfferedConnection
from vaultline.connections.settings import mask_settings
from vaultline.connections.state import connection_state, has_credentials, supports_validation
from vaultline.store.connections import ConnectionRecord
from vaultline.store.data_scopes import DataScopes
from vaultline.store.integrations import ApplicationIntegration


def _form_field_view(form_field: FormField, value: Any) -> dict[str, Any]:
    return {
        "id": form_field.id,
        "label": form_field.label,
        "placeholder": form_field.placeholder,
        "description": form_field.description,
        "type": form_field.type,
        "required": form_field.required,
        "custom_field": False,
        "allow_custom_values": False,
        "disabled": False,
        "hidden": False,
        "deprecated": False,
        "sensitive": form_field.sensitive,
        "prefix": form_field.prefix,
        "suffix": form_field.suffix,
        "options": [option.model_dump() for option in form_field.options],
        "value": value,
    }


def integration_state(definition: IntegrationDefinition, offering: ApplicationIntegration | None) -> str:
    if definition.auth_type != "oauth2" or definition.grant_type == "client_credentials":
        return "configured"
    configured = offering is not None and offering.oauth_client_id and offering.has_oauth_client_secret
    return "configured" if configured else "needs_configuration"


def offered_connection_view(item: OfferedConnection) -> dict[str, Any]:
    """The wire shape of a connection as a flow answered it, with the application's data scopes
    (every route renders through here, so no answer can leave the consent fields out)."""
    return connection_view(item.definition, item.record, item.offering, item.data_scopes)


# An ``available`` entry (the consumer has no connection) depends only on the catalog entry, the
# application's offering and its data scopes, all of them objects of the configuration cached
# under its version (store/app_config.py): a new version brings new objects, so an entry keyed
# by their identity is never stale. The objects are kept in the entry (an id is only unique while
# its object lives). Built ~50 times per connection list before; views are only serialized.
_AVAILABLE_VIEWS: dict[tuple[int, int, int], tuple[object, object, object, dict[str, Any]]] = {}
_MAX_AVAILABLE_VIEWS = 8192


def listed_connection_view(item: OfferedConnection) -> dict[str, Any]:
    """``offered_connection_view`` for a list answer, which only serializes it: an available
    entry is built once per configuration version. Never hand the result to code that changes it."""
    if item.record is not None:
        return offered_connection_view(item)
    key = (id(item.definition), id(item.offering), id(item.data_scopes))
    entry = _AVAILABLE_VIEWS.get(key)
    if entry is not None and entry[0] is item.definition and entry[1] is item.offering and entry[2] is item.data_scopes:
        return entry[3]
    view = offered_connection_view(item)
    if len(_AVAILABLE_VIEWS) >= _MAX_AVAILABLE_VIEWS:
        _AVAILABLE_VIEWS.clear()
    _AVAILABLE_VIEWS[key] = (item.definition, item.offering, item.data_scopes, view)
    return view


def connection_view(
    definition: IntegrationDefinition,
    record: ConnectionRecord | None,
    offering: ApplicationIntegration | None,
    scopes: DataScopes | None,
) -> dict[str, Any]:
    """``scopes``: the application's data scopes, which the consent fields and health reflect."""
    state = connection_state(definition, record)
    settings = mask_settings(definition, record.settings) if record else {}
    view: dict[str, Any] = {
        "id": connection_id(definition.unified_api, definition.service_id),
        "service_id": definition.service_id,
        "name": definition.name,
        "tag_line": definition.tag_line,
        "unified_api": definition.unified_api.value,
        "state": state,
        "integration_state": integration_state(definition, offering),
        "auth_type": definition.auth_type,
        "status": "live",
        "enabled": record.enabled if record else False,
        "website": definition.website,
        "icon": definition.logo_url,
        "logo": definition.logo_url,
        # The OAuth authorize/revoke flow is not served yet; null tells clients so.
        "authorize_url": None,
        "revoke_url": None,
        "settings": settings,
        "metadata": record.metadata if record else None,
        "form_fields": [_form_field_view(f, settings.get(f.id)) for f in definition.form_fields],
        "configuration": (record.configuration if record else None) or [],
        "configurable_resources": list(definition.configurable_resources),
        "resource_schema_support": [],
        "resource_settings_support": list(definition.configurable_resources),
        "validation_support": supports_validation(definition),
        "schema_support": False,
        "settings_required_for_authorization": ["client_id", "client_secret"] if definition.oauth else [],
        "subscriptions": [],
        "has_guide": definition.guide is not None,
        # Vaultline has no unified data layer to map fields into: never any custom mappings.
        "custom_mappings": [],
        "updated_at": record.updated_at if record else None,
    }
    if record is not None:  # Apideck's created_at is a number, never null: absent until the row exists
        view["created_at"] = record.created_at
    if definition.oauth is not None:
        view["oauth_grant_type"] = definition.oauth.grant_type
    view.update(consent_fields(scopes, record))
    view.update(health_fields(definition, record, scopes))  # Apideck's summary for dashboards
    return view


def connection_credentials_view(definition: IntegrationDefinition, record: ConnectionRecord) -> dict[str, Any]:
    """Everything the backend needs to call the provider, in plaintext."""
    return {
        "id": connection_id(definition.unified_api, definition.service_id),
        "service_id": definition.service_id,
        "unified_api": definition.unified_api.value,
        "auth_type": definition.auth_type,
        "state": connection_state(definition, record),
        "enabled": record.enabled,
        "settings": dict(record.settings),
        "credentials": record.oauth_credentials,
        "has_credentials": has_credentials(definition, record),
        "updated_at": record.updated_at,
    }
