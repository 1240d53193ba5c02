"""The sign-in throttling rule, as a pure function of the failure times.

A key (a username, or an IP address) is locked when it has ``limit`` failures within
``window`` of each other, and it stays locked until ``window`` after the latest of them.
Refused (throttled) attempts are not failures, so hammering a locked account does not extend
the lock; for usernames only failures since the last successful sign-in count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
LOOK_BACK = 2 * WINDOW  # how far back the throttle reads attempts: older ones make no difference
USERNAME_LIMIT = 5
IP_LIMIT = 20


def retry_after(
    failures: Sequence[datetime], now: datetime, limit: int, window: timedelta = WINDOW
) -> int | None:
    """Seconds until the key may try again, or None when it is not locked.

    ``failures`` are the key's failure times (any order; those older than ``2 * window``
    before ``now`` make no difference, which is why the store reads back only
    :data:`LOOK_BACK` and may delete older attempts).

    >>> from datetime import UTC
    >>> t = [datetime(2026, 1, 1, 9, m, tzinfo=UTC) for m in range(5)]
    >>> retry_after(t, datetime(2026, 1, 1, 9, 5, tzinfo=UTC), 5)
    840
    >>> retry_after(t, datetime(2026, 1, 1, 9, 19, tzinfo=UTC), 5) is None
    True
    """
    if not failures:
        return None
    latest = max(failures)
    until = latest + window
    if now >= until:
        return None
    if sum(1 for f in failures if latest - window <= f <= latest) < limit:
        return None
    return max(1, math.ceil((until - now).total_seconds()))
