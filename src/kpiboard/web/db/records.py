"""The store's records: commentary revisions, publications and the audit log, all append-only."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from kpiboard.errors import KpiboardError
from kpiboard.web.db._base import StoreBase
from kpiboard.web.db.entities import AuditEvent, PackFile, Publication, Revision, Role, User
from kpiboard.web.db.errors import (
    MAX_COMMENTARY_CHARS,
    AlreadyPublished,
    CommentaryTooLong,
    PermissionDenied,
)
from kpiboard.web.db.models import (
    AuditEventRow,
    CommentaryRevisionRow,
    PackFileRow,
    PublicationRow,
    UserRow,
)
from kpiboard.web.db.rules import (
    DATA_VERSION_MAX,
    EVENT_MAX,
    MEASURE_MAX,
    ORG_MAX,
    check_key,
    check_month,
)
from kpiboard.web.db.snapshot import (
    canonical_json,
    content_hash,
    event_of,
    publication_of,
    revision_json,
    revision_of,
)

NUMBERING_RETRIES = 10  # two editors saving at once: the loser of the unique number tries again


class Records(StoreBase):
    """Commentary, publications and the audit log (part of AppStore)."""

    # --- commentary -------------------------------------------------------------------------

    def save_commentary(
        self, org: str, measure: str, month: str, text: str, author: User, ip: str | None = None
    ) -> Revision:
        """Append a new revision (numbered 1, 2, 3… per org, measure and month)."""
        check_key("organisation", org, ORG_MAX)
        check_key("measure", measure, MEASURE_MAX)
        check_month(month)
        if len(text) > MAX_COMMENTARY_CHARS:
            raise CommentaryTooLong(len(text))
        where = (
            CommentaryRevisionRow.org == org,
            CommentaryRevisionRow.measure == measure,
            CommentaryRevisionRow.month == month,
        )
        for attempt in range(NUMBERING_RETRIES):
            try:
                with self._write() as s:
                    try:
                        row = self._require(s, author, Role.EDITOR, "write commentary")
                    except PermissionDenied as exc:
                        denied = exc
                    else:
                        self._lock_numbering(s, org, measure, month)
                        number = (
                            s.scalar(select(func.max(CommentaryRevisionRow.number)).where(*where))
                            or 0
                        ) + 1
                        rev = CommentaryRevisionRow(
                            org=org,
                            measure=measure,
                            month=month,
                            number=number,
                            text=text,
                            author_id=row.id,
                            created_at=self.now(),
                        )
                        s.add(rev)
                        s.flush()
                        self._audit(
                            s,
                            "commentary_saved",
                            row.username,
                            {
                                "org": org,
                                "measure": measure,
                                "month": month,
                                "revision": number,
                                "length": len(text),
                            },
                            ip,
                        )
                        return revision_of(rev, row.username)
                raise self._refuse(
                    denied,
                    "permission_denied",
                    author.username,
                    {"action": "save_commentary", "org": org, "measure": measure, "month": month},
                    ip,
                )
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
            rows = s.execute(
                select(CommentaryRevisionRow, UserRow.username)
                .join(UserRow, CommentaryRevisionRow.author_id == UserRow.id)
                .where(*where)
                .order_by(CommentaryRevisionRow.measure, CommentaryRevisionRow.number.desc())
            )
            return [revision_of(r, name) for r, name in rows]

    def revisions(self, org: str, measure: str, month: str) -> list[Revision]:
        """Every revision, newest first."""
        return self._revisions(
            CommentaryRevisionRow.org == org,
            CommentaryRevisionRow.measure == measure,
            CommentaryRevisionRow.month == month,
        )

    def latest_commentary(self, org: str, month: str) -> dict[str, Revision]:
        """measure -> its newest revision, for one organisation and month."""
        latest: dict[str, Revision] = {}
        for rev in self._revisions(
            CommentaryRevisionRow.org == org, CommentaryRevisionRow.month == month
        ):
            latest.setdefault(rev.measure, rev)  # newest first within each measure
        return latest

    # --- publications -----------------------------------------------------------------------

    def _check_commentary(
        self, s: DbSession, org: str, month: str, commentary: dict[str, Revision]
    ) -> None:
        """Each revision is the stored one, for this org and month, under its own measure."""
        for measure, rev in commentary.items():
            stored = s.get(CommentaryRevisionRow, rev.id)
            author = None if stored is None else s.get(UserRow, stored.author_id)
            if (
                stored is None
                or author is None
                or measure != rev.measure
                or revision_of(stored, author.username) != rev
                or (rev.org, rev.month) != (org, month)
            ):
                raise KpiboardError(
                    f"the commentary for {measure!r} is not a saved revision of {org} {month}",
                    hint="publish the revisions that latest_commentary returned",
                )

    def publish(
        self,
        org: str,
        month: str,
        *,
        scorecard_json: str,
        pack_html: str,
        data_version: str,
        commentary: dict[str, Revision],
        changes: dict[str, object],
        user: User,
        ip: str | None = None,
        vintage: int | None = None,
        files: Mapping[str, tuple[str, bytes]] | None = None,
    ) -> Publication:
        """Freeze the month's pack. Once per org and month: the first publication is kept.
        ``vintage``: the warehouse vintage the pack was built from (its pin); ``files``: the
        pack in more formats, format -> (media type, bytes), kept with it for ever."""
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
                        pub = PublicationRow(
                            org=org,
                            month=month,
                            published_at=self.now(),
                            published_by_id=row.id,
                            data_version=data_version,
                            scorecard_json=scorecard_json,
                            commentary_json=commentary_json,
                            pack_html=pack_html,
                            changes_json=changes_json,
                            content_hash=digest,
                            vintage=vintage,
                        )
                        s.add(pub)
                        s.flush()
                        hashes = {}
                        for fmt, (media_type, content) in sorted((files or {}).items()):
                            digest_of_file = hashlib.sha256(content).hexdigest()
                            hashes[fmt] = digest_of_file
                            s.add(
                                PackFileRow(
                                    publication_id=pub.id,
                                    format=fmt,
                                    media_type=media_type,
                                    content=content,
                                    sha256=digest_of_file,
                                )
                            )
                        self._audit(
                            s,
                            "pack_published",
                            row.username,
                            {
                                "org": org,
                                "month": month,
                                "content_hash": digest,
                                "data_version": data_version,
                                "vintage": vintage,
                                "measures": sorted(commentary),
                                "files": hashes,
                            },
                            ip,
                        )
                        return publication_of(pub, row.username)
                    denied = None
        except IntegrityError:  # a racing publish won between our check and our insert
            denied = None
        if denied is not None:
            raise self._refuse(
                denied,
                "permission_denied",
                user.username,
                {"action": "publish", "org": org, "month": month},
                ip,
            )
        first = self.publication(org, month)
        assert first is not None
        raise self._refuse(
            AlreadyPublished(org, month, first.published_by, first.published_at),
            "pack_publish_refused",
            user.username,
            {
                "org": org,
                "month": month,
                "published_by": first.published_by,
                "content_hash": first.content_hash,
                "refused_content_hash": digest,
            },
            ip,
        )

    def _publications(self, *where: Any, limit: int | None = None) -> list[Publication]:
        with self._read() as s:
            query = (
                select(PublicationRow, UserRow.username)
                .join(UserRow, PublicationRow.published_by_id == UserRow.id)
                .where(*where)
                .order_by(PublicationRow.month.desc(), PublicationRow.org)
            )
            if limit is not None:
                query = query.limit(limit)
            return [publication_of(p, name) for p, name in s.execute(query)]

    def pack_files(self, org: str, month: str) -> list[PackFile]:
        """The published pack's files in more formats (without their bytes), by format."""
        with self._read() as s:
            rows = s.execute(
                select(
                    PackFileRow.format,
                    PackFileRow.media_type,
                    PackFileRow.sha256,
                    func.length(PackFileRow.content),
                )
                .join(PublicationRow, PackFileRow.publication_id == PublicationRow.id)
                .where(PublicationRow.org == org, PublicationRow.month == month)
                .order_by(PackFileRow.format)
            )
            return [PackFile(f, m, h, int(n)) for f, m, h, n in rows]

    def pack_file(self, org: str, month: str, fmt: str) -> PackFile | None:
        """One of the published pack's files, with its bytes as stored at publication."""
        with self._read() as s:
            row = s.scalars(
                select(PackFileRow)
                .join(PublicationRow, PackFileRow.publication_id == PublicationRow.id)
                .where(
                    PublicationRow.org == org,
                    PublicationRow.month == month,
                    PackFileRow.format == fmt,
                )
            ).first()
            if row is None:
                return None
            return PackFile(row.format, row.media_type, row.sha256, len(row.content), row.content)

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

    def audit(
        self,
        event: str,
        username: str | None,
        detail: dict[str, object] | None = None,
        ip: str | None = None,
    ) -> AuditEvent:
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
