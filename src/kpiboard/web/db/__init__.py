"""The dashboard's application database: users, sessions, commentary revisions, publications
and the audit log (see docs/WEB.md). Never the warehouse; never imports fastapi."""

from kpiboard.web.db.entities import AuditEvent, Publication, Revision, Role, Session, User
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

__all__ = [
    "MAX_COMMENTARY_CHARS",
    "AlreadyPublished",
    "AppStore",
    "AuditEvent",
    "BadPassword",
    "BadUsername",
    "CommentaryTooLong",
    "DatabaseUnavailable",
    "LastAdmin",
    "LoginFailed",
    "LoginThrottled",
    "PermissionDenied",
    "Publication",
    "Revision",
    "Role",
    "Session",
    "UnknownUser",
    "User",
    "UserExists",
    "UsernamesDifferOnlyInCase",
    "content_hash",
]
