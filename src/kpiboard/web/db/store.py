"""AppStore: the dashboard's users, sessions, commentary, publications and audit log.

Every method opens its own short database transaction, so one AppStore can serve many
threads. Everything that changes state writes its audit event in the same transaction.
Commentary revisions, publications and audit events are append-only: there is no method to
change or remove one, and the database's triggers refuse it too.

>>> store = AppStore.open("sqlite://")  # in memory; a project uses AppStore.default_url(...)
>>> alice = store.add_user("alice", "correct horse battery", Role.EDITOR)
>>> store.save_commentary("MPS", "burglary", "2009-08", "Down 6%.", alice).number
1
>>> store.close()
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.util.exc import CommandError
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session as DbSession

from kpiboard.errors import KpiboardError
from kpiboard.web.db import migrate, throttle
from kpiboard.web.db.engine import WRITE, make_engine, redacted
from kpiboard.web.db.entities import AuditEvent, Publication, Revision, Role, Session, User
from kpiboard.web.db.errors import (
    MAX_COMMENTARY_CHARS, MAX_PASSWORD_CHARS, AlreadyPublished, CommentaryTooLong,
    DatabaseUnavailable, LoginFailed, LoginThrottled, PermissionDenied, UnknownUser, UserExists,
)
from kpiboard.web.db.models import (
    ATTEMPTED_USERNAME_MAX, IP_MAX, AuditEventRow, CommentaryRevisionRow, LoginAttemptRow,
    PublicationRow, SessionRow, UserRow,
)
from kpiboard.web.db.rules import (
    DATA_VERSION_MAX, DISPLAY_NAME_MAX, EVENT_MAX, MEASURE_MAX, ORG_MAX, check_key, check_month,
    check_password, check_username,
)
from kpiboard.web.db.snapshot import (
    canonical_json, content_hash, event_of, publication_of, revision_json, revision_of, token_hash,
    user_of,
)

DEFAULT_DB = Path(".kpiboard") / "app.sqlite3"
NUMBERING_RETRIES = 10  # two editors saving at once: the loser of the unique number tries again


class AppStore:
    """The application database. Open with :meth:`open`; share one per process."""

    def __init__(self, engine: Engine, *, now: Callable[[], datetime] | None = None,
                 password_hasher: PasswordHasher | None = None) -> None:
        self._engine = engine
        self._clock = now or (lambda: datetime.now(UTC))
        self._hasher = password_hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash: str | None = None

    @classmethod
    def open(cls, url: str, *, now: Callable[[], datetime] | None = None,
             password_hasher: PasswordHasher | None = None) -> AppStore:
        """Connect to ``url`` and upgrade its schema to the newest revision.

        ``now`` is the clock (tests inject one); ``password_hasher`` sets argon2's parameters
        (tests lower them; production keeps argon2-cffi's defaults).
        """
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseUnavailable(
                f"cannot open the application database {redacted(url)}: {exc.orig}",
                hint="check the dashboard `database` setting in kpiboard.yaml, that the server is "
                     "running and that the folder exists and is writable",
            ) from exc
        except CommandError as exc:
            engine.dispose()
            raise DatabaseUnavailable(
                f"the application database {redacted(url)} has a schema this kpiboard does not know: {exc}",
                hint="it was upgraded by a newer kpiboard; upgrade kpiboard to use it",
            ) from exc
        return cls(engine, now=now, password_hasher=password_hasher)

    @staticmethod
    def default_url(project_root: Path, configured: str | None) -> str:
        """``configured`` (a relative SQLite path is taken from the project folder), or a
        SQLite file ``.kpiboard/app.sqlite3`` in the project, whose folder this creates."""
        if configured:
            prefix = "sqlite:///"
            rest = configured[len(prefix):] if configured.startswith(prefix) else None
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

    def _audit(self, s: DbSession, event: str, username: str | None,
               detail: dict[str, object] | None, ip: str | None) -> AuditEventRow:
        row = AuditEventRow(at=self.now(), username=None if username is None else username[:ATTEMPTED_USERNAME_MAX],
                            event=event, detail_json=json.dumps(detail or {}, sort_keys=True, default=str,
                                                                ensure_ascii=False),
                            ip=None if ip is None else ip[:IP_MAX])
        s.add(row)
        s.flush()
        return row

    def _refuse(self, exc: KpiboardError, event: str, username: str | None,
                detail: dict[str, object], ip: str | None) -> KpiboardError:
        """Audit a refusal in its own transaction and return the error to raise."""
        with self._write() as s:
            self._audit(s, event, username, detail, ip)
        return exc

    @staticmethod
    def _row(s: DbSession, username: str) -> UserRow:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
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

    def _check_actor(self, actor: str | None, action: str, target: str | None = None) -> None:
        """User management is for administrators (``actor=None`` is the command line, which
        whoever holds the project folder may run); people may change their own password."""
        if actor is None or actor == target:
            return
        with self._read() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == actor)).one_or_none()
        if row is None or not row.active or Role(row.role) is not Role.ADMIN:
            raise PermissionDenied(actor, action, Role.ADMIN.value)

    # --- users ------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, role: Role, display_name: str | None = None,
                 *, actor: str | None = None) -> User:
        check_username(username)
        check_password(username, password)
        role = Role(role)
        name = (display_name or "").strip() or username
        if len(name) > DISPLAY_NAME_MAX:
            raise KpiboardError(f"display name is {len(name)} characters; at most {DISPLAY_NAME_MAX}")
        self._check_actor(actor, "add users")
        hashed = self._hasher.hash(password)
        try:
            with self._write() as s:
                if s.scalars(select(UserRow.id).where(UserRow.username == username)).first():
                    raise UserExists(username)
                row = UserRow(username=username, display_name=name, role=role.value,
                              password_hash=hashed, active=True, created_at=self.now())
                s.add(row)
                s.flush()
                self._audit(s, "user_added", actor,
                            {"username": username, "role": role.value, "display_name": name}, None)
                return user_of(row)
        except IntegrityError as exc:  # added by someone else between the check and the insert
            raise UserExists(username) from exc

    def set_role(self, username: str, role: Role, *, actor: str | None = None) -> User:
        role = Role(role)
        self._check_actor(actor, "change roles")
        with self._write() as s:
            row = self._row(s, username)
            before, row.role = row.role, role.value
            self._audit(s, "role_changed", actor, {"username": username, "from": before, "to": role.value}, None)
            return user_of(row)

    def set_password(self, username: str, password: str, *, actor: str | None = None) -> None:
        check_password(username, password)
        self._check_actor(actor, "set other people's passwords", username)
        hashed = self._hasher.hash(password)
        with self._write() as s:
            self._row(s, username).password_hash = hashed
            self._audit(s, "password_changed", actor, {"username": username}, None)

    def deactivate(self, username: str, *, actor: str | None = None) -> User:
        """Stop the user signing in, and end their sessions. Their commentary and
        publications stay, attributed to them."""
        self._check_actor(actor, "deactivate users")
        with self._write() as s:
            row = self._row(s, username)
            row.active = False
            live = s.scalars(select(SessionRow).where(SessionRow.user_id == row.id,
                                                      SessionRow.ended_at.is_(None))).all()
            for session in live:
                session.ended_at = self.now()
            ended = len(live)
            self._audit(s, "user_deactivated", actor, {"username": username, "sessions_ended": ended}, None)
            return user_of(row)

    def users(self) -> list[User]:
        with self._read() as s:
            return [user_of(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def user(self, username: str) -> User | None:
        with self._read() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            return None if row is None else user_of(row)

    # --- sign-in ----------------------------------------------------------------------------

    def _failures(self, s: DbSession, column: Any, key: str, since: datetime) -> list[datetime]:
        return list(s.scalars(select(LoginAttemptRow.at).where(
            column == key, LoginAttemptRow.outcome == "failure", LoginAttemptRow.at > since)))

    def _throttled(self, s: DbSession, name: str, ip: str | None, now: datetime) -> tuple[int, str] | None:
        since = now - 2 * throttle.WINDOW
        last_success = s.scalar(select(func.max(LoginAttemptRow.at)).where(
            LoginAttemptRow.username == name, LoginAttemptRow.outcome == "success"))
        by_name = self._failures(s, LoginAttemptRow.username, name, max(since, last_success or since))
        wait = throttle.retry_after(by_name, now, throttle.USERNAME_LIMIT)
        if wait is not None:
            return wait, "username"
        if ip is not None:
            wait = throttle.retry_after(self._failures(s, LoginAttemptRow.ip, ip, since), now,
                                        throttle.IP_LIMIT)
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

    def authenticate(self, username: str, password: str, ip: str | None) -> User:
        """The user, if the password is right, the account active and no throttle applies.

        Raises LoginThrottled (before looking at the password) or LoginFailed (the same for
        an unknown user, a wrong password and a deactivated account). Every attempt is audited.
        """
        name = username[:ATTEMPTED_USERNAME_MAX]
        ip = None if ip is None else ip[:IP_MAX]
        now = self.now()
        with self._read() as s:
            throttled = self._throttled(s, name, ip, now)
            row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if throttled is not None:
            wait, key = throttled
            with self._write() as s:
                s.add(LoginAttemptRow(at=now, username=name, ip=ip, outcome="throttled"))
                self._audit(s, "sign_in_throttled", name, {"reason": key, "retry_after_seconds": wait}, ip)
            raise LoginThrottled(wait)
        ok = self._verify(None if row is None else row.password_hash, password)
        reason = "unknown_user" if row is None else "wrong_password" if not ok else (
            "deactivated" if not row.active else None)
        with self._write() as s:
            s.add(LoginAttemptRow(at=now, username=name, ip=ip,
                                  outcome="failure" if reason else "success"))
            if reason is not None:
                self._audit(s, "sign_in_failed", name, {"reason": reason}, ip)
            else:
                assert row is not None
                fresh = self._row(s, username)
                if self._hasher.check_needs_rehash(fresh.password_hash):
                    fresh.password_hash = self._hasher.hash(password)
                self._audit(s, "sign_in", name, {}, ip)
                return user_of(fresh)
        raise LoginFailed()

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
                raise PermissionDenied(user.username, "sign in (the account is deactivated)", Role.VIEWER.value)
            expires = now + timedelta(hours=hours)
            s.add(SessionRow(token_sha256=token_hash(token), user_id=row.id, csrf_token=csrf,
                             created_at=now, expires_at=expires))
            return token, Session(user=user_of(row), csrf_token=csrf, expires_at=expires)

    def session(self, token: str) -> Session | None:
        """The live session for a cookie's token: None when unknown, ended, expired or the
        user has been deactivated."""
        now = self.now()
        with self._read() as s:
            found = s.execute(select(SessionRow, UserRow).join(UserRow, SessionRow.user_id == UserRow.id)
                              .where(SessionRow.token_sha256 == token_hash(token))).one_or_none()
            if found is None:
                return None
            srow, urow = found
            if srow.ended_at is not None or srow.expires_at <= now or not urow.active:
                return None
            return Session(user=user_of(urow), csrf_token=srow.csrf_token, expires_at=srow.expires_at)

    def end_session(self, token: str, ip: str | None = None) -> None:
        """Sign out (audited); an unknown or already ended token is ignored."""
        with self._write() as s:
            found = s.execute(select(SessionRow, UserRow).join(UserRow, SessionRow.user_id == UserRow.id)
                              .where(SessionRow.token_sha256 == token_hash(token))).one_or_none()
            if found is None or found[0].ended_at is not None:
                return
            found[0].ended_at = self.now()
            self._audit(s, "sign_out", found[1].username, {}, ip)

    # --- commentary -------------------------------------------------------------------------

    def save_commentary(self, org: str, measure: str, month: str, text: str, author: User,
                        ip: str | None = None) -> Revision:
        """Append a new revision (numbered 1, 2, 3… per org, measure and month)."""
        check_key("organisation", org, ORG_MAX)
        check_key("measure", measure, MEASURE_MAX)
        check_month(month)
        if len(text) > MAX_COMMENTARY_CHARS:
            raise CommentaryTooLong(len(text))
        where = (CommentaryRevisionRow.org == org, CommentaryRevisionRow.measure == measure,
                 CommentaryRevisionRow.month == month)
        for attempt in range(NUMBERING_RETRIES):
            try:
                with self._write() as s:
                    try:
                        row = self._require(s, author, Role.EDITOR, "write commentary")
                    except PermissionDenied as exc:
                        denied = exc
                    else:
                        self._lock_numbering(s, org, measure, month)
                        number = (s.scalar(select(func.max(CommentaryRevisionRow.number)).where(*where)) or 0) + 1
                        rev = CommentaryRevisionRow(org=org, measure=measure, month=month, number=number,
                                                    text=text, author_id=row.id, created_at=self.now())
                        s.add(rev)
                        s.flush()
                        self._audit(s, "commentary_saved", row.username,
                                    {"org": org, "measure": measure, "month": month,
                                     "revision": number, "length": len(text)}, ip)
                        return revision_of(rev, row.username)
                raise self._refuse(denied, "permission_denied", author.username,
                                   {"action": "save_commentary", "org": org, "measure": measure,
                                    "month": month}, ip)
            except IntegrityError:
                if attempt == NUMBERING_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _lock_numbering(s: DbSession, org: str, measure: str, month: str) -> None:
        """Make simultaneous saves of one org + measure + month take turns. SQLite's write
        transactions already do (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory
        lock on the key does, so the retry below is a backstop rather than a race."""
        if s.get_bind().dialect.name != "postgresql":
            return
        key = hashlib.sha256(canonical_json([org, measure, month]).encode("utf-8")).digest()
        s.execute(select(func.pg_advisory_xact_lock(int.from_bytes(key[:8], "big", signed=True))))

    def _revisions(self, *where: Any) -> list[Revision]:
        with self._read() as s:
            rows = s.execute(select(CommentaryRevisionRow, UserRow.username)
                             .join(UserRow, CommentaryRevisionRow.author_id == UserRow.id)
                             .where(*where)
                             .order_by(CommentaryRevisionRow.measure, CommentaryRevisionRow.number.desc()))
            return [revision_of(r, name) for r, name in rows]

    def revisions(self, org: str, measure: str, month: str) -> list[Revision]:
        """Every revision, newest first."""
        return self._revisions(CommentaryRevisionRow.org == org, CommentaryRevisionRow.measure == measure,
                               CommentaryRevisionRow.month == month)

    def latest_commentary(self, org: str, month: str) -> dict[str, Revision]:
        """measure -> its newest revision, for one organisation and month."""
        latest: dict[str, Revision] = {}
        for rev in self._revisions(CommentaryRevisionRow.org == org, CommentaryRevisionRow.month == month):
            latest.setdefault(rev.measure, rev)  # newest first within each measure
        return latest

    # --- publications -----------------------------------------------------------------------

    def _check_commentary(self, s: DbSession, org: str, month: str,
                          commentary: dict[str, Revision]) -> None:
        """Each revision is the stored one, for this org and month, under its own measure."""
        for measure, rev in commentary.items():
            stored = s.get(CommentaryRevisionRow, rev.id)
            author = None if stored is None else s.get(UserRow, stored.author_id)
            if (stored is None or author is None or measure != rev.measure
                    or revision_of(stored, author.username) != rev
                    or (rev.org, rev.month) != (org, month)):
                raise KpiboardError(
                    f"the commentary for {measure!r} is not a saved revision of {org} {month}",
                    hint="publish the revisions that latest_commentary returned")

    def publish(self, org: str, month: str, *, scorecard_json: str, pack_html: str, data_version: str,
                commentary: dict[str, Revision], changes: dict[str, object], user: User,
                ip: str | None = None) -> Publication:
        """Freeze the month's pack. Once per org and month: the first publication is kept."""
        check_key("organisation", org, ORG_MAX)
        check_month(month)
        check_key("data version", data_version, DATA_VERSION_MAX)
        try:
            changes_json = canonical_json(changes)
        except (TypeError, ValueError) as exc:
            raise KpiboardError(f"the changes since the last pack are not JSON: {exc}") from exc
        commentary_json = canonical_json({m: revision_json(r) for m, r in commentary.items()})
        digest = content_hash(scorecard_json, commentary_json, pack_html, data_version)
        where = (PublicationRow.org == org, PublicationRow.month == month)
        denied: PermissionDenied | None
        try:
            with self._write() as s:
                try:
                    row = self._require(s, user, Role.APPROVER, "publish packs")
                except PermissionDenied as exc:
                    denied = exc
                else:
                    if s.scalars(select(PublicationRow.id).where(*where)).first() is None:
                        self._check_commentary(s, org, month, commentary)
                        pub = PublicationRow(org=org, month=month, published_at=self.now(),
                                             published_by_id=row.id, data_version=data_version,
                                             scorecard_json=scorecard_json, commentary_json=commentary_json,
                                             pack_html=pack_html, changes_json=changes_json,
                                             content_hash=digest)
                        s.add(pub)
                        s.flush()
                        self._audit(s, "pack_published", row.username,
                                    {"org": org, "month": month, "content_hash": digest,
                                     "data_version": data_version, "measures": sorted(commentary)}, ip)
                        return publication_of(pub, row.username)
                    denied = None
        except IntegrityError:  # a racing publish won between our check and our insert
            denied = None
        if denied is not None:
            raise self._refuse(denied, "permission_denied", user.username,
                               {"action": "publish", "org": org, "month": month}, ip)
        first = self.publication(org, month)
        assert first is not None
        raise self._refuse(AlreadyPublished(org, month, first.published_by, first.published_at),
                           "pack_publish_refused", user.username,
                           {"org": org, "month": month, "published_by": first.published_by,
                            "content_hash": first.content_hash, "refused_content_hash": digest}, ip)

    def _publications(self, *where: Any, limit: int | None = None) -> list[Publication]:
        with self._read() as s:
            query = (select(PublicationRow, UserRow.username)
                     .join(UserRow, PublicationRow.published_by_id == UserRow.id)
                     .where(*where).order_by(PublicationRow.month.desc(), PublicationRow.org))
            if limit is not None:
                query = query.limit(limit)
            return [publication_of(p, name) for p, name in s.execute(query)]

    def publication(self, org: str, month: str) -> Publication | None:
        found = self._publications(PublicationRow.org == org, PublicationRow.month == month)
        return found[0] if found else None

    def publications(self, org: str | None = None) -> list[Publication]:
        """Newest month first (then by organisation)."""
        return self._publications(*(() if org is None else (PublicationRow.org == org,)))

    def previous_publication(self, org: str, month: str) -> Publication | None:
        """The latest pack published for ``org`` for a month before ``month``."""
        found = self._publications(PublicationRow.org == org, PublicationRow.month < month, limit=1)
        return found[0] if found else None

    # --- audit ------------------------------------------------------------------------------

    def audit(self, event: str, username: str | None, detail: dict[str, object] | None = None,
              ip: str | None = None) -> AuditEvent:
        """Record an event (the dashboard's own, e.g. a page export); returns it."""
        check_key("event", event, EVENT_MAX)
        with self._write() as s:
            row = self._audit(s, event, username, detail, ip)
            return event_of(row)

    def audit_log(self, limit: int = 200, event: str | None = None) -> list[AuditEvent]:
        """The latest events, newest first; only ``event`` ones when given."""
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(max(0, limit))
        if event is not None:
            query = query.where(AuditEventRow.event == event)
        with self._read() as s:
            return [event_of(r) for r in s.scalars(query)]
