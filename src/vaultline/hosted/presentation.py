"""How connections are named and ordered for a person: state badges, unified API labels,
grouping with the consumer's own connections first, and the integration search."""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.connections.health import connection_health
from vaultline.connections.offered import OfferedConnection

_BADGES = {
    "available": "Not connected",
    "added": "Needs authorization",
    "authorized": "Needs configuration",
    "callable": "Connected",
    "invalid": "Invalid",
}
_ACRONYMS = {"crm": "CRM", "ats": "ATS", "hris": "HRIS", "pos": "POS", "sms": "SMS", "csp": "CSP"}
_LABELS = {"ats": "Recruiting (ATS)", "hris": "HR (HRIS)", "crm": "CRM"}


@dataclass(frozen=True, slots=True)
class Badge:
    key: str
    label: str


def badge_for(item: OfferedConnection) -> Badge:
    """The connection's state for a person (templates pass ``label`` through gettext)."""
    if item.record is not None and not item.record.enabled:
        return Badge("disabled", "Disabled")
    if item.state == "callable" and health_of(item) == "degraded":
        return Badge("degraded", "Connected, not verified")  # usable, but the provider could not be asked
    return Badge(item.state, _BADGES[item.state])


def health_of(item: OfferedConnection) -> str | None:
    return connection_health(item.definition, item.record, item.data_scopes)


def unified_api_label(unified_api: str) -> str:
    if unified_api in _LABELS:
        return _LABELS[unified_api]
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


def grouped(items: list[OfferedConnection], *, query: str = "") -> list[Group]:
    """Grouped by unified API; the consumer's connections first, in groups and within them."""
    position = {id(item): index for index, item in enumerate(items)}
    groups: dict[str, list[OfferedConnection]] = {}
    for item in items:
        if not query or matches(item, query):
            groups.setdefault(item.unified_api, []).append(item)
    result = [
        Group(api, unified_api_label(api), sorted(members, key=lambda i: (i.record is None, position[id(i)])))
        for api, members in groups.items()
    ]
    return sorted(result, key=lambda g: (all(i.record is None for i in g.items), g.label.lower()))
