"""The dashboard's application database: users, sessions, commentary revisions, publications
and the audit log (see docs/WEB.md). Never the warehouse; never imports fastapi."""

from kpiboard.web.db.entities import (
    AuditEvent,
    Channel,
    Delivery,
    NewDelivery,
    PackFile,
    Publication,
    Revision,
    Role,
    Session,
    Subscriber,
    User,
)
from kpiboard.web.db.errors import (
    MAX_COMMENTARY_CHARS,
    AlreadyPublished,
    BadPassword,
    BadUsername,
    CommentaryTooLong,
    DatabaseUnavailable,
    LastAdmin,
    LoginFailed,
    LoginThrottled,
    PermissionDenied,
    UnknownUser,
    UserExists,
    UsernamesDifferOnlyInCase,
)
from kpiboard.web.db.snapshot import content_hash
from kpiboard.web.db.store import AppStore
from kpiboard.web.db.subscriptions import BadEmail, check_email

__all__ = [
    "MAX_COMMENTARY_CHARS",
    "AlreadyPublished",
    "AppStore",
    "AuditEvent",
    "BadEmail",
    "BadPassword",
    "BadUsername",
    "Channel",
    "CommentaryTooLong",
    "DatabaseUnavailable",
    "Delivery",
    "LastAdmin",
    "LoginFailed",
    "LoginThrottled",
    "NewDelivery",
    "PackFile",
    "PermissionDenied",
    "Publication",
    "Revision",
    "Role",
    "Session",
    "Subscriber",
    "UnknownUser",
    "User",
    "UserExists",
    "UsernamesDifferOnlyInCase",
    "check_email",
    "content_hash",
]
