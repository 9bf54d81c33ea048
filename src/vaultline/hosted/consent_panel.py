"""The consent panel of a connection page: what the application's data scopes ask of the
consumer, in words a person reads (resources, what it sees and what it changes, what is new
since their last grant), and the decisions the page posts (rules: connections/consents.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vaultline.connections.consent_state import GRANTED, consent_required, consent_state_of, missing_scopes
from vaultline.connections.offered import OfferedConnection
from vaultline.hosted.presentation import resource_label, unified_api_label
from vaultline.i18n.translations import Translator
from vaultline.store.data_scopes import DataScopes, Resources

# The states in which the page asks (Allow); in the first two a decision is still open (Don't allow).
ASKING_STATES = ("pending", "requires_reconsent", "denied", "revoked")
UNDECIDED_STATES = ("pending", "requires_reconsent")
# A decision posted by the page → whether it grants, and the flash it leaves (page_chrome.FLASH_MESSAGES).
DECISIONS = {
    "allow": (True, "consent_granted"),
    "deny": (False, "consent_denied"),
    "withdraw": (False, "consent_withdrawn"),
}


@dataclass(frozen=True, slots=True)
class ScopeField:
    label: str
    new: bool  # asked for since the consumer's last grant


@dataclass(frozen=True, slots=True)
class ScopeResource:
    label: str  # "Contacts"
    area: str | None  # the unified API it belongs to, "CRM"
    see: tuple[ScopeField, ...]
    change: tuple[ScopeField, ...]


@dataclass(frozen=True, slots=True)
class ConsentPanel:
    state: str
    everything: bool  # the application asks for every resource and field ("*")
    resources: tuple[ScopeResource, ...]
    has_new: bool
    decided_on: str | None  # the latest record's date, written the reader's way
    # What the page showed: an Allow posted after the data scopes changed is not a grant of them.
    scopes_version: str

    @property
    def asking(self) -> bool:
        return self.state in ASKING_STATES

    @property
    def undecided(self) -> bool:
        return self.state in UNDECIDED_STATES


def scopes_version(scopes: DataScopes | None) -> str:
    return str(scopes.updated_at) if scopes is not None else ""


def _readable(identifier: str) -> str:
    return identifier.replace("_", " ").replace(".", " ").strip().capitalize() or identifier


def _resource(name: str, fields: dict[str, dict[str, bool]], new: set[str], translator: Translator) -> ScopeResource:
    area, _, resource = name.rpartition(".")
    see: list[ScopeField] = []
    change: list[ScopeField] = []
    for field, permissions in fields.items():
        if not isinstance(permissions, dict):
            continue
        for permission, shown_in in (("read", see), ("write", change)):
            if permissions.get(permission):
                shown_in.append(ScopeField(_readable(field), f"{name}.{field}:{permission}" in new))
    return ScopeResource(
        resource_label(resource, translator),
        unified_api_label(area, translator) if area else None,
        tuple(see),
        tuple(change),
    )


def _date(iso: object, translator: Translator) -> str | None:
    if not isinstance(iso, str):
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return translator.format_date(moment)


def consent_panel(item: OfferedConnection, translator: Translator) -> ConsentPanel | None:
    """The panel for ``item``, or ``None`` when the application asks for no consent or the
    consumer has no connection yet (consent is recorded on a connection)."""
    scopes, record = item.data_scopes, item.record
    if record is None or scopes is None or not consent_required(scopes):
        return None
    state = consent_state_of(scopes, record.consents)
    if state not in ASKING_STATES and state != GRANTED:
        return None
    latest = record.consents[-1] if record.consents else None
    new: set[str] = set()
    if state == "requires_reconsent" and latest is not None:
        new = set(missing_scopes(latest.get("resources", {}), scopes.resources))
    wanted: Resources = scopes.resources
    everything = not isinstance(wanted, dict)
    resources = (
        ()
        if not isinstance(wanted, dict)
        else tuple(
            _resource(name, fields, new, translator) for name, fields in wanted.items() if isinstance(fields, dict)
        )
    )
    return ConsentPanel(
        state=state,
        everything=everything,
        resources=resources,
        has_new=bool(new),
        decided_on=_date(latest.get("created_at"), translator) if latest is not None else None,
        scopes_version=scopes_version(scopes),
    )
