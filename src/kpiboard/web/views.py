"""What the dashboard's pages show, laid out from a Scorecard: no statistic is computed here.

The report's view model (:mod:`kpiboard.render.viewmodel`) gives each row's texts; this module adds
what only the dashboard has — sparklines, "commentary required" flags, the board cover's
grouping by status and SPC icon, and a KPI's definition as written in the YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from kpiboard.catalogue.schema import Measure
from kpiboard.render.viewmodel import Line, StatusLabel, sections, status_label, variation_words
from kpiboard.scorecard import Row, Scorecard
from kpiboard.vocabulary import Status

# SPC variations that are a special cause of concern (docs/SPC.md): red flags for the board.
CONCERN = frozenset({"concern_high", "concern_low"})
SPARK_W, SPARK_H, SPARK_PAD = 96, 24, 2


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


def sparkline(row: Row) -> str:
    """The last months of the row's SPC series as a small inline SVG line with a text
    alternative; "" when the row has no monthly series. Drawn from the Scorecard's points."""
    if row.spc is None or len(row.spc.points) < 2:
        return ""
    points = row.spc.points[-24:]
    values = [p.value for p in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (SPARK_W - 2 * SPARK_PAD) / (len(values) - 1)
    xy = [
        (SPARK_PAD + i * step, SPARK_H - SPARK_PAD - (v - low) / span * (SPARK_H - 2 * SPARK_PAD))
        for i, v in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    last_x, last_y = xy[-1]
    label = (
        f"Trend of {row.title}, {points[0].label} to {points[-1].label}: "
        f"from {_num(values[0])} to {_num(values[-1])}, lowest {_num(low)}, highest {_num(high)}"
    )
    return (
        f'<svg class="spark" role="img" aria-label="{escape(label)}" width="{SPARK_W}" height="{SPARK_H}" '
        f'viewBox="0 0 {SPARK_W} {SPARK_H}"><title>{escape(label)}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.2" fill="currentColor"/></svg>'
    )


def _num(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


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


def definition(measure: Measure, sources: list[str]) -> list[tuple[str, str]]:
    """The KPI's definition as the YAML states it: (label, text) pairs for a <dl>."""
    out: list[tuple[str, str]] = [("Measure id", measure.id)]
    if measure.row:
        out.append(("Row", measure.row))
    if measure.description:
        out.append(("What is measured", measure.description))
    if measure.reference:
        out.append(("Reference", measure.reference))
    out.append(("Kind", measure.kind.value.replace("_", " ")))
    if measure.records is not None:
        out.append(("What is counted", _records_text(measure)))
    if measure.of:
        out.append(("Computed from", ", ".join(measure.of)))
    if measure.per:
        out.append(("Rate", f"per {measure.per:,g} of the population"))
    if measure.unit:
        out.append(("Unit", measure.unit))
    out.append(("Better when", measure.polarity.words))
    out.append(("Window", measure.window.value.replace("_", " ")))
    out.append(("Compared with", measure.comparator.value.replace("_", " ")))
    for target in measure.targets:
        year = target.year or ", ".join(target.years or [])
        if target.text:
            what = target.text
        elif target.level is not None:
            what = f"level {target.level:g}"
        elif target.change is not None:
            what = f"change of {target.change:+g}%"
        else:
            what = "baseline reduction"
        out.append((f"Target {year}", what))
    if measure.ranks is not None and measure.ranks.groups:
        out.append(("Ranked among", ", ".join(measure.ranks.groups)))
    out.append(("Source", "; ".join(sources) if sources else "no data loaded"))
    out.append(("Owner", measure.owner or "not named in the definition"))
    return out


def _records_text(measure: Measure) -> str:
    records = measure.records
    assert records is not None
    text = f"records of source {records.source!r}"
    if records.where:
        text += " where " + _plain(records.where)
    return text


def _plain(value: object) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k} in {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
