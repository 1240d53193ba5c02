"""The application database's tables, as SQLAlchemy 2.0 typed ORM classes.

The dashboard's own state lives here — never in the warehouse: who may sign in (users,
sessions, login attempts), what people wrote (commentary revisions, append-only), what the
board was given (publications, one per organisation and month) and who did what (audit events).
The schema is created and upgraded by the Alembic migrations beside this file; a test checks
that the migrations and these classes agree.

Timestamps are timezone-aware UTC in Python. PostgreSQL stores them as ``timestamptz``;
SQLite has no time-zone type, so :class:`UtcDateTime` stores naive UTC there and puts the
zone back on reading.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Names for constraints and indexes, so that migrations name them the same on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USERNAME_MAX = 64
ATTEMPTED_USERNAME_MAX = 255  # what someone typed at sign-in, kept (truncated) for the audit
IP_MAX = 64
EMAIL_MAX = 254  # RFC 5321's longest forward path, less the angle brackets


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (naive UTC in SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the application database; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'editor', 'approver', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # where announcements and packs are e-mailed (migration 0005); None: nothing is sent.
    # Deferred: loaded only when asked for, so `kpiboard users rename` still works on a
    # database from before 0005 (it must, to let an upgrade stopped at 0002 go on).
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), nullable=True, deferred=True)


# Usernames ignore case: one account per lower(username) (usernames are ASCII, where SQLite's
# and PostgreSQL's lower() agree). Added by migration 0002; the name is kept as typed.
Index("uq_users_lower_username", func.lower(UserRow.username), unique=True)


class SessionRow(Base):
    """A signed-in browser. Only the sha256 of the cookie's token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # indexed (migration 0003) for the sign-in housekeeping, which deletes long-finished sessions
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)


class LoginAttemptRow(Base):
    """A sign-in attempt, for throttling: outcome is success, failure or throttled. Only the
    throttle's look-back is kept: a successful sign-in deletes older attempts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        CheckConstraint("outcome IN ('success', 'failure', 'throttled')", name="outcome"),
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # indexed (migration 0003) for the sign-in housekeeping, which deletes attempts by age
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    username: Mapped[str] = mapped_column(String(ATTEMPTED_USERNAME_MAX))
    ip: Mapped[str | None] = mapped_column(String(IP_MAX), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))


class CommentaryRevisionRow(Base):
    """One saved version of the commentary on a measure for an organisation and month.

    Append-only: the store has no update or delete, and the migration adds triggers that
    refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "commentary_revisions"
    __table_args__ = (
        UniqueConstraint("org", "measure", "month", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(128))
    month: Mapped[str] = mapped_column(String(7))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EntryRevisionRow(Base):
    """One step of an entered figure (saved, submitted, approved, returned), numbered per
    organisation, measure and month. Append-only (migration 0007): the entry's state is its
    latest step's, and every step stays, with who took it and the figures as they were."""

    __tablename__ = "entry_revisions"
    __table_args__ = (
        UniqueConstraint("org", "measure", "month", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(
            "state IN ('draft', 'submitted', 'approved', 'returned')", name="state_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(128))
    month: Mapped[str] = mapped_column(String(7))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    numerator: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[float | None] = mapped_column(Float, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    sample_size: Mapped[float | None] = mapped_column(Float, nullable=True)
    provisional: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PublicationRow(Base):
    """The pack given to the board for an organisation and month: frozen, one per org+month."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("org", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    data_version: Mapped[str] = mapped_column(String(128))
    scorecard_json: Mapped[str] = mapped_column(Text)
    commentary_json: Mapped[str] = mapped_column(Text)
    pack_html: Mapped[str] = mapped_column(Text)
    changes_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # the warehouse vintage the pack was built from; None for packs published before vintages
    vintage: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PackFileRow(Base):
    """A published pack in another format than its HTML (PDF, XLSX), rendered once at
    publication and served unchanged for ever. Append-only (migration 0006)."""

    __tablename__ = "pack_files"
    __table_args__ = (UniqueConstraint("publication_id", "format"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    format: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class AuditEventRow(Base):
    """Who did what, when, from where. ``username`` is not a foreign key: failed sign-ins
    record what was typed, and the command line records none."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_event_id", "event", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    username: Mapped[str | None] = mapped_column(String(ATTEMPTED_USERNAME_MAX), nullable=True)
    event: Mapped[str] = mapped_column(String(64))
    detail_json: Mapped[str] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(IP_MAX), nullable=True)


APPEND_ONLY_TABLES = ("commentary_revisions", "publications", "audit_events", "pack_files")


class SubscriptionRow(Base):
    """What a person wants e-mailed: a measure's or a section's announcements, or the published
    packs (topic ``packs``, key ``""``). Added by migration 0005."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "topic", "key"),
        CheckConstraint("topic IN ('measure', 'section', 'packs')", name="topic"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    topic: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))


class DeliveryRow(Base):
    """One message to one target (a webhook's URL, an e-mail address), kept until delivered
    or given up: the outbox. ``next_attempt_at`` is None once it is done either way. Added by
    migration 0005."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)  # idempotency key
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2000))
    what: Mapped[str] = mapped_column(String(200))  # for people: "vintage 3", "pack MPS 2009-08"
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body, or the e-mail as JSON
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    timeout_seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReminderSentRow(Base):
    """A reminder about an entered figure put in the outbox: the key that makes each one sent
    once (organisation, measure, month, kind, recipient; ``step`` is the returned step's id for
    ``entry_returned``, 0 otherwise). Added by migration 0008."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("org", "measure", "month", "kind", "recipient", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(128))
    month: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(2000))  # a username, or "webhook URL"
    step: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReminderOptOutRow(Base):
    """A kind of reminder a person does not want e-mailed (entry_due, entry_overdue,
    entry_returned): reminders are sent unless asked not to. Added by migration 0008."""

    __tablename__ = "reminder_optouts"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
