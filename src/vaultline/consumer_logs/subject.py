"""Whom a Vault API call was made for, noted on the request by authentication.

Authentication is the one place that knows the application, the consumer and the kind of
caller; it leaves them in the ASGI scope's ``state`` and the log middleware reads them once
the response is sent. A call that never authenticated names no consumer and is not logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

CallerKind = Literal["api_key", "session"]
SUBJECT_KEY = "vaultline.consumer_log_subject"


@dataclass(slots=True)
class LogSubject:
    application_id: str | None = None
    caller: CallerKind | None = None
    consumer_id: str | None = None
    skip: bool = False  # the route asked not to be logged (reading the logs themselves)


def subject_of(request: Request) -> LogSubject:
    state = request.scope.setdefault("state", {})
    subject = state.get(SUBJECT_KEY)
    if subject is None:
        subject = state[SUBJECT_KEY] = LogSubject()
    assert isinstance(subject, LogSubject)
    return subject


def note_caller(request: Request, *, application_id: str, caller: CallerKind) -> None:
    subject = subject_of(request)
    subject.application_id = application_id
    subject.caller = caller


def note_consumer(request: Request, consumer_id: str) -> None:
    subject_of(request).consumer_id = consumer_id


def skip_consumer_log(request: Request) -> None:
    subject_of(request).skip = True
