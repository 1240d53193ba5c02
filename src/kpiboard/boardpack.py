"""A month's board pack as a hand-off object: the Scorecard with what the dashboard adds to it
(sign-off, commentary, the executive summary, the changes since the last pack), for the
renderers of the ``pack`` document. Standard library only, like the Scorecard it carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from kpiboard.executive import ExecutiveSummary
from kpiboard.scorecard import Scorecard


@dataclass(frozen=True)
class PublishedPack:
    """A month's board pack: its Scorecard, who signed it off and when (None for a draft, not
    yet published: the outputs say DRAFT), from which data version, the commentary shown
    beside its KPIs, what changed since the previous pack (sentences), and the executive
    summary drafted from the figures with its edited text. The dashboard (and ``kpiboard
    pack`` for a draft) fills it; renderers lay it out."""

    scorecard: Scorecard
    signed_off_by: str | None  # the name shown in the dashboard; None: a draft
    username: str | None
    signed_off_at: datetime | None
    data_version: str  # the short form of the data version's hash
    commentary: Mapping[str, str] = field(default_factory=dict)  # measure id -> Markdown
    changes: tuple[str, ...] = ()  # () for a first pack
    summary: ExecutiveSummary | None = None  # drafted from the figures
    summary_text: str | None = None  # the summary as an editor rewrote it (Markdown), if one did
    vintage: int | None = None  # the warehouse vintage it was built from
    # the publication's content hash, for the files rendered after its HTML (PDF, XLSX)
    content_hash: str | None = None

    @property
    def draft(self) -> bool:
        return self.signed_off_at is None
