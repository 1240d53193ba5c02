"""Telling people what a new vintage brought, and sending published packs (issue 13 item 6):
signed JSON webhooks and e-mail over SMTP, through an outbox in the application database.

The entry points:

- :func:`announce` after a load (``kpiboard ingest``, the dashboard's reload): puts a webhook
  call per configured webhook and an e-mail per subscriber in the outbox, tries each once now,
  and reports; a delivery that fails is recorded and retried later, never raised.
- :func:`distribute_pack` after a publication: the pack's e-mails, held until their time.
- :func:`remind`: the reminders about entered figures due now, each put in the outbox once
  (the background sender calls it each round, ``kpiboard outbox --send`` each run).
- :func:`send_due` and :class:`BackgroundSender`: retrying (``kpiboard outbox --send``, and the
  thread ``kpiboard serve`` runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kpiboard.announcements import Announcement
from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.placeholders import timeless
from kpiboard.web.db import AppStore, Channel, Delivery, Publication
from kpiboard.web.notify.plan import announcement_deliveries, pack_deliveries
from kpiboard.web.notify.remind import remind
from kpiboard.web.notify.sender import (
    BackgroundSender,
    Log,
    attempt,
    audit_failures,
    describe,
    send_due,
)

__all__ = [
    "BackgroundSender",
    "DeliveryReport",
    "announce",
    "audit_failures",
    "describe",
    "distribute_pack",
    "remind",
    "send_due",
]


@dataclass(frozen=True)
class DeliveryReport:
    """What became of a vintage's announcements: every delivery made, as it stands after the
    first try (delivered, or waiting to be retried with its error)."""

    deliveries: tuple[Delivery, ...]

    @property
    def delivered(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.state == "delivered")

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.state != "delivered")

    def lines(self) -> list[str]:
        """For people: one line per delivery."""
        return [describe(d) for d in self.deliveries]


def announce(
    catalogue: Catalogue,
    store: AppStore,
    vintage: int,
    announcements: Sequence[Announcement],
    log: Log | None = None,
) -> DeliveryReport:
    """Enqueue the vintage's deliveries and try each once now (each attempt bounded by its
    configured timeout; after a failure, the rest for the same server are left to the sender).
    A failed delivery is in the report, handed to ``log`` and retried later by the sender; it
    never raises."""
    settings = catalogue.project.announcements
    items = announcement_deliveries(
        settings, timeless(catalogue.project.title), vintage, announcements, store.subscribers()
    )
    made = store.enqueue(items) if items else []
    after: list[Delivery] = []
    down: set[str] = set()  # channels that failed this round: the SMTP server, a webhook
    for d in made:
        # one timeout per server at most: with the SMTP server down, the others wait for the
        # sender rather than each holding the load up for its own timeout
        key = d.target if d.channel is Channel.WEBHOOK else d.channel.value
        tried = None if key in down else attempt(store, settings, d, log)
        if tried is not None and tried.state != "delivered":
            down.add(key)
        after.append(tried or d)
    return DeliveryReport(tuple(after))


def distribute_pack(catalogue: Catalogue, store: AppStore, pack: Publication) -> list[Delivery]:
    """Put a published pack's e-mails in the outbox, due at the time kpiboard.yaml's
    `announcements: packs:` says (the sender sends them then)."""
    settings = catalogue.project.announcements
    items = pack_deliveries(
        settings,
        timeless(catalogue.project.title),
        catalogue.org_name(pack.org),
        pack,
        store.subscribers(),
    )
    return store.enqueue(items) if items else []
