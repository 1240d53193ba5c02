"""The report's view model: what every human-readable format shows, decided once: labels,
order, nesting. The dashboard (kpiboard.web) uses it too, so a page and the report agree.

This module only arranges text the engine already wrote into the Scorecard (it picks, labels
and joins; it never calculates), so the terminal table, Markdown and HTML say the same
thing in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import assert_never

from kpiboard.scorecard import Figure, Row, Scorecard, Spc
from kpiboard.vocabulary import Status

NO_VALUE = "–"  # en dash: an empty cell the reader can see is deliberately empty
CHILD_MARKER = "↳"
TRACKING_LABEL = "Tracking measure"
IN_DEVELOPMENT_LABEL = "In development"
NO_DATA_LABEL = "No data yet"
PROVISIONAL_LABEL = "provisional"
OTHER_SECTION = "Other measures"
ANCHOR_PREFIX = "kpi-"

# The assurance as the clause after the variation: "SPC: Common cause variation; hit and miss".
ASSURANCE_SHORT: dict[str, str] = {
    "consistent_pass": "consistently meets the target",
    "consistent_fail": "consistently misses the target",
    "inconsistent": "hit and miss",
}
COMMON_CAUSE_RULE = "common_cause"
MILLION = 1_000_000
CURRENCY = ("£", "$", "€")  # units written before the number: "£3.5m"
STATUS_FROM_SPC = "spc"  # Row.status_from when the headline status is SPC's, not the target's


@dataclass(frozen=True)
class StatusLabel:
    """A status as letter + word (+ icon), never colour alone.

    ``key`` is the Status value or ``"none"``; it doubles as the CSS class suffix.
    ``shape`` is a distinct glyph per status so a greyscale print still tells them apart.
    """

    key: str
    letter: str
    word: str
    shape: str

    @property
    def text(self) -> str:
        """``"G Green"``; ``"–"`` when there is no status."""
        return f"{self.letter} {self.word}" if self.key != "none" else NO_VALUE


def status_label(status: Status | None) -> StatusLabel:
    if status is None:
        return StatusLabel("none", NO_VALUE, "No status", "○")
    match status:
        case Status.GREEN:
            return StatusLabel(status.value, status.letter, "Green", "●")
        case Status.AMBER:
            return StatusLabel(status.value, status.letter, "Amber", "▲")
        case Status.RED:
            return StatusLabel(status.value, status.letter, "Red", "■")
        case _:
            assert_never(status)


@dataclass(frozen=True)
class Line:
    """One displayed row (a KPI or one of its children), ready to lay out."""

    row: Row
    depth: int
    parent: Row | None
    ref: str  # the Ref cell: the row label, "" for a child that has none of its own
    label: str | None  # "Tracking measure" / "In development"
    target: str
    status: StatusLabel
    latest: str
    latest_period: str | None
    provisional: bool
    milestones: tuple[str, ...]
    figures: tuple[tuple[str, str], ...]
    anchor: str = ""  # the HTML id of the row ("kpi-4a"), for links from the summary
    spc: str | None = None  # "SPC: Common cause variation; hit and miss"
    status_source: str | None = None  # "Status from SPC", when the status is not the target's
    rag: StatusLabel | None = None  # the target's own verdict, when the status is SPC's
    rag_reason: str | None = None  # and the target's own reason for it
    stale: str | None = None  # "stale: last figure Mar-10", when the figure is older than allowed
    revised: str | None = None  # "revised since published: 77.1% → 76.4% (vintage 3)"

    @property
    def title(self) -> str:
        return self.row.title

    @property
    def status_note(self) -> str | None:
        """``"Status from SPC; against the target alone: G Green (-5.1% better than the -2%
        target)"`` (text formats)."""
        if self.status_source is None:
            return None
        if self.rag is None:
            return self.status_source
        note = f"{self.status_source}; {rag_text(self.rag)}"
        return f"{note} ({self.rag_reason})" if self.rag_reason else note

    @property
    def spc_notes(self) -> tuple[str, ...]:
        """What the text formats add after the status reason: the SPC line, or, when the
        status is SPC's (and the reason already the engine's SPC sentence), where the status
        came from and the target's own verdict."""
        if self.status_note is not None:
            return (self.status_note,)
        return (self.spc,) if self.spc else ()

    @property
    def is_child(self) -> bool:
        return self.depth > 0


