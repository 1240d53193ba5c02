"""Reminders about entered figures (docs/ENTRY.md, "Due dates and reminders"): the key of
every reminder put in the outbox, so that each is sent once however often, and by however
many senders, the reminders are looked for; and the kinds each person asked not to be sent
(part of AppStore).

The keys and the deliveries they make are written in one transaction, under a unique
constraint: two senders that found the same reminder at once cannot both enqueue it (the
second's transaction fails and enqueues nothing; its next round finds the reminder sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from kpiboard import announcements
from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.entities import Delivery, NewDelivery, Person, ReminderKey, Role, User
from kpiboard.web.db.models import ReminderOptOutRow, ReminderSentRow, UserRow
from kpiboard.web.db.outbox import delivery_of, new_row
from kpiboard.web.db.snapshot import user_of

REMINDER_KINDS = tuple(k.value for k in announcements.REMINDER_KINDS)


class Reminders(StoreBase):
    """Reminders sent, and people's opt-outs (part of AppStore)."""

    def people(self) -> list[Person]:
        """Every active account, with its address and opt-outs, by username."""
        with self._read() as s:
            rows = list(
                s.scalars(
                    select(UserRow).where(UserRow.active.is_(True)).order_by(UserRow.username)
                )
            )
            outs = s.execute(select(ReminderOptOutRow.user_id, ReminderOptOutRow.kind)).all()
            found: dict[int, set[str]] = {}
            for uid, kind in outs:
                found.setdefault(uid, set()).add(kind)
            return [Person(user_of(r), r.email, frozenset(found.get(r.id, ()))) for r in rows]

    def reminder_optouts(self, user: User) -> frozenset[str]:
        """The kinds of reminder ``user`` asked not to be e-mailed."""
        with self._read() as s:
            return frozenset(
                s.scalars(
                    select(ReminderOptOutRow.kind).where(ReminderOptOutRow.user_id == user.id)
                )
            )

    def set_reminder_optouts(
        self, user: User, kinds: Iterable[str], ip: str | None = None
    ) -> frozenset[str]:
        """Replace the kinds of reminder ``user`` does not want (unknown kinds are dropped);
        their own choice, any active user. Audited ``reminders_changed``."""
        wanted = frozenset(k for k in kinds if k in REMINDER_KINDS)
        with self._write() as s:
            self._require(s, user, Role.VIEWER, "choose reminders")
            s.execute(delete(ReminderOptOutRow).where(ReminderOptOutRow.user_id == user.id))
            s.add_all(ReminderOptOutRow(user_id=user.id, kind=k) for k in sorted(wanted))
            self._audit(s, "reminders_changed", user.username, {"not_sent": sorted(wanted)}, ip)
        return wanted

    def reminders_sent(self, months: Iterable[str]) -> set[ReminderKey]:
        """The keys of the reminders already enqueued about these months."""
        wanted = sorted(set(months))
        if not wanted:
            return set()
        query = select(ReminderSentRow).where(ReminderSentRow.month.in_(wanted))
        with self._read() as s:
            return {
                ReminderKey(r.org, r.measure, r.month, r.kind, r.recipient, r.step)
                for r in s.scalars(query)
            }

    def enqueue_reminders(
        self, batches: Sequence[tuple[Sequence[ReminderKey], NewDelivery]]
    ) -> list[Delivery]:
        """Record each batch's keys and put its delivery in the outbox, all in one
        transaction. When another sender recorded any of the keys first, nothing is enqueued
        (an empty list): the reminders are that sender's, and the next round finds them sent."""
        if not batches:
            return []
        now = self.now()
        try:
            with self._write() as s:
                s.add_all(
                    ReminderSentRow(
                        org=k.org,
                        measure=k.measure,
                        month=k.month,
                        kind=k.kind,
                        recipient=k.recipient[:2000],
                        step=k.step,
                        sent_at=now,
                    )
                    for keys, _ in batches
                    for k in keys
                )
                rows = [new_row(item, now) for _, item in batches]
                s.add_all(rows)
                s.flush()
                return [delivery_of(r) for r in rows]
        except IntegrityError:
            return []
