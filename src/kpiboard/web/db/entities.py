"""What the application store hands out: roles and frozen records (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a signed-in person may do; each role may do everything the ones before it may.

    >>> Role.APPROVER.at_least(Role.EDITOR)
    True
    """

    VIEWER = "viewer"  # read the dashboard
    EDITOR = "editor"  # + write commentary
    APPROVER = "approver"  # + publish the month's pack
    ADMIN = "admin"  # + manage users, read the audit log

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    external: bool = False  # signs in through the identity provider, never with a password


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Revision:
    id: int
    org: str
    measure: str
    month: str  # "YYYY-MM"
    number: int  # 1-based within (org, measure, month)
    text: str
    author: str  # username
    created_at: datetime


@dataclass(frozen=True)
class Publication:
    id: int
    org: str
    month: str
    published_at: datetime
    published_by: str
    data_version: str  # content hash of the data the pack was built from (given by the caller)
    scorecard_json: str  # the frozen Scorecard JSON
    commentary: dict[
        str, Revision
    ]  # measure -> the revision published (a snapshot, not a reference)
    pack_html: str  # the frozen rendered pack
    changes: dict[str, object]  # what changed since the last published pack
    content_hash: str  # see kpiboard.web.db.store.content_hash
    vintage: int | None = None  # the warehouse vintage it was built from (None: not pinned)


@dataclass(frozen=True)
class PackFile:
    """A published pack in one more format (PDF, XLSX): rendered once at publication."""

    format: str
    media_type: str
    sha256: str  # of ``content``
    size: int  # bytes
    content: bytes = b""  # empty when only listed


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    username: str | None
    event: str
    detail: dict[str, object]
    ip: str | None


class Channel(StrEnum):
    """How a delivery is sent."""

    WEBHOOK = "webhook"  # a signed JSON POST
    EMAIL = "email"  # an e-mail over SMTP


@dataclass(frozen=True)
class NewDelivery:
    """A message to put in the outbox: ``payload`` is the exact JSON body (webhook) or the
    e-mail as JSON (subject, text, html); ``not_before`` holds it until then (a pack sent
    at 09:00 on the next working day)."""

    channel: Channel
    target: str  # the webhook's URL, or the e-mail address
    what: str  # for people: "vintage 3: 2 announcements", "pack MPS 2009-08"
    payload: str
    max_attempts: int
    timeout_seconds: float
    not_before: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """A message in the outbox, and how its sending went."""

    id: int
    delivery_id: str  # random, the same on every attempt: the receiver's idempotency key
    channel: Channel
    target: str
    what: str
    payload: str
    attempts: int
    max_attempts: int
    timeout_seconds: float
    created_at: datetime
    next_attempt_at: datetime | None  # None: delivered, or given up
    last_error: str | None
    delivered_at: datetime | None

    @property
    def state(self) -> str:
        """``delivered``, ``waiting`` (to be tried at next_attempt_at) or ``given up``."""
        if self.delivered_at is not None:
            return "delivered"
        return "waiting" if self.next_attempt_at is not None else "given up"


@dataclass(frozen=True)
class Subscriber:
    """An active person with an e-mail address, and what they asked to be sent."""

    username: str
    display_name: str
    email: str
    measures: frozenset[str]
    sections: frozenset[str]
    packs: bool


@dataclass(frozen=True)
class ReminderKey:
    """What makes a reminder about an entered figure one of its own, sent once: the figure
    (organisation, measure, month), the kind, and to whom (a username, or "webhook URL").
    ``step`` is the returned step's id for ``entry_returned`` (a figure returned twice is told
    twice), 0 for the others."""

    org: str
    measure: str
    month: str
    kind: str
    recipient: str
    step: int = 0


@dataclass(frozen=True)
class Person:
    """An active account as reminders see it: who (and their role, for ``role:`` owners),
    where to e-mail them, and the kinds of reminder they asked not to be sent."""

    user: User
    email: str | None
    optouts: frozenset[str]


class EntryState(StrEnum):
    """Where an entered figure is in its owners' flow (docs/ENTRY.md)."""

    DRAFT = "draft"  # saved by someone who may enter it; seen by them and the approvers
    SUBMITTED = "submitted"  # waiting for an approver; no longer editable
    APPROVED = "approved"  # signed off by an approver who did not enter it: the board sees it
    RETURNED = "returned"  # sent back with a reason, to be edited and submitted again


@dataclass(frozen=True)
class Figures:
    """The figures of one entry, as a data file would give them (docs/CATALOGUE.md, "Data
    files"): which of them a measure needs depends on its kind."""

    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    sample_size: float | None = None
    provisional: bool = False
    note: str | None = None


@dataclass(frozen=True)
class EntryRevision:
    """One step of an entered figure: numbered 1, 2, 3... per organisation, measure and month,
    never changed once written. The entry's state is its latest step's."""

    id: int
    org: str
    measure: str
    month: str  # "YYYY-MM"
    number: int
    state: EntryState
    figures: Figures
    author: str  # who took the step (username)
    created_at: datetime
    reason: str | None = None  # why it was returned, or why a published month is revised