@dataclass(frozen=True)
class SectionView:
    name: str
    lines: tuple[Line, ...]


def sections(scorecard: Scorecard) -> list[SectionView]:
    """Rows grouped by section: declared sections first, then any others as they appear."""
    order = list(scorecard.sections)
    grouped: dict[str, list[Line]] = {name: [] for name in order}
    for row in scorecard.rows:
        name = row.section or OTHER_SECTION
        grouped.setdefault(name, []).extend(_lines(row, 0, None))
    return [SectionView(name, tuple(lines)) for name, lines in grouped.items() if lines]


def key_entries(scorecard: Scorecard) -> list[tuple[StatusLabel, str]]:
    """The performance assessment key, G/A/R order, from ``scorecard.status_key``.

    Keys are Status values ("green"); a key that is not a status is kept, labelled as is.
    """
    entries: list[tuple[StatusLabel, str]] = []
    known = {s.value for s in Status}
    for status in Status:
        if status.value in scorecard.status_key:
            entries.append((status_label(status), scorecard.status_key[status.value]))
    for key, meaning in scorecard.status_key.items():
        if key not in known:
            entries.append((StatusLabel(key, key, key, ""), meaning))
    return entries


def key_text(label: StatusLabel, meaning: str) -> str:
    """``"G (green) = on/above target"``, the reference document's wording."""
    if label.key == label.word:  # not a Status: shown as given
        return f"{label.key} = {meaning}"
    return f"{label.letter} ({label.key}) = {meaning}"


def _lines(row: Row, depth: int, parent: Row | None, parent_anchor: str = "") -> list[Line]:
    line = _line(row, depth, parent, parent_anchor)
    out = [line]
    for child in row.children:
        out.extend(_lines(child, depth + 1, row, line.anchor))
    return out


_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")


def anchor_for(row_id: str, parent_anchor: str = "") -> str:
    """``"kpi-4a"``; a child's is under its parent's (``"kpi-4a--robbery"``) so ids stay unique."""
    slug = _NOT_ID.sub("-", row_id).strip("-") or "row"
    return f"{parent_anchor}--{slug}" if parent_anchor else f"{ANCHOR_PREFIX}{slug}"


def variation_words(spc: Spc) -> str:
    return spc.variation_text or spc.variation.replace("_", " ")


def assurance_words(spc: Spc) -> str | None:
    """``"Inconsistently meets the target (hit and miss)"``; None without an assurance."""
    if spc.assurance is None:
        return None
    return spc.assurance_text or spc.assurance.replace("_", " ")


def spc_line(spc: Spc | None) -> str | None:
    """``"SPC: Common cause variation; hit and miss"``: variation (with the rule that fired at
    the latest point, when special cause), assurance, and a trial-limits warning."""
    if spc is None:
        return None
    text = f"SPC: {variation_words(spc)}"
    if spc.rule != COMMON_CAUSE_RULE and spc.rule_text:
        text += f" ({spc.rule_text})"
    if spc.assurance is not None:
        text += f"; {ASSURANCE_SHORT.get(spc.assurance) or spc.assurance_text or spc.assurance}"
    if spc.trial_limits:
        text += "; trial limits (short series)"
    return text


def status_source(row: Row) -> tuple[str | None, StatusLabel | None]:
    """(``"Status from SPC"``, the target's own verdict) when the status is SPC's; (None, None)
    otherwise ("both" keeps the target's status, and the engine puts SPC in the reason)."""
    if row.status_from != STATUS_FROM_SPC:
        return None, None
    return "Status from SPC", status_label(row.rag_status)


RAG_PREFIX = "against the target alone"


def rag_text(rag: StatusLabel) -> str:
    """``"against the target alone: G Green"`` (``"...: No status"`` when it gives none)."""
    return f"{RAG_PREFIX}: {rag.text if rag.key != 'none' else rag.word}"


