"""The outbox: every webhook call and e-mail is a row here before it is sent, and stays until
it is delivered or has used its attempts (part of AppStore).

A failed attempt waits before the next: one minute, then twice as long each time
(:func:`backoff`), up to the delivery's ``max_attempts``. Whoever sends (the dashboard's
background sender, ``kpiboard outbox --send``, the try right after a load) first *claims* a
due delivery, moving its next attempt past the attempt's timeout in one conditional UPDATE, so
two senders never send the same row at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.entities import Channel, Delivery, NewDelivery
from kpiboard.web.db.models import DeliveryRow

FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
CLAIM_MARGIN = timedelta(seconds=30)  # past the attempt's own timeout, before another may try
ERROR_MAX = 2000


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, 8… minutes, at most 6 hours.

    >>> [int(backoff(n).total_seconds() // 60) for n in (1, 2, 3, 4, 5)]
    [1, 2, 4, 8, 16]
    """
    return min(FIRST_WAIT * (1 << max(0, min(attempts, 20) - 1)), LONGEST_WAIT)


def new_row(item: NewDelivery, now: datetime) -> DeliveryRow:
    """A new delivery's row: due at once, or at its ``not_before``."""
    return DeliveryRow(
        delivery_id=str(uuid.uuid4()),
        channel=item.channel.value,
        target=item.target,
        what=item.what[:200],
        payload=item.payload,
        attempts=0,
        max_attempts=item.max_attempts,
        timeout_seconds=item.timeout_seconds,
        created_at=now,
        next_attempt_at=item.not_before or now,
    )


def delivery_of(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        delivery_id=row.delivery_id,
        channel=Channel(row.channel),
        target=row.target,
        what=row.what,
        payload=row.payload,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        timeout_seconds=row.timeout_seconds,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


class Outbox(StoreBase):
    """Deliveries waiting, sent or given up (part of AppStore)."""

    def enqueue(self, items: Sequence[NewDelivery]) -> list[Delivery]:
        """Put deliveries in the outbox, in one transaction; each is due at once, or at its
        ``not_before``."""
        now = self.now()
        with self._write() as s:
            rows = [new_row(item, now) for item in items]
            s.add_all(rows)
            s.flush()
            return [delivery_of(r) for r in rows]

    def due(self, limit: int = 100) -> list[Delivery]:
        """Deliveries whose next attempt is now or past, oldest due first."""
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.next_attempt_at <= self.now())
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
        )
        with self._read() as s:
            return [delivery_of(r) for r in s.scalars(query)]

    def claim(self, delivery: Delivery) -> bool:
        """Take a due delivery to send it now: False when another sender took it first."""
        if delivery.next_attempt_at is None:
            return False
        until = self.now() + timedelta(seconds=delivery.timeout_seconds) + CLAIM_MARGIN
        with self._write() as s:
            done = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == delivery.id,
                    DeliveryRow.next_attempt_at == delivery.next_attempt_at,
                )
                .values(next_attempt_at=until)
            )
            return bool(getattr(done, "rowcount", 0) == 1)

    def delivered(self, delivery: Delivery) -> Delivery:
        """Record a successful attempt."""
        with self._write() as s:
            row = s.get_one(DeliveryRow, delivery.id)
            row.attempts += 1
            row.delivered_at = self.now()
            row.next_attempt_at = None
            s.flush()
            return delivery_of(row)

    def failed(self, delivery: Delivery, error: str) -> Delivery:
        """Record a failed attempt: tried again after :func:`backoff`, or given up when it has
        used its attempts."""
        with self._write() as s:
            row = s.get_one(DeliveryRow, delivery.id)
            row.attempts += 1
            row.last_error = error[:ERROR_MAX]
            done = row.attempts >= row.max_attempts
            row.next_attempt_at = None if done else self.now() + backoff(row.attempts)
            s.flush()
            return delivery_of(row)

    def deliveries(self, *, waiting: bool = False, limit: int = 200) -> list[Delivery]:
        """The latest deliveries, newest first; only those still waiting when asked."""
        query = select(DeliveryRow).order_by(DeliveryRow.id.desc()).limit(max(0, limit))
        if waiting:
            query = query.where(DeliveryRow.next_attempt_at.is_not(None))
        with self._read() as s:
            return [delivery_of(r) for r in s.scalars(query)]

    def delivery(self, delivery_id: str) -> Delivery | None:
        with self._read() as s:
            row = s.scalar(select(DeliveryRow).where(DeliveryRow.delivery_id == delivery_id))
            return None if row is None else delivery_of(row)

    def next_due(self) -> datetime | None:
        """When the earliest waiting delivery is due (the background sender sleeps till then)."""
        with self._read() as s:
            return s.scalar(
                select(DeliveryRow.next_attempt_at)
                .where(DeliveryRow.next_attempt_at.is_not(None))
                .order_by(DeliveryRow.next_attempt_at)
                .limit(1)
            )
