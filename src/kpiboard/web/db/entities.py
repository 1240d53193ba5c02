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
class AuditEvent:
    id: int
    at: datetime
    username: str | None
    event: str
    detail: dict[str, object]
    ip: str | None
