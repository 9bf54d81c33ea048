"""One integration's page: connect (API-key/basic form or OAuth Authorize), consent to the
application's data scopes, its settings, resource settings, guide and the actions
``allow_actions`` permits, plus the confirmation page that guards destructive actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vaultline.catalog.definitions import FormField
from vaultline.connections.health import health_reason
from vaultline.connections.offered import OfferedConnection, find_connection
from vaultline.connections.state import has_credentials, is_set
from vaultline.errors import NotFound
from vaultline.hosted.consent_panel import consent_panel
from vaultline.hosted.flash import pop_flash, read_flash
from vaultline.hosted.page_chrome import page_chrome, with_query
from vaultline.hosted.presentation import badge_for, health_of, resource_label
from vaultline.hosted.rendering import renderer_of
from vaultline.hosted.security import SESSION_COOKIE, page_headers, set_oauth_binding_cookie
from vaultline.hosted.vault_session import VaultContext, open_vault
from vaultline.i18n.markers import N_
from vaultline.oauth.browser_binding import binding_digest, browser_binding
from vaultline.oauth.links import authorize_link
from vaultline.runtime import runtime_of

router = APIRouter(prefix="/hosted/{session_id}/integrations/{unified_api}/{service_id}", include_in_schema=False)

CONFIRMATIONS = {
    "disconnect": (
        N_("Disconnect %(name)s?"),
        N_(
            "Your %(name)s credentials will be removed. "
            "%(app)s will stop syncing with %(name)s until you connect it again."
        ),
        N_("Yes, disconnect"),
    ),
    "delete": (
        N_("Delete the %(name)s connection?"),
        N_("The connection and all its settings will be deleted. This cannot be undone."),
        N_("Yes, delete"),
    ),
}


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    label: str
    href: str
    confirm: bool = False
    danger: bool = False
    link: bool = False


def connection_path(vault: VaultContext, item: OfferedConnection) -> str:
    return f"{vault.base_path}/integrations/{item.unified_api}/{item.service_id}"


def credential_fields(item: OfferedConnection) -> list[FormField]:
    ids = set(item.definition.credential_ids)
    return [f for f in item.definition.form_fields if f.id in ids]


def setting_fields(item: OfferedConnection) -> list[FormField]:
    ids = set(item.definition.credential_ids)
    return [f for f in item.definition.form_fields if f.id not in ids]


def permitted_actions(vault: VaultContext, item: OfferedConnection) -> list[Action]:
    """Only what the session's ``allow_actions`` permits and the connection's state makes sense of."""
    record, path = item.record, connection_path(vault, item)
    if record is None:
        return []
    credentials = has_credentials(item.definition, record)
    form_based = item.definition.auth_type in ("apiKey", "basic", "oauth2")
    actions: list[Action] = []
    _ = vault.gettext
    if vault.allows("disable"):
        actions.append(
            Action("disable", _("Disable"), f"{path}/disable")
            if record.enabled
            else Action("enable", _("Enable"), f"{path}/enable")
        )
    if vault.allows("reauthorize") and credentials and form_based:
        actions.append(Action("reauthorize", _("Re-authorize"), f"{path}?step=reauthorize", link=True))
    if vault.allows("disconnect") and credentials and form_based:
        actions.append(Action("disconnect", _("Disconnect"), f"{path}/confirm/disconnect", confirm=True, danger=True))
    if vault.allows("delete"):
        actions.append(Action("delete", _("Delete"), f"{path}/confirm/delete", confirm=True, danger=True))
    return actions


def _authorize_url(vault: VaultContext, item: OfferedConnection, show_connect: bool, binding: str | None) -> str | None:
    """A signed Authorize link for this session and this browser, coming back to this page
    (oauth/links.py); the page sets the binding cookie it names (oauth/browser_binding.py)."""
    if not show_connect or item.definition.grant_type != "authorization_code" or item.needs_oauth_client:
        return None
    if not binding:
        return None
    return authorize_link(
        vault.runtime,
        application_id=vault.application.id,
        consumer_id=vault.session.consumer_id,
        unified_api=item.unified_api,
        service_id=item.service_id,
        session_id=vault.session_id,
        redirect_uri=vault.runtime.settings.public_url + connection_path(vault, item),
        binding_digest=binding_digest(binding),
        locale=vault.locale,
    )


def _resources(vault: VaultContext, item: OfferedConnection) -> list[dict[str, str]]:
    stored = {c.get("resource"): c for c in (item.record.configuration if item.record else None) or []}
    resources = []
    for name in item.definition.configurable_resources:
        defaults = stored.get(name, {}).get("defaults") or []
        value = next((str(d.get("value", "")) for d in defaults if d.get("id") == "owner_id"), "")
        resources.append({"name": name, "label": resource_label(name, vault.translator), "value": value})
    return resources


def _in_language(vault: VaultContext, message: str | None, general: str) -> str | None:
    if message is None or vault.translator.has(message):
        return vault.gettext(message) if message is not None else None
    return vault.gettext(general)


def _known_in_language(vault: VaultContext, message: str | None) -> str | None:
    if message is not None and vault.translator.has(message):
        return vault.gettext(message)
    return message


def render_connection(
    request: Request,
    vault: VaultContext,
    item: OfferedConnection,
    *,
    step: str | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    form_error: str | None = None,
) -> Response:
    record = item.record
    credentials = record is not None and has_credentials(item.definition, record)
    reauthorizing = step == "reauthorize" and credentials and vault.allows("reauthorize")
    health = health_of(item)
    # Credentials the provider refused (or OAuth tokens that stopped working) are fixed by
    # entering new ones: the form (or Authorize) shows again, without asking for "reauthorize".
    needs_new_credentials = credentials and (item.state == "invalid" or health == "pending_refresh")
    show_connect = not credentials or reauthorizing or needs_new_credentials
    refused = set(item.definition.credential_ids)
    if reauthorizing:
        connect_fields = credential_fields(item)
    else:
        connect_fields = list(item.definition.form_fields)
    stored = record.settings if record else {}
    page = page_chrome(vault, current="integrations")
    flash = read_flash(request)
    if flash is not None and (flash.unified_api, flash.service_id) == (item.unified_api, item.service_id):
        page.flash = flash.message(vault)
        if flash.kind == "deleted":
            page.event = {"type": "connection_delete", "connection": flash.connection_ref()}
        elif flash.kind not in ("oauth_denied", "consent_changed"):  # these changed nothing
            page.event = {"type": "connection_change", "connection": item.event()}
        became_callable = item.state == "callable" and flash.kind in ("connected", "saved", "reauthorized")
        if became_callable and vault.settings.get("auto_redirect") and vault.redirect_uri and not vault.embedded:
            page.auto_redirect = with_query(vault.redirect_uri, authorizedConnection=item.service_id)
            page.flash = None
    has_record = record is not None
    session_cookie = request.cookies.get(SESSION_COOKIE)  # open_vault verified it
    binding = browser_binding(session_cookie) if session_cookie else None
    authorize_url = _authorize_url(vault, item, show_connect, binding)
    response = renderer_of(request).render(
        "connection.html",
        locale=vault.locale,
        status_code=status_code,
        embed_origins=vault.application.embed_origins,
        theme=vault.theme,
        page=page,
        item=item,
        badge=badge_for(item, vault.translator),
        health=health,
        # The provider's own refusal is English (it is the API's too): shown when the catalog
        # translates it, else a general sentence that is.
        health_reason=_in_language(
            vault, health_reason(item.definition, record), N_("The provider did not accept these credentials.")
        ),
        # Why the provider could not be asked: in the reader's language when it is one of ours
        # (connections/provider_check.py marks them), else as recorded ("HTTP 503").
        downstream_error=_known_in_language(vault, record.provider.downstream_error if record else None),
        show_connect=show_connect,
        reauthorizing=reauthorizing,
        connect_fields=connect_fields,
        settings_fields=setting_fields(item) if credentials else [],
        values=values
        if values is not None
        else {k: v for k, v in stored.items() if k not in item.definition.sensitive_ids},
        # Refused credentials are not offered as "saved, leave empty to keep": they need replacing.
        saved={k: is_set(v) and not (needs_new_credentials and k in refused) for k, v in stored.items()},
        errors=errors or {},
        form_error=form_error,
        authorize_url=authorize_url,
        # Inside Vault JS, Authorize opens the provider in a popup (providers refuse to be framed).
        oauth_popup=f"{connection_path(vault, item)}/oauth-popup" if authorize_url and vault.embedded else None,
        connection_url=connection_path(vault, item),
        resources=_resources(vault, item) if has_record and not vault.settings.get("hide_resource_settings") else [],
        guide=item.definition.guide if not vault.settings.get("hide_guides") else None,
        actions=permitted_actions(vault, item),
        consent=consent_panel(item, vault.translator),
        consent_url=f"{connection_path(vault, item)}/consent",
    )
    if authorize_url is not None and binding is not None:
        secure = vault.runtime.settings.serves_https
        set_oauth_binding_cookie(response, binding, secure=secure, cross_site=vault.embedded)
    pop_flash(request, response, vault)
    return response


async def load(
    request: Request, session_id: str, unified_api: str, service_id: str
) -> tuple[VaultContext, OfferedConnection]:
    runtime = runtime_of(request)
    vault = await open_vault(request, runtime, session_id)
    item = await find_connection(runtime, vault.caller, unified_api, service_id)
    return vault, vault.localized(item)


@router.get("")
async def connection_page(
    request: Request,
    session_id: str,
    unified_api: str,
    service_id: str,
    step: str | None = Query(default=None, max_length=32),
) -> Response:
    vault, item = await load(request, session_id, unified_api, service_id)
    focus = vault.view.focus
    if vault.isolated and focus and focus != (unified_api, service_id):
        headers = page_headers(nonce=None, embed_origins=vault.application.embed_origins)
        return RedirectResponse(
            f"{vault.base_path}/integrations/{focus[0]}/{focus[1]}", status_code=303, headers=headers
        )
    return render_connection(request, vault, item, step=step)


@router.get("/confirm/{action}")
async def confirm_page(request: Request, session_id: str, unified_api: str, service_id: str, action: str) -> Response:
    vault, item = await load(request, session_id, unified_api, service_id)
    if action not in CONFIRMATIONS:
        raise NotFound(vault.gettext("There is nothing to confirm here"))
    vault.caller.require_action(action, f"{action} a connection")
    question, explanation, label = CONFIRMATIONS[action]
    names = {"name": item.definition.name, "app": vault.application.name}
    _ = vault.gettext
    path = connection_path(vault, item)
    return renderer_of(request).render(
        "confirm.html",
        locale=vault.locale,
        embed_origins=vault.application.embed_origins,
        theme=vault.theme,
        page=page_chrome(vault, current="integrations"),
        question=_(question, **names),
        explanation=_(explanation, **names),
        confirm_label=_(label),
        action_url=f"{path}/{action}",
        cancel_url=path,
    )
