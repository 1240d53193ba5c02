"""What the dashboard's pages show, laid out from a Scorecard: no statistic is computed here.

The report's view model (:mod:`kpiboard.render.viewmodel`) gives each row's texts; this module adds
what only the dashboard has: "commentary required" flags and the board cover's grouping by
status and SPC icon. (Sparklines are drawn by :mod:`kpiboard.render.sparkline`; a KPI's
definition as written in the YAML is :mod:`kpiboard.web.definition`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.render.viewmodel import Line, StatusLabel, sections, status_label, variation_words
from kpiboard.scorecard import Row, Scorecard
from kpiboard.vocabulary import Status

# SPC variations that are a special cause of concern (docs/SPC.md): red flags for the board.
CONCERN = frozenset({"concern_high", "concern_low"})


@dataclass(frozen=True)
class Flag:
    """Why a KPI needs commentary this month (red, or SPC special-cause concern)."""

    required: bool
    reasons: tuple[str, ...]


def commentary_flag(row: Row) -> Flag:
    reasons = []
    if row.status is Status.RED:
        reasons.append("status is red")
    if row.spc is not None and row.spc.variation in CONCERN:
        reasons.append("SPC shows special cause concern")
    return Flag(bool(reasons), tuple(reasons))


@dataclass(frozen=True)
class StatusGroup:
    label: StatusLabel
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class VariationGroup:
    key: str
    words: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Summary:
    """The board cover: every KPI by status, and by SPC variation icon."""

    by_status: tuple[StatusGroup, ...]
    by_variation: tuple[VariationGroup, ...]
    no_spc: tuple[Line, ...]
    required: tuple[Line, ...]  # commentary required

    @property
    def counts(self) -> dict[str, int]:
        return {g.label.key: len(g.lines) for g in self.by_status}


STATUS_ORDER = (Status.RED, Status.AMBER, Status.GREEN, None)


def summary(card: Scorecard) -> Summary:
    lines = [line for section in sections(card) for line in section.lines]
    by_status = tuple(
        StatusGroup(status_label(s), tuple(line for line in lines if line.row.status is s))
        for s in STATUS_ORDER
    )
    variations: dict[str, list[Line]] = {}
    words: dict[str, str] = {}
    for line in lines:
        if line.row.spc is not None:
            variations.setdefault(line.row.spc.variation, []).append(line)
            words[line.row.spc.variation] = variation_words(line.row.spc)
    order = sorted(variations, key=lambda k: (k not in CONCERN, k.startswith("common"), k))
    return Summary(
        by_status=by_status,
        by_variation=tuple(VariationGroup(k, words[k], tuple(variations[k])) for k in order),
        no_spc=tuple(line for line in lines if line.row.spc is None),
        required=tuple(line for line in lines if commentary_flag(line.row).required),
    )
