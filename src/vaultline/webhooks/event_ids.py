"""Event ids that sort in the order this process made them: the UUIDv7 layout (RFC 9562 §5.7),
a millisecond timestamp then a counter, so two events of one change written in the same
millisecond (``updated`` then ``callable``) are listed and delivered in that order."""

from __future__ import annotations

import secrets
import threading
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_COUNTER_BITS = 12  # rand_a: enough for 4,096 events per millisecond, then the clock is borrowed


def new_event_id(at_ms: int) -> str:
    global _last_ms, _counter
    with _lock:
        if at_ms > _last_ms:
            _last_ms, _counter = at_ms, secrets.randbelow(1 << (_COUNTER_BITS - 1))
        else:
            _counter += 1
            if _counter >= 1 << _COUNTER_BITS:  # overflow: move on to the next millisecond
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))
