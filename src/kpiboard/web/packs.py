"""Published packs: a month's Scorecard, its commentary and its data version, frozen.

A pack is built here and handed to the application database, which stores it and refuses a
second pack for the same organisation and month. What is frozen: the Scorecard JSON (the
contract in docs/DESIGN.md), the commentary revisions shown, the data version (content hash of
the data files and KPI definitions), and the HTML pack (rendered by the registry's ``pack``
document, :mod:`kpiboard.render.pack`) — served back byte for byte,
so a pack opened years later looks exactly as it did when it was signed off, whatever the code
or the data have become since.

"What changed since the last published pack" compares the new pack with the latest earlier
pack of the same organisation: statuses, latest figures, SPC variation, commentary revisions,
the data version. Figures are compared as published (their texts), never recomputed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kpiboard.boardpack import PublishedPack
from kpiboard.brief import SUMMARY_KEY, draft_summary
from kpiboard.executive import ExecutiveSummary
from kpiboard.periods import parse_month, short_month
from kpiboard.render import PACK, RenderOptions, media_type, render
from kpiboard.scorecard import Scorecard, json_rows
from kpiboard.web.db import Publication, Revision, User, content_hash
from kpiboard.web.db.snapshot import canonical_json, revision_json
from kpiboard.web.service import DataVersion

Item = dict[str, object]


@dataclass(frozen=True)
class Pack:
    scorecard_json: str
    pack_html: str
    commentary: dict[str, Revision]
    changes: dict[str, object]
    files: dict[str, tuple[str, bytes]]  # format -> (media type, bytes): PDF, XLSX, ...


def summary_of(
    card: Scorecard, previous: Publication | None, month_before: Scorecard | None
) -> ExecutiveSummary:
    """The executive summary drafted from ``card``'s figures against the last published pack
    (its frozen JSON: what the board saw), else the month before (None: before any data)."""
    if previous is not None:
        since = f"the pack for {short_month(parse_month(previous.month))}"
        return draft_summary(card, json.loads(previous.scorecard_json), since)
    if month_before is not None:
        return draft_summary(card, month_before.to_dict(), month_before.as_of_text)
    return draft_summary(card, None)


def pack_document(
    card: Scorecard,
    version: DataVersion,
    commentary: dict[str, Revision],
    previous: Publication | None,
    summary: ExecutiveSummary,
    *,
    user: User | None = None,
    when: datetime | None = None,
    vintage: int | None = None,
) -> tuple[PublishedPack, dict[str, object]]:
    """The pack as the renderers take it (a draft without ``user`` and ``when``), and what
    changed since ``previous``. The executive summary's edited text is the commentary saved
    under :data:`~kpiboard.brief.SUMMARY_KEY`."""
    changes = compare(previous, card.to_dict(), commentary, version)
    lines = tuple(str(x) for x in changes["lines"])  # type: ignore[attr-defined]
    edited = commentary.get(SUMMARY_KEY)
    document = PublishedPack(
        scorecard=card,
        signed_off_by=user.display_name if user is not None else None,
        username=user.username if user is not None else None,
        signed_off_at=when,
        data_version=version.short,
        commentary={m: r.text for m, r in commentary.items() if m != SUMMARY_KEY},
        changes=lines if previous is not None else (),
        summary=summary,
        summary_text=edited.text if edited is not None else None,
        vintage=vintage,
    )
    return document, changes


def build_pack(
    card: Scorecard,
    version: DataVersion,
    commentary: dict[str, Revision],
    previous: Publication | None,
    user: User,
    when: datetime,
    summary: ExecutiveSummary | None = None,
    vintage: int | None = None,
    marking: str | None = None,
) -> Pack:
    """The pack frozen at publication: its Scorecard JSON, its HTML, the commentary revisions
    it shows (the executive summary's edited text among them) and the changes; its files in
    the other formats (the PDF with the project's protective ``marking``)."""
    scorecard_json = render(card, "json").decode("utf-8")
    if summary is None:
        summary = summary_of(card, previous, None)
    published, changes = pack_document(
        card, version, commentary, previous, summary, user=user, when=when, vintage=vintage
    )
    html = PACK.render(published, "html").decode("utf-8")
    # every other format a pack has, rendered once now and kept with it for ever; they name
    # the pack's content hash (the HTML cannot: the hash is of it), as the store will record it
    commentary_json = canonical_json({m: revision_json(r) for m, r in commentary.items()})
    digest = content_hash(scorecard_json, commentary_json, html, version.hash)
    hashed = replace(published, content_hash=digest)
    files = {
        fmt: (media_type(fmt), PACK.render(hashed, fmt, RenderOptions(marking=marking)))
        for fmt in PACK.formats
        if fmt != "html"
    }
    changes["summary"] = summary.to_dict()  # the draft, kept beside the edited text
    return Pack(scorecard_json, html, dict(commentary), changes, files)


def compare(
    previous: Publication | None,
    card: dict[str, Any],
    commentary: dict[str, Revision],
    version: DataVersion,
) -> dict[str, object]:
    """The differences between ``previous`` and the new pack, as items and as sentences."""
    if previous is None:
        return {"previous": None, "items": [], "lines": []}
    before = json_rows(json.loads(previous.scorecard_json))
    after = json_rows(card)
    items: list[Item] = []
    for measure, row in after.items():
        items += _row_changes(measure, before.get(measure), row)
    items += [
        _item(
            measure,
            row["title"],
            "removed",
            measure,
            None,
            f"{row['title']}: no longer on the scorecard",
        )
        for measure, row in before.items()
        if measure not in after
    ]
    items += _commentary_changes(previous, commentary, after)
    if previous.data_version != version.hash:
        items.append(
            {
                "measure": None,
                "row": None,
                "what": "data_version",
                "before": previous.data_version,
                "after": version.hash,
                "text": f"Data version {previous.data_version[:12]} → {version.short}",
            }
        )
    since = short_month(parse_month(previous.month))
    return {
        "previous": {
            "org": previous.org,
            "month": previous.month,
            "content_hash": previous.content_hash,
            "published_by": previous.published_by,
            "published_at": previous.published_at.isoformat(),
        },
        "items": items,
        "lines": [f"Since the pack for {since}: " + str(i["text"]) for i in items]
        if items
        else [f"Nothing changed since the pack for {since}."],
    }


def _item(measure: str, label: str, what: str, old: object, new: object, sentence: str) -> Item:
    return {
        "measure": measure,
        "row": label,
        "what": what,
        "before": old,
        "after": new,
        "text": sentence,
    }


def _row_changes(measure: str, old: dict[str, Any] | None, row: dict[str, Any]) -> list[Item]:
    """A row of the new pack against the same measure's row in the previous one: added, or its
    status, latest figure and SPC variation where they differ."""
    label = f"{row['id']} {row['title']}" if row["id"] != measure else row["title"]
    if old is None:
        return [_item(measure, label, "added", None, measure, f"{label}: new on the scorecard")]
    items: list[Item] = []
    if old.get("status") != row.get("status"):
        old_status, new_status = old.get("status"), row.get("status")
        sentence = f"{label}: status {_word(old_status)} → {_word(new_status)}"
        items.append(_item(measure, label, "status", old_status, new_status, sentence))
    old_latest, new_latest = _figure(old.get("latest")), _figure(row.get("latest"))
    if old_latest != new_latest:
        sentence = f"{label}: latest {old_latest or 'none'} → {new_latest or 'none'}"
        items.append(_item(measure, label, "latest", old_latest, new_latest, sentence))
    old_var, new_var = _variation(old), _variation(row)
    if old_var != new_var:
        sentence = f"{label}: SPC {old_var or 'none'} → {new_var or 'none'}"
        items.append(_item(measure, label, "spc", old_var, new_var, sentence))
    return items


def _commentary_changes(
    previous: Publication, commentary: dict[str, Revision], after: dict[str, dict[str, Any]]
) -> list[Item]:
    """Commentary revisions in the new pack that the previous one did not show."""
    old_commentary = {m: r.number for m, r in previous.commentary.items()}
    items: list[Item] = []
    for measure, rev in sorted(commentary.items()):
        if old_commentary.get(measure) is None or rev.id != previous.commentary[measure].id:
            if measure == SUMMARY_KEY:
                title = "Executive summary"
            else:
                title = after.get(measure, {}).get("title", measure)
            sentence = f"{title}: commentary revision {rev.number} by {rev.author}"
            items.append(
                _item(
                    measure, title, "commentary", old_commentary.get(measure), rev.number, sentence
                )
            )
    return items


def _word(status: object) -> str:
    return str(status).capitalize() if status else "no status"


def _figure(fig: object) -> str | None:
    if not isinstance(fig, dict) or fig.get("text") is None:
        return None
    period = fig.get("period")
    return f"{fig['text']} ({period})" if period else str(fig["text"])


def _variation(row: dict[str, Any]) -> str | None:
    spc = row.get("spc")
    return str(spc.get("variation_text")) if isinstance(spc, dict) else None
