"""How connections are named and ordered for a person: state badges, unified API labels,
grouping with the consumer's own connections first, and the integration search."""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.connections.health import connection_health
from vaultline.connections.offered import OfferedConnection
from vaultline.i18n.markers import N_
from vaultline.i18n.translations import Translator

_BADGES = {
    "available": N_("Not connected"),
    "added": N_("Needs authorization"),
    "authorized": N_("Needs configuration"),
    "callable": N_("Connected"),
    "invalid": N_("Invalid"),
}
_ACRONYMS = {"crm": "CRM", "ats": "ATS", "hris": "HRIS", "pos": "POS", "sms": "SMS", "csp": "CSP"}
# Every unified API a catalog can name (fields.UnifiedApiId); one missing here still gets a
# readable English label from its id.
_LABELS = {
    "accounting": N_("Accounting"),
    "ats": N_("Recruiting (ATS)"),
    "calendar": N_("Calendar"),
    "crm": N_("CRM"),
    "csp": N_("Cloud service providers"),
    "customer-support": N_("Customer support"),
    "data-warehouse": N_("Data warehouse"),
    "ecommerce": N_("E-commerce"),
    "email": N_("Email"),
    "email-marketing": N_("Email marketing"),
    "expense-management": N_("Expense management"),
    "file-storage": N_("File storage"),
    "form": N_("Forms"),
    "hris": N_("HR (HRIS)"),
    "issue-tracking": N_("Issue tracking"),
    "lead": N_("Leads"),
    "payroll": N_("Payroll"),
    "pos": N_("Point of sale (POS)"),
    "procurement": N_("Procurement"),
    "project-management": N_("Project management"),
    "script": N_("Scripts"),
    "sms": N_("SMS"),
    "spreadsheet": N_("Spreadsheets"),
    "subscription-analytics": N_("Subscription analytics"),
    "team-messaging": N_("Team messaging"),
    "time-registration": N_("Time registration"),
    "transactional-email": N_("Transactional email"),
    "vault": N_("Vault"),
}

# The catalog's configurable resources, named for people (any other: its id, readable).
RESOURCE_LABELS = {
    "applications": N_("Applications"),
    "candidates": N_("Candidates"),
    "companies": N_("Companies"),
    "contacts": N_("Contacts"),
    "deals": N_("Deals"),
    "employees": N_("Employees"),
    "jobs": N_("Jobs"),
    "leads": N_("Leads"),
    "opportunities": N_("Opportunities"),
    "organizations": N_("Organizations"),
    "persons": N_("People"),
}


@dataclass(frozen=True, slots=True)
class Badge:
    key: str
    label: str


def badge_for(item: OfferedConnection, translator: Translator) -> Badge:
    """The connection's state for a person, in their language."""
    if item.record is not None and not item.record.enabled:
        return Badge("disabled", translator.gettext("Disabled"))
    health = health_of(item) if item.record is not None else None
    if item.state == "callable" and health == "degraded":
        # Usable, but the provider could not be asked.
        return Badge("degraded", translator.gettext("Connected, not verified"))
    if health == "needs_consent":  # the connection page asks for it (hosted/consent_panel.py)
        return Badge("needs_consent", translator.gettext("Needs your consent"))
    return Badge(item.state, translator.gettext(_BADGES[item.state]))


def health_of(item: OfferedConnection) -> str | None:
    return connection_health(item.definition, item.record, item.data_scopes)


def resource_label(name: str, translator: Translator) -> str:
    """A catalog resource (``contacts``) named for people, in their language; any other: its id, readable."""
    if name in RESOURCE_LABELS:
        return translator.gettext(RESOURCE_LABELS[name])
    return name.replace("_", " ").capitalize()


def unified_api_label(unified_api: str, translator: Translator) -> str:
    if unified_api in _LABELS:
        return translator.gettext(_LABELS[unified_api])
    words = [_ACRONYMS.get(word, word) for word in unified_api.split("-")]
    return " ".join(words).capitalize() if words[0] not in _ACRONYMS.values() else " ".join(words)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    label: str
    items: list[OfferedConnection]


def matches(item: OfferedConnection, query: str) -> bool:
    needle = query.strip().lower()
    haystack = f"{item.definition.name} {item.unified_api} {item.definition.tag_line or ''}".lower()
    return all(word in haystack for word in needle.split())


def grouped(items: list[OfferedConnection], translator: Translator, *, query: str = "") -> list[Group]:
    """Grouped by unified API; the consumer's connections first, in groups and within them."""
    position = {id(item): index for index, item in enumerate(items)}
    groups: dict[str, list[OfferedConnection]] = {}
    for item in items:
        if not query or matches(item, query):
            groups.setdefault(item.unified_api, []).append(item)
    result = [
        Group(
            api,
            unified_api_label(api, translator),
            sorted(members, key=lambda i: (i.record is None, position[id(i)])),
        )
        for api, members in groups.items()
    ]
    return sorted(result, key=lambda g: (all(i.record is None for i in g.items), g.label.lower()))