def _line(row: Row, depth: int, parent: Row | None, parent_anchor: str = "") -> Line:
    label = IN_DEVELOPMENT_LABEL if row.in_development else TRACKING_LABEL if row.tracking else None
    # A child's id is often just its measure id ("robbery"): not a label the board uses.
    ref = "" if depth > 0 and row.id == row.measure else row.id
    target = row.target.text if row.target is not None else label or NO_VALUE
    source, rag = status_source(row)
    if row.latest is not None:
        latest, period = row.latest.text, row.latest.period
    else:
        latest, period = (NO_DATA_LABEL if row.in_development else NO_VALUE), None
    return Line(
        row=row,
        depth=depth,
        parent=parent,
        ref=ref,
        label=label,
        target=target,
        status=status_label(row.status),
        latest=latest,
        latest_period=period,
        provisional=row.provisional and row.latest is not None,
        milestones=tuple(f"{m.text} by {m.by_text}" for m in row.milestones),
        figures=_figures(row),
        anchor=anchor_for(row.id, parent_anchor),
        spc=spc_line(row.spc),
        status_source=source,
        rag=rag,
        rag_reason=row.rag_reason if rag is not None else None,
        stale=row.stale.text if row.stale is not None else None,
        revised=row.revised.text if row.revised is not None else None,
    )


def ranks_inline(row: Row) -> str:
    """``"England & Wales 14th/42; MSF 2nd/4"`` (no periods: the CSV cell)."""
    return "; ".join(f"{r.group} {r.text}" for r in row.ranks)


def change_text(row: Row) -> str | None:
    """``"-0.4 pts"`` or ``"+1,573 (+2.6%)"``: the engine's two texts side by side."""
    c = row.change
    if c is None:
        return None
    return f"{c.absolute_text} ({c.percent_text})" if c.percent_text else c.absolute_text


def _against(text: str, target_text: str | None) -> str:
    return f"{text} against target {target_text}" if target_text else text


def _figures(row: Row) -> tuple[tuple[str, str], ...]:
    """The statistics behind the status, as (label, text) pairs, in reading order."""
    out: list[tuple[str, str]] = []
    for part in (_level_and_ratio, _comparison, _year_figures, _movement):
        out += part(row)
    return tuple(out)


def _when(figure: Figure) -> str:
    return f" ({figure.period})" if figure.period else ""


def _level_and_ratio(row: Row) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if row.level is not None:
        # The count or rate behind a latest figure that is reported as a % change.
        out.append((f"Level{_when(row.level)}", row.level.text))
    if row.ratio is not None:
        ratio = row.ratio
        text = f"{ratio.text} (reference share {ratio.reference_text})"
        out.append(("Ratio", _against(text, ratio.target_text)))
    return out


def _comparison(row: Row) -> list[tuple[str, str]]:
    """Comparator, change, year to date and margin of error."""
    out: list[tuple[str, str]] = []
    if row.comparator is not None:
        out.append((f"Comparator{_when(row.comparator)}", row.comparator.text))
    change = change_text(row)
    if change is not None:
        out.append(("Change", change))
    if row.fytd is not None:
        out.append((f"Year to date{_when(row.fytd)}", row.fytd.text))
    if row.margin_of_error is not None:
        moe = row.margin_of_error
        text = moe.text
        if moe.shortfall_text:
            text += f"; shortfall {moe.shortfall_text}"
        out.append(("Margin of error", text))
    return out


def _year_figures(row: Row) -> list[tuple[str, str]]:
    """The monthly average so far and the forecast outturn, each against its target."""
    out: list[tuple[str, str]] = []
    if row.monthly_average is not None:
        avg = row.monthly_average
        out.append((f"Monthly average ({avg.period})", _against(avg.text, avg.target_text)))
    if row.forecast is not None:
        fc = row.forecast
        out.append((f"Forecast {fc.financial_year}", _against(fc.text, fc.target_text)))
    return out


def _movement(row: Row) -> list[tuple[str, str]]:
    """The range over the last months and what dropped out of a rolling total."""
    out: list[tuple[str, str]] = []
    if row.range_12 is not None:
        r = row.range_12
        out.append(
            (
                f"Range, last {r.months} months",
                f"{r.low_text} ({r.low_period}) to {r.high_text} ({r.high_period})",
            )
        )
    if row.drop_off is not None:
        d = row.drop_off
        out.append(
            (
                "Rolling total",
                f"{d.dropped_period} ({d.dropped_text}) dropped out, "
                f"{d.added_period} ({d.added_text}) came in; "
                f"previously {d.previous_total_text}",
            )
        )
    return out
