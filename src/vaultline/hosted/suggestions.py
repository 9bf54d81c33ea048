"""Suggestions: integrations the consumer has not connected, ranked by how many other consumers
of the same application connected them (ties keep the catalog's order). Explainable in one
line per card, and computed from the application's own data only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from vaultline.connections.offered import OfferedConnection
from vaultline.db.schema import connections
from vaultline.i18n.translations import Translator
from vaultline.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Suggestion:
    item: OfferedConnection
    peers: int
    translator: Translator

    @property
    def why(self) -> str:
        if self.peers == 0:
            return self.item.definition.tag_line or self.translator.gettext("Available to connect")
        return self.translator.ngettext(
            "Connected by %(num)s other account", "Connected by %(num)s other accounts", self.peers
        )


async def peer_counts(runtime: Runtime, *, application_id: str, consumer_id: str) -> dict[str, int]:
    """service_id → how many other consumers of this application have a connection to it."""
    c = connections
    query = (
        select(c.c.service_id, func.count(func.distinct(c.c.consumer_id)))
        .where(c.c.application_id == application_id, c.c.consumer_id != consumer_id)
        .group_by(c.c.service_id)
    )
    async with runtime.engine.connect() as connection:
        return {service_id: int(count) for service_id, count in await connection.execute(query)}


def rank(items: list[OfferedConnection], counts: dict[str, int], translator: Translator) -> list[Suggestion]:
    candidates = [Suggestion(item, counts.get(item.service_id, 0), translator) for item in items if item.record is None]
    order = {id(s.item): index for index, s in enumerate(candidates)}
    return sorted(candidates, key=lambda s: (-s.peers, order[id(s.item)]))
