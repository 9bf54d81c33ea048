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
import time
from dataclasses import dataclass, replace
from typing import Any

from vaultline.catalog.definitions import IntegrationDefinition
from vaultline.clock import now_ms
from vaultline.config import Settings
from vaultline.connections.provider_check import ProviderAnswer, ask_provider, rejection_text
from vaultline.connections.state import is_set, missing_required_settings
from vaultline.connections.writes import ProviderVerdict
from vaultline.log_escape import escape_for_log
from vaultline.outbox_worker import backoff_seconds
from vaultline.runtime import Runtime
from vaultline.store.consumer_logs import LogEntry
from vaultline.store.provider_marks import ProviderMarks

log = logging.getLogger(__name__)

# The consumer log's operation for a verification request (api/log_view.py shows the provider's address).
VERIFY_OPERATION_ID = "verifyConnectionCredentials"
# Unreachable without an answer: logged as a gateway timeout, as a proxy would.
_NO_ANSWER_STATUS = 504


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


def outcome_text(definition: IntegrationDefinition, answer: ProviderAnswer) -> str:
    """The outcome in words: the refusal, or why the provider could not be asked."""
    if answer.verdict == "rejected":
        return rejection_text(definition, answer)
    if answer.verdict == "unreachable":
        return f"{definition.name} could not be reached: {answer.reason}"
    return f"{definition.name} accepted the credentials"


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
    runtime: Runtime,
    definition: IntegrationDefinition,
    settings: dict[str, Any],
    *,
    why: str,
    application_id: str,
    consumer_id: str,
) -> Verification:
    """Ask the provider about ``settings`` once (no transaction may be open around this); the
    call goes in the server log and the consumer's log, never with a credential."""
    started, started_ns = time.perf_counter(), time.time_ns()
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
    if runtime.settings.consumer_logs and definition.verification is not None:
        _, path = definition.verification.request.shown_address()
        error = None if answer.verdict == "accepted" else outcome_text(definition, answer)
        runtime.consumer_logs.enqueue(
            LogEntry(
                application_id=application_id,
                consumer_id=consumer_id,
                caller="server",
                method=definition.verification.request.method,
                path=path[:500],
                status_code=answer.status_code or _NO_ANSWER_STATUS,
                duration_us=int((time.perf_counter() - started) * 1_000_000),
                timestamp=started_ns // 1_000_000,
                operation_id=VERIFY_OPERATION_ID,
                operation_name=f"Verify credentials with {definition.name}"[:200],
                unified_api=definition.unified_api.value,
                service_id=definition.service_id,
                error_message=error[:500] if error else None,
            )
        )
    return Verification(definition, dict(settings), answer, now_ms())
