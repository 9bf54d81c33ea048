"""Verifying API-key and basic credentials with the provider, and what each answer does to a
connection:

- accepted: ``callable`` (when the local checks agree), health ``ok``, asked again after
  ``VAULTLINE_REVERIFY_HOURS``;
- rejected: ``invalid``, health ``needs_auth``, the provider's message as ``health_reason``;
- unreachable (no answer, 429, 5xx…): not condemned, health ``degraded`` since
  ``last_downstream_error_at``, asked again in the background with backoff.

The provider is asked outside any transaction (up to 10 s); its verdict is written only if the
settings it judged are still the stored ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.connections.provider_check import ProviderAnswer, ask_provider, rejection_text
from vaultline.connections.state import is_set, missing_required_settings
from vaultline.connections.writes import ProviderVerdict
from vaultline.log_escape import escape_for_log
from vaultline.runtime import Runtime
from vaultline.store.provider_marks import ProviderMarks
from vaultline.webhooks.delivery import backoff_seconds

log = logging.getLogger(__name__)


def verifies(runtime: Runtime, definition: IntegrationDefinition) -> bool:
    """Whether this server asks the provider about ``definition``'s credentials."""
    return runtime.settings.verify_credentials and definition.verification is not None


def inputs_changed(definition: IntegrationDefinition, old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(field_id) != new.get(field_id) for field_id in definition.verification_inputs)


def ready_to_verify(definition: IntegrationDefinition, settings: dict[str, Any]) -> bool:
    """Every credential present and no required value the request needs missing: until then the
    connection is not ``callable`` anyway, and a half-filled request proves nothing."""
    if not all(is_set(settings.get(field_id)) for field_id in definition.credential_ids):
        return False
    return not set(missing_required_settings(definition, settings)) & definition.verification_inputs


def marks_after(answer: ProviderAnswer, previous: ProviderMarks, settings: Settings, now: int) -> ProviderMarks:
    """The provider marks after ``answer`` (the OAuth refresh marks are left as they were)."""
    if answer.verdict == "accepted":
        again = now + int(settings.reverify_hours * 3_600_000) if settings.reverify_hours > 0 else None
        return replace(
            previous,
            verified_at=now,
            last_downstream_error_at=None,
            downstream_error=None,
            verification_failures=0,
            next_verification_at=again,
        )
    if answer.verdict == "rejected":  # asking again cannot help until the credentials change
        return replace(
            previous,
            verified_at=None,
            last_downstream_error_at=None,
            downstream_error=None,
            verification_failures=0,
            next_verification_at=None,
        )
    failures = previous.verification_failures + 1
    wait = backoff_seconds(
        failures, base=settings.verification_retry_base_seconds, cap=settings.verification_retry_max_seconds
    )
    return replace(
        previous,
        last_downstream_error_at=now,
        downstream_error=answer.reason,
        verification_failures=failures,
        next_verification_at=now + int(wait * 1000),
    )


def unverified_marks(previous: ProviderMarks, *, verify_at: int | None) -> ProviderMarks:
    """New credentials nobody asked the provider about (yet): nothing learnt about the old ones holds."""
    return replace(
        previous,
        verified_at=None,
        last_downstream_error_at=None,
        downstream_error=None,
        verification_failures=0,
        next_verification_at=verify_at,
    )


@dataclass(frozen=True, slots=True)
class Verification:
    """The provider's answer about exactly ``settings``."""

    definition: IntegrationDefinition
    settings: dict[str, Any]
    answer: ProviderAnswer
    at: int

    def verdict(self, previous: ProviderMarks, settings: Settings) -> ProviderVerdict:
        error = rejection_text(self.definition, self.answer) if self.answer.verdict == "rejected" else None
        return ProviderVerdict(marks_after(self.answer, previous, settings, self.at), error)


async def verify_settings(
    runtime: Runtime, definition: IntegrationDefinition, settings: dict[str, Any], *, why: str
) -> Verification:
    """Ask the provider about ``settings`` once (no transaction may be open around this)."""
    answer = await ask_provider(definition, settings, runtime.settings)
    level = logging.INFO if answer.verdict == "accepted" else logging.WARNING
    log.log(
        level,
        "verification of %s credentials (%s): %s%s",
        definition.service_id,
        why,
        answer.verdict,
        f" ({escape_for_log(answer.reason)})" if answer.verdict != "accepted" else "",
    )
    return Verification(definition, dict(settings), answer, now_ms())
