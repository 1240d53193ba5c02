"""The rules on how a measure is assessed: one target per financial year, each target's
operator agreeing with the polarity and its kind fitting the measure, a margin-of-error
tolerance only on survey figures, and an SPC direction for measures assessed by SPC."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.rule_findings import at_measure
from kpiboard.catalogue.schema import Measure, Target
from kpiboard.catalogue.yamlfile import Loc
from kpiboard.errors import Finding
from kpiboard.periods import parse_fy
from kpiboard.vocabulary import ComparatorKind, Direction, MeasureKind, StatusFrom, TargetKind


def targets(cat: Catalogue) -> Iterator[Finding]:
    fy = cat.fy_start_month
    for m in cat.measures.values():
        seen: dict[int, int | None] = {}  # first month of a target's year -> its line
        for i, t in enumerate(m.targets):
            yield from _years(cat, m, i, t, fy, seen)
            yield from _operator(cat, m, i, t)
            yield from _kind_fits(cat, m, i, t)
        yield from _assessed(cat, m)


def _years(
    cat: Catalogue, m: Measure, i: int, t: Target, fy: int, seen: dict[int, int | None]
) -> Iterator[Finding]:
    """Target ``i``'s financial years, each not given a target before (``seen``, added to)."""
    src = cat.sources.get(m.id)
    for j, label in enumerate(t.financial_years()):
        start = parse_fy(label, fy)
        year_at: Loc = ("targets", i, "year") if t.year else ("targets", i, "years", j)
        if start in seen:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"two targets for {label}",
                f"the first is at line {seen[start]}; keep one target per financial year",
                at=year_at,
            )
        else:
            seen[start] = src.line_at(year_at) if src else None


def _operator(cat: Catalogue, m: Measure, i: int, t: Target) -> Iterator[Finding]:
    if t.op is not None and t.op.polarity is not m.polarity:
        yield at_measure(
            cat,
            m.id,
            "error",
            f"a {m.polarity.value.replace('_', '-')} measure with a '{t.op.value}' target",
            "flip the operator or the polarity",
            at=("targets", i, "op"),
        )


def _kind_fits(cat: Catalogue, m: Measure, i: int, t: Target) -> Iterator[Finding]:
    """A change target needs a comparator and a measure it can change; a baseline reduction
    fits counts and rates; a level of a proportion is a percentage."""
    if t.kind is TargetKind.CHANGE and m.comparator is ComparatorKind.NONE:
        yield at_measure(
            cat,
            m.id,
            "error",
            "a % change target needs a comparator",
            "remove comparator: none",
            at=("targets", i, "change"),
        )
    if t.kind is TargetKind.CHANGE and m.kind in (
        MeasureKind.DIFFERENCE,
        MeasureKind.RATIO,
        MeasureKind.SNAPSHOT,
    ):
        yield at_measure(
            cat,
            m.id,
            "error",
            f"a % change target does not fit a {m.kind} measure",
            "use level: instead",
            at=("targets", i, "change"),
        )
    if t.kind is TargetKind.BASELINE_REDUCTION and m.kind not in (
        MeasureKind.COUNT,
        MeasureKind.COMPOSITE,
        MeasureKind.PER_POPULATION,
    ):
        yield at_measure(
            cat,
            m.id,
            "error",
            f"a reduction on a baseline fits counts and rates, not a {m.kind} measure",
            "use level: or change: instead",
            at=("targets", i, "baseline_reduction"),
        )
    if (
        t.kind is TargetKind.LEVEL
        and m.kind is MeasureKind.PROPORTION
        and t.level is not None
        and not 0 <= t.level <= 100
    ):
        yield at_measure(
            cat,
            m.id,
            "error",
            f"a percentage target of {t.level:g} is outside 0-100",
            "write a percentage, e.g. 80 for 80%",
            at=("targets", i, "level"),
        )


def _assessed(cat: Catalogue, m: Measure) -> Iterator[Finding]:
    if m.in_development and m.targets:
        yield at_measure(
            cat,
            m.id,
            "warning",
            "a measure in development has targets; they are not assessed",
            at=("in_development",),
        )
    rule = m.status_rule
    if rule and rule.amber_within.margin_of_error and not _is_survey(cat, m):
        yield at_measure(
            cat,
            m.id,
            "error",
            "a margin-of-error tolerance needs a survey proportion or a difference of two",
            "set survey: true on the proportion(s) measured by a sample survey",
            at=("status_rule", "amber_within", "margin_of_error"),
        )


def _is_survey(cat: Catalogue, m: Measure) -> bool:
    if m.kind is MeasureKind.PROPORTION:
        return m.survey
    if m.kind is MeasureKind.DIFFERENCE:
        ops = [cat.measures.get(i) for i in m.of or []]
        return all(o is not None and o.survey for o in ops)
    return False


def spc(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        if m.spc.direction is not Direction.NEUTRAL:
            continue
        if m.status_from is StatusFrom.SPC:
            yield at_measure(
                cat,
                m.id,
                "error",
                "status_from: spc needs a direction, but spc.direction is neutral",
                "a neutral measure has no improvement or concern; use status_from: rag",
                ("status_from",),
            )
        elif m.targets:
            yield at_measure(
                cat,
                m.id,
                "warning",
                "a target on a neutral measure: SPC draws it but gives it no assurance (the target is still assessed)",
                "set spc.direction to increase or decrease",
                ("spc", "direction"),
            )
