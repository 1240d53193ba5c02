"""The store's accounts: users, sign-in (with throttling) and sessions."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from kpiboard.errors import KpiboardError
from kpiboard.web.db import throttle
from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.entities import Role, Session, User
from kpiboard.web.db.errors import (
    MAX_PASSWORD_CHARS,
    LastAdmin,
    LoginFailed,
    LoginThrottled,
    PermissionDenied,
    UserExists,
)
from kpiboard.web.db.models import (
    ATTEMPTED_USERNAME_MAX,
    IP_MAX,
    LoginAttemptRow,
    SessionRow,
    UserRow,
)
from kpiboard.web.db.rules import DISPLAY_NAME_MAX, check_password, check_username, username_key
from kpiboard.web.db.snapshot import is_external, token_hash, user_of

SESSION_RETENTION = timedelta(days=30)
"""How long an ended or expired session is kept (for looking into a recent sign-in) before a
successful sign-in's housekeeping deletes it."""


class Accounts(StoreBase):
    """Users, sign-in and sessions (part of AppStore)."""

    # --- users ------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        role: Role,
        display_name: str | None = None,
        *,
        actor: str | None = None,
    ) -> User:
        check_username(username)
        check_password(username, password)
        role = Role(role)
        name = (display_name or "").strip() or username
        if len(name) > DISPLAY_NAME_MAX:
            raise KpiboardError(
                f"display name is {len(name)} characters; at most {DISPLAY_NAME_MAX}"
            )
        hashed = self._hasher.hash(password)
        try:
            with self._admin_write(
                actor, "add users", {"action": "add_user", "username": username, "role": role.value}
            ) as s:
                existing = self._find(s, username)
                if existing is not None:
                    raise UserExists(username, existing.username)
                return user_of(self._insert_user(s, username, name, role, hashed, actor))
        except IntegrityError as exc:  # added by someone else between the check and the insert
            raise UserExists(username) from exc

    def set_role(self, username: str, role: Role, *, actor: str | None = None) -> User:
        role = Role(role)
        with self._admin_write(
            actor, "change roles", {"action": "set_role", "username": username, "to": role.value}
        ) as s:
            row = self._row(s, username)
            last = role is not Role.ADMIN and self._is_last_admin(s, row)
            if not last:
                before, row.role = row.role, role.value
                self._audit(
                    s,
                    "role_changed",
                    actor,
                    {"username": row.username, "from": before, "to": role.value},
                    None,
                )
                return user_of(row)
        raise self._refuse(
            LastAdmin(username, f"making them {role.value}"),
            "last_admin_refused",
            actor,
            {"action": "set_role", "username": username, "to": role.value},
            None,
        )

    def rename_user(self, username: str, new: str, *, actor: str | None = None) -> User:
        """Change a username (to another spelling, or only its case). Commentary, publications
        and sessions follow (they refer to the user, not the name); the audit log keeps the
        names used at the time."""
        check_username(new)
        try:
            with self._admin_write(
                actor, "rename users", {"action": "rename_user", "username": username, "to": new}
            ) as s:
                row = self._row(s, username)
                other = self._find(s, new)
                if other is not None and other.id != row.id:
                    raise UserExists(new, other.username)
                before, row.username = row.username, new
                self._audit(s, "user_renamed", actor, {"from": before, "to": new}, None)
                return user_of(row)
        except IntegrityError as exc:  # taken by someone else between the check and the update
            raise UserExists(new) from exc

    def _end_sessions(self, s: DbSession, user_id: int) -> int:
        """End every open session of the user (expired ones too, so none is left open);
        how many were ended."""
        ended = s.execute(
            update(SessionRow)
            .where(SessionRow.user_id == user_id, SessionRow.ended_at.is_(None))
            .values(ended_at=self.now())
            .execution_options(synchronize_session=False)
        )
        return int(ended.rowcount)  # type: ignore[attr-defined]

    def set_password(self, username: str, password: str, *, actor: str | None = None) -> None:
        """Set a new password and end all the user's open sessions: whoever signed in with the
        old password (perhaps the reason it is being changed) is signed out."""
        check_password(username, password)
        hashed = self._hasher.hash(password)
        with self._admin_write(
            actor,
            "set other people's passwords",
            {"action": "set_password", "username": username},
            username,
        ) as s:
            row = self._row(s, username)
            if is_external(row):
                raise KpiboardError(
                    f"{row.username!r} signs in through the identity provider and has no "
                    "kpiboard password",
                    hint="change the password at the identity provider",
                )
            row.password_hash = hashed
            ended = self._end_sessions(s, row.id)
            self._audit(
                s,
                "password_changed",
                actor,
                {"username": row.username, "sessions_ended": ended},
                None,
            )

    def deactivate(self, username: str, *, actor: str | None = None) -> User:
        """Stop the user signing in, and end their sessions. Their commentary and
        publications stay, attributed to them."""
        with self._admin_write(
            actor, "deactivate users", {"action": "deactivate", "username": username}
        ) as s:
            row = self._row(s, username)
            if not self._is_last_admin(s, row):
                row.active = False
                ended = self._end_sessions(s, row.id)
                self._audit(
                    s,
                    "user_deactivated",
                    actor,
                    {"username": row.username, "sessions_ended": ended},
                    None,
                )
                return user_of(row)
        raise self._refuse(
            LastAdmin(username, "deactivating them"),
            "last_admin_refused",
            actor,
            {"action": "deactivate", "username": username},
            None,
        )

    @staticmethod
    def _is_last_admin(s: DbSession, row: UserRow) -> bool:
        """Whether ``row`` is the only active admin. On PostgreSQL the active admins' rows are
        locked (in id order, so two such changes queue instead of deadlocking) until the
        transaction ends: two admins demoting each other at the same moment cannot leave none.
        SQLite's write transactions already take turns."""
        admins = s.scalars(
            select(UserRow.id)
            .where(UserRow.role == Role.ADMIN.value, UserRow.active.is_(True))
            .order_by(UserRow.id)
            .with_for_update()
        ).all()
        return list(admins) == [row.id]

    def users(self) -> list[User]:
        with self._read() as s:
            return [user_of(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def user(self, username: str) -> User | None:
        with self._read() as s:
            row = self._find(s, username)
            return None if row is None else user_of(row)

    # --- sign-in ----------------------------------------------------------------------------

    def _failures(self, s: DbSession, column: Any, key: str, since: datetime) -> list[datetime]:
        return list(
            s.scalars(
                select(LoginAttemptRow.at).where(
                    column == key, LoginAttemptRow.outcome == "failure", LoginAttemptRow.at > since
                )
            )
        )

    def _throttled(
        self, s: DbSession, name: str, ip: str | None, now: datetime
    ) -> tuple[int, str] | None:
        since = now - throttle.LOOK_BACK
        last_success = s.scalar(
            select(func.max(LoginAttemptRow.at)).where(
                LoginAttemptRow.username == name, LoginAttemptRow.outcome == "success"
            )
        )
        by_name = self._failures(
            s, LoginAttemptRow.username, name, max(since, last_success or since)
        )
        wait = throttle.retry_after(by_name, now, throttle.USERNAME_LIMIT)
        if wait is not None:
            return wait, "username"
        if ip is not None:
            wait = throttle.retry_after(
                self._failures(s, LoginAttemptRow.ip, ip, since), now, throttle.IP_LIMIT
            )
            if wait is not None:
                return wait, "ip"
        return None

    def _verify(self, password_hash: str | None, password: str) -> bool:
        known = password_hash is not None
        if password_hash is None:  # unknown user: spend the same effort on a dummy hash
            password_hash = self._dummy_hash or self._hasher.hash(secrets.token_urlsafe(16))
            self._dummy_hash = password_hash
        try:
            return self._hasher.verify(password_hash, password[:MAX_PASSWORD_CHARS]) and known
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _lock_attempts(s: DbSession) -> None:
        """Make concurrent sign-in admissions take turns, so that each one's throttle check
        sees the attempts admitted before it. SQLite's write transactions already do (BEGIN
        IMMEDIATE); on PostgreSQL the table is locked against other writers (readers go on)
        until the short admission transaction ends."""
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE"))

    def _admit(
        self, name: str, key: str, ip: str | None, username: str, now: datetime
    ) -> tuple[int, UserRow | None]:
        """Check the throttle and count the attempt, in one transaction, before the password
        is looked at: (the attempt's id, the user's row). The attempt is counted as a failure
        until the password proves right, so a burst of attempts sent at once gets no more
        password checks than the throttle allows. Raises LoginThrottled (audited)."""
        with self._write() as s:
            self._lock_attempts(s)
            throttled = self._throttled(s, key, ip, now)
            attempt = LoginAttemptRow(
                at=now, username=key, ip=ip, outcome="failure" if throttled is None else "throttled"
            )
            s.add(attempt)
            if throttled is None:
                s.flush()
                return attempt.id, self._find(s, username)
            wait, by = throttled
            self._audit(
                s, "sign_in_throttled", name, {"reason": by, "retry_after_seconds": wait}, ip
            )
        raise LoginThrottled(wait)

    def authenticate(self, username: str, password: str, ip: str | None) -> User:
        """The user, if the password is right, the account active and no throttle applies.

        Raises LoginThrottled (before looking at the password) or LoginFailed (the same for
        an unknown user, a wrong password and a deactivated account). Every attempt is audited.
        """
        name = username[:ATTEMPTED_USERNAME_MAX]  # as typed, for the audit log
        key = username_key(username)[:ATTEMPTED_USERNAME_MAX]  # the throttle's: case ignored
        ip = None if ip is None else ip[:IP_MAX]
        now = self.now()
        attempt_id, row = self._admit(name, key, ip, username, now)
        # an external account has no password: it costs the same dummy check as an unknown user
        ok = self._verify(None if row is None or is_external(row) else row.password_hash, password)
        reason = (
            "unknown_user"
            if row is None
            else "external_account"  # signs in through the identity provider only
            if is_external(row)
            else "wrong_password"
            if not ok
            else ("deactivated" if not row.active else None)
        )
        with self._write() as s:
            if reason is not None:  # the attempt stays counted as a failure
                self._audit(s, "sign_in_failed", name, {"reason": reason}, ip)
            else:
                assert row is not None
                s.execute(
                    update(LoginAttemptRow)
                    .where(LoginAttemptRow.id == attempt_id)
                    .values(outcome="success")
                    .execution_options(synchronize_session=False)
                )
                fresh = self._row(s, username)
                if self._hasher.check_needs_rehash(fresh.password_hash):
                    fresh.password_hash = self._hasher.hash(password)
                self._audit(s, "sign_in", fresh.username, {}, ip)
                self._housekeeping(s, now)
                return user_of(fresh)
        raise LoginFailed()

    @staticmethod
    def _housekeeping(s: DbSession, now: datetime) -> None:
        """Keep login_attempts and sessions from growing forever (run at each successful
        sign-in, in its transaction): delete attempts older than the throttle's look-back
        (they can no longer lock anything) and sessions that ended or expired more than
        SESSION_RETENTION ago. Each DELETE is a range on an index of migration 0003, so it costs
        little when there is nothing to delete. The append-only tables are never touched."""
        s.execute(
            delete(LoginAttemptRow)
            .where(LoginAttemptRow.at < now - throttle.LOOK_BACK)
            .execution_options(synchronize_session=False)
        )
        cutoff = now - SESSION_RETENTION
        for column in (SessionRow.expires_at, SessionRow.ended_at):  # one DELETE per index
            s.execute(
                delete(SessionRow)
                .where(column < cutoff)
                .execution_options(synchronize_session=False)
            )

    # --- sessions ---------------------------------------------------------------------------

    def create_session(self, user: User, hours: float) -> tuple[str, Session]:
        """A new session for ``user``: (the token for the cookie, the session). Only the
        token's sha256 is stored; each session has its own CSRF token."""
        if not hours > 0:
            raise KpiboardError(f"a session must last a positive number of hours, not {hours}")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.now()
        with self._write() as s:
            row = s.get(UserRow, user.id)
            if row is None or not row.active:
                raise PermissionDenied(
                    user.username, "sign in (the account is deactivated)", Role.VIEWER.value
                )
            expires = now + timedelta(hours=hours)
            s.add(
                SessionRow(
                    token_sha256=token_hash(token),
                    user_id=row.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                )
            )
            return token, Session(user=user_of(row), csrf_token=csrf, expires_at=expires)

    def session(self, token: str) -> Session | None:
        """The live session for a cookie's token: None when unknown, ended, expired or the
        user has been deactivated."""
        now = self.now()
        with self._read() as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, SessionRow.user_id == UserRow.id)
                .where(SessionRow.token_sha256 == token_hash(token))
            ).one_or_none()
            if found is None:
                return None
            srow, urow = found
            if srow.ended_at is not None or srow.expires_at <= now or not urow.active:
                return None
            return Session(
                user=user_of(urow), csrf_token=srow.csrf_token, expires_at=srow.expires_at
            )

    def end_session(self, token: str, ip: str | None = None) -> None:
        """Sign out (audited); an unknown or already ended token is ignored."""
        with self._write() as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, SessionRow.user_id == UserRow.id)
                .where(SessionRow.token_sha256 == token_hash(token))
            ).one_or_none()
            if found is None or found[0].ended_at is not None:
                return
            found[0].ended_at = self.now()
            self._audit(s, "sign_out", found[1].username, {}, ip)
