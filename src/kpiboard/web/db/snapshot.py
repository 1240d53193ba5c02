"""From rows to records and back: the frozen records the store hands out, the publication's
JSON snapshot of its commentary, and the content hash of a published pack."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from kpiboard.web.db.entities import AuditEvent, Publication, Revision, Role, User
from kpiboard.web.db.models import AuditEventRow, CommentaryRevisionRow, PublicationRow, UserRow


def content_hash(
    scorecard_json: str, commentary_json: str, pack_html: str, data_version: str
) -> str:
    """sha256 over the four parts, each framed as ``<utf-8 byte length>:<bytes>\\n`` in this
    order, so that no two different packs can share a hash by moving text between parts."""
    digest = hashlib.sha256()
    for part in (scorecard_json, commentary_json, pack_html, data_version):
        data = part.encode("utf-8")
        digest.update(f"{len(data)}:".encode("ascii") + data + b"\n")
    return digest.hexdigest()


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


EXTERNAL = "!external"
"""The password_hash of an account that signs in through the identity provider only: not an
argon2 hash, so no password matches it (as ``!`` in /etc/shadow). Marking external accounts
this way needs no schema change, so older databases and `kpiboard users` on them keep working."""


def is_external(row: UserRow) -> bool:
    return row.password_hash == EXTERNAL


def user_of(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        active=row.active,
        created_at=row.created_at,
        external=is_external(row),
    )


def revision_of(row: CommentaryRevisionRow, author: str) -> Revision:
    return Revision(
        id=row.id,
        org=row.org,
        measure=row.measure,
        month=row.month,
        number=row.number,
        text=row.text,
        author=author,
        created_at=row.created_at,
    )


def revision_json(rev: Revision) -> dict[str, object]:
    return {
        "id": rev.id,
        "org": rev.org,
        "measure": rev.measure,
        "month": rev.month,
        "number": rev.number,
        "text": rev.text,
        "author": rev.author,
        "created_at": rev.created_at.astimezone(UTC).isoformat(),
    }


def revision_from_json(data: dict[str, Any]) -> Revision:
    return Revision(
        id=int(data["id"]),
        org=str(data["org"]),
        measure=str(data["measure"]),
        month=str(data["month"]),
        number=int(data["number"]),
        text=str(data["text"]),
        author=str(data["author"]),
        created_at=datetime.fromisoformat(data["created_at"]),
    )


def publication_of(row: PublicationRow, by: str) -> Publication:
    commentary = {m: revision_from_json(r) for m, r in json.loads(row.commentary_json).items()}
    return Publication(
        id=row.id,
        org=row.org,
        month=row.month,
        published_at=row.published_at,
        published_by=by,
        data_version=row.data_version,
        scorecard_json=row.scorecard_json,
        commentary=commentary,
        pack_html=row.pack_html,
        changes=json.loads(row.changes_json),
        content_hash=row.content_hash,
        vintage=row.vintage,
    )


def event_of(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        username=row.username,
        event=row.event,
        detail=json.loads(row.detail_json),
        ip=row.ip,
    )
