"""The executive summary of a board pack as a hand-off object: the sentences
:mod:`kpiboard.brief` drafts from the figures, each with the rows it is about, for the
renderers and the dashboard. Standard library only, like the Scorecard that carries it.

>>> s = ExecutiveSummary("2009-08", None, None, (SummaryLine(SummaryKind.COUNTS, "2 Red."),))
>>> s.markdown()
'- 2 Red.\\n'
>>> s.to_dict()["lines"][0]["kind"]
'counts'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpiboard.vocabulary import SummaryKind


@dataclass(frozen=True)
class SummaryLine:
    """One sentence of a pack's executive summary and the rows it is about (measure ids)."""

    kind: SummaryKind
    text: str
    rows: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExecutiveSummary:
    """The executive summary drafted from the figures: the month's scorecard against the last
    pack's, sentence by sentence."""

    as_of: str  # YYYY-MM: the month summarised
    since: str | None  # the last pack in words ("the pack for Jul-09"); None for a first pack
    since_as_of: str | None  # its month, YYYY-MM
    lines: tuple[SummaryLine, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and strings (the pack keeps it as JSON beside the edited text)."""
        return {
            "as_of": self.as_of,
            "since": self.since,
            "since_as_of": self.since_as_of,
            "lines": [
                {"kind": line.kind.value, "text": line.text, "rows": list(line.rows)}
                for line in self.lines
            ],
        }

    def markdown(self) -> str:
        """The draft as Markdown, one sentence per bullet: where an editor starts from."""
        return "\n".join(f"- {line.text}" for line in self.lines) + "\n"
