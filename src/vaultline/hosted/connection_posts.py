"""The forms of a connection page. Each post passes the CSRF check, re-verifies the session
(an expired one gets the "expired" page), then changes the connection through the same logic
as the connections API, so ``unified_apis`` and ``allow_actions`` are enforced on the server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vaultline.catalog.definitions import FormField
from vaultline.connections.changes import apply_connection_update, delete_consumer_connection
from vaultline.connections.consents import record_consent
from vaultline.connections.offered import OfferedConnection
from vaultline.connections.state import has_credentials
from vaultline.errors import BadRequest, Forbidden, Unprocessable
from vaultline.hosted.connection_pages import (
    connection_path,
    credential_fields,
    load,
    render_connection,
    setting_fields,
)
from vaultline.hosted.consent_panel import DECISIONS, scopes_version
from vaultline.hosted.flash import Flash, set_flash
from vaultline.hosted.forms import field_of_message, parse_settings, read_form
from vaultline.hosted.security import check_same_origin, page_headers
from vaultline.hosted.vault_session import VaultContext
from vaultline.i18n.markers import N_
from vaultline.oauth.provider_client import ProviderError
from vaultline.oauth.revocation import disconnect_oauth
from vaultline.oauth.token_grants import connect_with_entered_credentials, stored_credentials_grant
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/hosted/{session_id}/integrations/{unified_api}/{service_id}", include_in_schema=False)


def _in_language(vault: VaultContext, message: str, fallback: str, **params: object) -> str:
    """A message of the connections logic (written in English for the API) in the session's
    language when the catalog translates it, else ``fallback``, a general one that it does."""
    if vault.translator.has(message):
        return vault.gettext(message)
    return vault.gettext(fallback, **params)


async def _checked_load(
    request: Request, session_id: str, unified_api: str, service_id: str
) -> tuple[VaultContext, OfferedConnection]:
    check_same_origin(request, runtime_of(request).settings.public_url)
    return await load(request, session_id, unified_api, service_id)


def _done(vault: VaultContext, item: OfferedConnection, kind: str, *, to: str | None = None) -> Response:
    headers = page_headers(nonce=None, embed_origins=vault.application.embed_origins)
    response = RedirectResponse(to or connection_path(vault, item), status_code=303, headers=headers)
    set_flash(response, vault, Flash(kind, item.unified_api, item.service_id))
    return response


async def _save_form(
    request: Request,
    vault: VaultContext,
    item: OfferedConnection,
    fields: list[FormField],
    *,
    kind: str,
    step: str | None,
) -> Response:
    form = await read_form(request)
    stored = item.record.settings if item.record else {}
    parsed = parse_settings(fields, form, stored, vault.translator)
    if parsed.errors:
        return render_connection(
            request, vault, item, step=step, status_code=422, errors=parsed.errors, values=parsed.shown,
            form_error=vault.gettext("Please correct the highlighted fields."),
        )  # fmt: skip
    try:
        updated = await apply_connection_update(
            vault.runtime,
            vault.caller,
            item.unified_api,
            item.service_id,
            enabled=True if item.record is None else None,
            settings=parsed.settings,
        )
    except BadRequest as exc:
        where = field_of_message(exc.message)
        field_message = exc.message.split(": ", 1)[-1]
        errors = {where: _in_language(vault, field_message, N_("This value is not valid."))} if where else {}
        general = N_("These values were not accepted. Check them and try again.")
        return render_connection(
            request, vault, item, step=step, status_code=422, errors=errors, values=parsed.shown,
            form_error=None if errors else _in_language(vault, exc.message, general),
        )  # fmt: skip
    except Forbidden as exc:
        form_error = _in_language(vault, exc.message, N_("This session is not allowed to make this change."))
        return render_connection(
            request, vault, item, step=step, status_code=403, values=parsed.shown, form_error=form_error
        )
    if updated.state == "invalid" and updated.record is not None and updated.record.validation_error:
        # The provider refused what was entered: say so next to the field, and stay on the form.
        where = _refused_field(updated, fields, updated.record.validation_error)
        return render_connection(
            request, vault, vault.localized(updated), step=step, status_code=422, values=parsed.shown,
            errors={where: _in_language(
                vault, updated.record.validation_error, N_("%(name)s did not accept this value."),
                name=item.definition.name,
            )},
        )  # fmt: skip
    return _done(vault, updated, kind)


def _refused_field(item: OfferedConnection, fields: list[FormField], reason: str) -> str:
    """The field a refusal belongs next to: the one it names (a host value that cannot be
    used), else the secret credential (the key the provider refused)."""
    named = next((f.id for f in fields if reason.startswith(f"{f.label} ")), None)
    if named is not None:
        return named
    credentials = [f for f in fields if f.id in item.definition.credential_ids]
    secret = next((f.id for f in credentials if f.sensitive), None)
    return secret or (credentials[0].id if credentials else fields[0].id)


@router.post("/connect")
async def connect(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    """The connect form (all fields) or, once connected, the re-authorize form (credentials)."""
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    definition = item.definition
    if definition.grant_type == "authorization_code":
        raise Unprocessable(
            vault.gettext("%(name)s is connected by signing in to it, not with a form", name=definition.name)
        )
    if stored_credentials_grant(definition) is not None:
        return await _connect_with_grant(request, vault, item)
    reauthorizing = item.record is not None and has_credentials(definition, item.record)
    if reauthorizing and item.state != "invalid":  # refused credentials are replaced with the full form
        vault.caller.require_action("reauthorize", "replace a connection's credentials")
        return await _save_form(request, vault, item, credential_fields(item), kind="reauthorized", step="reauthorize")
    return await _save_form(request, vault, item, list(definition.form_fields), kind="connected", step=None)


async def _connect_with_grant(request: Request, vault: VaultContext, item: OfferedConnection) -> Response:
    """A client_credentials or password integration: the form's values are traded for a token at
    once and stored only if the provider accepts them; its refusal is shown on the form."""
    reauthorizing = item.record is not None and has_credentials(item.definition, item.record)
    if reauthorizing:
        vault.caller.require_action("reauthorize", "replace a connection's credentials")
    fields = credential_fields(item) if reauthorizing else list(item.definition.form_fields)
    step = "reauthorize" if reauthorizing else None
    form = await read_form(request)
    parsed = parse_settings(fields, form, item.record.settings if item.record else {}, vault.translator)
    if parsed.errors:
        return render_connection(
            request, vault, item, step=step, status_code=422, errors=parsed.errors, values=parsed.shown,
            form_error=vault.gettext("Please correct the highlighted fields."),
        )  # fmt: skip
    try:
        connected = await connect_with_entered_credentials(
            vault.runtime, vault.caller, item.unified_api, item.service_id, parsed.settings
        )
    except (BadRequest, Unprocessable, ProviderError) as exc:
        fallback = N_("%(name)s did not accept these credentials, or could not be reached. Check them and try again.")
        form_error = _in_language(vault, exc.message, fallback, name=item.definition.name)
        return render_connection(
            request, vault, item, step=step, status_code=422, values=parsed.shown, form_error=form_error
        )
    return _done(vault, connected, "reauthorized" if reauthorizing else "connected")


@router.post("/settings")
async def save_settings(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    if item.record is None or not has_credentials(item.definition, item.record):
        raise Unprocessable(vault.gettext("Connect %(name)s before changing its settings", name=item.definition.name))
    return await _save_form(request, vault, item, setting_fields(item), kind="saved", step=None)


@router.post("/resources")
async def save_resources(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    if vault.settings.get("hide_resource_settings"):
        raise Forbidden(vault.gettext("Resource settings are not part of this session"))
    form = await read_form(request)
    configuration: list[dict[str, Any]] = []
    for resource in item.definition.configurable_resources:
        value = (form.get(resource) or [""])[-1].strip()[:200]
        if value:
            configuration.append({"resource": resource, "defaults": [{"id": "owner_id", "value": value}]})
    updated = await apply_connection_update(
        vault.runtime, vault.caller, item.unified_api, item.service_id, configuration=configuration
    )
    return _done(vault, updated, "resources")


async def _set_enabled(request: Request, session_id: str, unified_api: str, service_id: str, enabled: bool) -> Response:
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    if item.record is None:
        raise Unprocessable(vault.gettext("Connect %(name)s first", name=item.definition.name))
    updated = await apply_connection_update(
        vault.runtime, vault.caller, item.unified_api, item.service_id, enabled=enabled
    )
    return _done(vault, updated, "enabled" if enabled else "disabled")


@router.post("/enable")
async def enable(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    return await _set_enabled(request, session_id, unified_api, service_id, True)


@router.post("/disable")
async def disable(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    return await _set_enabled(request, session_id, unified_api, service_id, False)


@router.post("/disconnect")
async def disconnect(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    vault.caller.require_action("disconnect", "disconnect a connection")
    if item.definition.auth_type == "oauth2":  # revoked at the provider (RFC 7009), then cleared
        await disconnect_oauth(vault.runtime, vault.caller, item.definition)
        return _done(vault, item, "disconnected")
    if item.definition.auth_type not in ("apiKey", "basic"):
        raise Unprocessable(vault.gettext("%(name)s cannot be disconnected here yet", name=item.definition.name))
    if item.record is None or not has_credentials(item.definition, item.record):
        raise Unprocessable(vault.gettext("%(name)s is not connected", name=item.definition.name))
    cleared: dict[str, Any] = dict.fromkeys(item.definition.credential_ids)
    updated = await apply_connection_update(
        vault.runtime, vault.caller, item.unified_api, item.service_id, settings=cleared
    )
    return _done(vault, updated, "disconnected")


@router.post("/delete")
async def delete(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    await delete_consumer_connection(vault.runtime, vault.caller, item.unified_api, item.service_id)
    return _done(vault, item, "deleted", to=f"{vault.base_path}/integrations")


@router.post("/consent")
async def consent(request: Request, session_id: str, unified_api: str, service_id: str) -> Response:
    """Allow, Don't allow or Withdraw consent to the application's data scopes: a consent record
    appended through the API's flow (connections/consents.py), with its webhook event. An Allow
    sent for data scopes other than those the page showed records nothing: the page asks again."""
    vault, item = await _checked_load(request, session_id, unified_api, service_id)
    form = await read_form(request)
    decision = DECISIONS.get((form.get("decision") or [""])[-1])
    if decision is None:
        raise BadRequest(vault.gettext("This choice is not one the page offers"))
    if item.record is None:
        raise Unprocessable(vault.gettext("Connect %(name)s first", name=item.definition.name))
    granted, kind = decision
    scopes = item.data_scopes
    if granted and (form.get("scopes_version") or [""])[-1] != scopes_version(scopes):
        return _done(vault, item, "consent_changed")
    await record_consent(
        vault.runtime, vault.caller, item.unified_api, item.service_id,
        granted=granted, resources=scopes.resources if scopes is not None else "*",
    )  # fmt: skip
    return _done(vault, item, kind)
