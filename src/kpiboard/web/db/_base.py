"""The store's plumbing: opening the database, the clock, transactions, the audit row, and
the checks every part needs (who a user is, what they may do).

:class:`kpiboard.web.db.store.AppStore` is made of this base and the parts beside it
(:mod:`.accounts` for users, sign-in and sessions; :mod:`.records` for commentary,
publications and the audit log); callers use AppStore only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as DbSession

from kpiboard.errors import KpiboardError
from kpiboard.redaction import redact
from kpiboard.web import DEFAULT_DB
from kpiboard.web.db import migrate
from kpiboard.web.db.engine import WRITE, make_engine, redacted
from kpiboard.web.db.entities import Role, User
from kpiboard.web.db.errors import DatabaseUnavailable, PermissionDenied, UnknownUser
from kpiboard.web.db.models import ATTEMPTED_USERNAME_MAX, IP_MAX, AuditEventRow, UserRow
from kpiboard.web.db.rules import USERNAME, username_key


class StoreBase:
    """What every part of the store shares. Open with :meth:`open`; share one per process."""

    def __init__(
        self,
        engine: Engine,
        *,
        now: Callable[[], datetime] | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> None:
        self._engine = engine
        self._clock = now or (lambda: datetime.now(UTC))
        self._hasher = password_hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash: str | None = None

    @classmethod
    def open(
        cls,
        url: str,
        *,
        now: Callable[[], datetime] | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> Self:
        """Connect to ``url`` and upgrade its schema to the newest revision.

        ``now`` is the clock (tests inject one); ``password_hasher`` sets argon2's parameters
        (tests lower them; production keeps argon2-cffi's defaults).
        """
        engine = make_engine(url)
        try:
            migrate.bring_to_head(engine)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseUnavailable(
                f"cannot open the application database {redacted(url)}: "
                f"{redact(str(exc.orig), url)}",
                hint="check the dashboard `database` setting in kpiboard.yaml, that the server is "
                "running and that the folder exists and is writable",
            ) from exc
        except KpiboardError:  # a migration's own refusal, e.g. UsernamesDifferOnlyInCase
            engine.dispose()
            raise
        except migrate.UnknownRevision as exc:
            engine.dispose()
            raise DatabaseUnavailable(
                f"the application database {redacted(url)} has a schema this kpiboard does not "
                f"know: {exc}",
                hint="it was upgraded by a newer kpiboard; upgrade kpiboard to use it",
            ) from exc
        return cls(engine, now=now, password_hasher=password_hasher)

    @staticmethod
    def default_url(project_root: Path, configured: str | None) -> str:
        """``configured`` (a relative SQLite path is taken from the project folder), or a
        SQLite file ``.kpiboard/app.sqlite3`` in the project, whose folder this creates."""
        if configured:
            prefix = "sqlite:///"
            rest = configured[len(prefix) :] if configured.startswith(prefix) else None
            if rest and not rest.startswith(("/", ":memory:")) and not Path(rest).is_absolute():
                return f"{prefix}{(project_root / rest).resolve()}"
            return configured
        path = (project_root / DEFAULT_DB).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    def close(self) -> None:
        self._engine.dispose()

    def now(self) -> datetime:
        """The store's clock (UTC): what session expiry and audit times are measured by."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store's clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    # --- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[DbSession]:
        with DbSession(self._engine, expire_on_commit=False) as s:
            yield s

    @contextmanager
    def _write(self) -> Iterator[DbSession]:
        """One write transaction: committed at the end of the block, rolled back on error."""
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{WRITE: True})
            with DbSession(bind=conn, expire_on_commit=False) as s, s.begin():
                yield s

    def _audit(
        self,
        s: DbSession,
        event: str,
        username: str | None,
        detail: dict[str, object] | None,
        ip: str | None,
    ) -> AuditEventRow:
        row = AuditEventRow(
            at=self.now(),
            username=None if username is None else username[:ATTEMPTED_USERNAME_MAX],
            event=event,
            detail_json=json.dumps(detail or {}, sort_keys=True, default=str, ensure_ascii=False),
            ip=None if ip is None else ip[:IP_MAX],
        )
        s.add(row)
        s.flush()
        return row

    def _refuse(
        self,
        exc: KpiboardError,
        event: str,
        username: str | None,
        detail: dict[str, object],
        ip: str | None,
    ) -> KpiboardError:
        """Audit a refusal in its own transaction and return the error to raise."""
        with self._write() as s:
            self._audit(s, event, username, detail, ip)
        return exc

    def _insert_user(
        self,
        s: DbSession,
        username: str,
        name: str,
        role: Role,
        password_hash: str,
        actor: str | None,
        **detail: object,
    ) -> UserRow:
        """A new active user, audited as ``user_added`` (by ``actor``; None: the command line
        or the identity provider) with the username, role, display name and ``detail``."""
        row = UserRow(
            username=username,
            display_name=name,
            role=role.value,
            password_hash=password_hash,
            active=True,
            created_at=self.now(),
        )
        s.add(row)
        s.flush()
        audited = {"username": username, "role": role.value, "display_name": name, **detail}
        self._audit(s, "user_added", actor, audited, None)
        return row

    @staticmethod
    def _find(s: DbSession, username: str) -> UserRow | None:
        """The user whose username is ``username`` ignoring case (by the unique index on
        ``lower(username)``); None for no such user or a name no user can have. (Before
        migration 0002 two names may differ only in case: then only the exact one is found.)"""
        if not USERNAME.fullmatch(username):
            return None
        rows = s.scalars(
            select(UserRow).where(func.lower(UserRow.username) == username_key(username))
        ).all()
        if len(rows) > 1:
            rows = [r for r in rows if r.username == username]
        return rows[0] if len(rows) == 1 else None

    def _row(self, s: DbSession, username: str) -> UserRow:
        row = self._find(s, username)
        if row is None:
            raise UnknownUser(username)
        return row

    def _require(self, s: DbSession, user: User, needed: Role, action: str) -> UserRow:
        """The user's current row, if they are active and have ``needed`` (checked against the
        database, not the possibly stale ``user`` passed in)."""
        row = s.get(UserRow, user.id)
        if row is None or not row.active or not Role(row.role).at_least(needed):
            raise PermissionDenied(user.username, action, needed.value)
        return row

    @contextmanager
    def _admin_write(
        self,
        actor: str | None,
        action: str,
        detail: dict[str, object],
        target: str | None = None,
    ) -> Iterator[DbSession]:
        """One write transaction for user management, with the actor's right checked inside it
        (not in a read before it, which another admin's change could overtake): administrators
        may do it (``actor=None`` is the command line, which whoever holds the project folder
        may run); people may change their own password (``target``).

        On PostgreSQL the active admins' rows are locked first (in id order, as
        ``_is_last_admin`` does), so the actor's role is read after any change to it being
        committed. A refusal raises PermissionDenied and is audited as ``permission_denied``
        with ``detail`` (its ``action`` names the method), in a transaction of its own, so it
        is recorded although the action is not."""
        checked = False
        try:
            with self._write() as s:
                self._require_admin(s, actor, action, target)
                checked = True
                yield s
        except PermissionDenied as exc:
            if checked:
                raise
            raise self._refuse(exc, "permission_denied", actor, detail, None) from None

    def _require_admin(
        self, s: DbSession, actor: str | None, action: str, target: str | None
    ) -> None:
        if actor is None or (target is not None and username_key(actor) == username_key(target)):
            return
        s.scalars(
            select(UserRow.id)
            .where(UserRow.role == Role.ADMIN.value, UserRow.active.is_(True))
            .order_by(UserRow.id)
            .with_for_update()
        ).all()
        row = self._find(s, actor)
        if row is None or not row.active or Role(row.role) is not Role.ADMIN:
            raise PermissionDenied(actor, action, Role.ADMIN.value)
