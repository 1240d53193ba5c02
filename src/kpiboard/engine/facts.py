"""Commentary sentences built from computed figures (the numbers are the engine's own)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Value
from kpiboard.engine.peers import RankResult
from kpiboard.engine.stats import format_p_value
from kpiboard.engine.targets import Resolved, baseline_years
from kpiboard.formatting import number, rank_text, with_unit
from kpiboard.periods import window_ending
from kpiboard.precision import change_decimals, compare
from kpiboard.scorecard import Change, MarginOfError, RatioFigures, Row
from kpiboard.vocabulary import ChangeDirection, RankVerdict, WindowKind

MARGINAL_CHANGE_POINTS = 0.5  # a change this small (pts) or smaller is "marginal"


def comparator_sentence(
    m: Measure, latest: Value, comp: Value, change: Change, shows_change: bool, fy_start: int
) -> str:
    """``Down marginally from 77.7% for 2008/09 (-0.4 pts)`` or, for a measure reported as a
    change, ``6,843 in Apr - Aug 2009 against 6,809 in Apr - Aug 2008``. Figures that would
    print alike at the measure's decimals are written with more (``kpiboard.precision``), the
    latest one named too: ``Up marginally to 77.2% from 76.5% for 12 months to Jun-08``."""
    period = comp.window.label(fy_start)
    compared = compare(comp.value, latest.value, m.unit, m.decimals)
    then, now = compared.first_text, compared.second_text
    if shows_change:
        here = f"{now} in {latest.window.label(fy_start)}"
        if compared.level:
            return f"{here}, the same as in {period}"
        return f"{here} against {then} in {period}"
    match change.direction:
        case ChangeDirection.LEVEL:
            return f"Level with {then} for {period}"
        case ChangeDirection.UP:
            word = "Up"
        case ChangeDirection.DOWN:
            word = "Down"
        case _:  # pragma: no cover
            assert_never(change.direction)
    points = m.unit in ("%", "pts")
    if points and abs(change.absolute) <= MARGINAL_CHANGE_POINTS:
        word += " marginally"
    if compared.extended:  # the latest figure as shown elsewhere would read the same
        word += f" to {now}"
    detail = (
        change.absolute_text
        if points or change.percent_text is None
        else f"{change.absolute_text}, {change.percent_text}"
    )
    return f"{word} from {then} for {period} ({detail})"


def contribution_sentence(children: Sequence[Row], latest: Value) -> str | None:
    """``Residential burglary up 2.6% (+1,573), robbery down 4.4% (-1,527) ...``"""
    parts = []
    for child in children:
        ch = child.change
        if ch is None or ch.percent is None:
            continue
        word = ChangeDirection(ch.direction).value
        if ch.direction is ChangeDirection.LEVEL:
            parts.append(f"{child.title} level")
            continue
        pct = number(abs(ch.percent), change_decimals(ch.percent, 1))
        parts.append(f"{child.title} {word} {pct}% ({ch.absolute_text})")
    if not parts:
        return None
    return "; ".join(parts) + f" over the {latest.window.label()}"


def rank_sentences(cat: Catalogue, ranks: Sequence[RankResult], home: str, m: Measure) -> list[str]:
    """``Metropolitan Police Service is 14th/42 in England & Wales and 2nd/4 in MSF group
    (12 months to Mar-09)``, one sentence per distinct period; then group averages, verdicts
    and how many members rose."""
    if not ranks:
        return []
    return [
        *_rank_position_sentences(cat, ranks, home, m),
        *_group_average_sentences(ranks),
        *_verdict_and_rising_sentences(cat, ranks),
    ]


def _rank_basis(cat: Catalogue, r: RankResult, m: Measure) -> str:
    """What a rank is of: ``12 months to Mar-09, rate per 1,000 population, using ...``."""
    win = window_ending(r.window_kind, r.end, cat.fy_start_month)
    period = win.label(cat.fy_start_month) if win else ""
    if r.window_kind is WindowKind.FYTD:
        period = f"financial year to date {period}"
    basis = period + (
        f", rate per {number(r.per_population)} population" if r.per_population else ""
    )
    if r.measure.id != m.id:
        basis += f", using {r.measure.title}"
    return basis


def _rank_position_sentences(
    cat: Catalogue, ranks: Sequence[RankResult], home: str, m: Measure
) -> list[str]:
    """One sentence per distinct basis, naming every rank on it."""
    name = cat.org_name(home)
    by_period: dict[str, list[str]] = {}
    for r in ranks:
        by_period.setdefault(_rank_basis(cat, r, m), []).append(
            f"{rank_text(r.rank, r.of, r.tied)} in {r.group.name}"
        )
    return [f"{name} is {' and '.join(items)} ({basis})" for basis, items in by_period.items()]


def _group_average_sentences(ranks: Sequence[RankResult]) -> list[str]:
    """``England & Wales as a whole: 5.7 pts``, for groups of every organisation."""
    out = []
    for r in ranks:
        if r.pooled is not None and r.group.members == "all":
            unit = "" if r.per_population else r.measure.unit
            out.append(
                f"{r.group.name} as a whole: {with_unit(r.pooled, unit, max(r.measure.decimals, 1))}"
            )
    return out


def _verdict_and_rising_sentences(cat: Catalogue, ranks: Sequence[RankResult]) -> list[str]:
    """Per rank, its verdict against the rest of the group, then how many members rose."""
    out = []
    for r in ranks:
        if r.verdict is not None:
            out.append(verdict_sentence(r))
        if r.rising is not None and r.rising_of is not None and r.comparator_end is not None:
            then = window_ending(r.window_kind, r.comparator_end, cat.fy_start_month)
            when = f" ({then.label(cat.fy_start_month)})" if then else ""
            out.append(
                f"{r.rising} of {r.rising_of} members of {r.group.name} saw a rise against "
                f"the same period a year earlier{when}"
            )
    return out


def verdict_sentence(r: RankResult) -> str:
    """``Significantly worse than the rest of MSF group, whose pooled rate is 1.63 per 1,000
    (exact Poisson rate comparison, p < 0.001; beyond the 99.8% limit)``."""
    v = r.verdict
    assert v is not None
    phrase = v.phrase(r.measure.polarity)
    head = phrase[:1].upper() + phrase[1:]
    head += " from" if v.verdict is RankVerdict.NOT_DIFFERENT else " than"
    if v.limits_95 is not None:
        per = r.per_population or r.measure.per or 1000.0
        figure = f"rate is {number(v.peer_value, max(r.measure.decimals, 2))} per {number(per)}"
    else:
        figure = f"figure is {with_unit(v.peer_value, r.measure.unit, max(r.measure.decimals, 1))}"
    beyond = "; beyond the 99.8% limit" if v.beyond_998 else ""
    return (
        f"{head} the rest of {r.group.name}, whose pooled {figure} "
        f"({v.name}, {format_p_value(v.p_value)}{beyond})"
    )


def baseline_sentence(m: Measure, target: Resolved) -> str:
    """``Target is a 50% reduction on the 1994-98 baseline average of 6,640, i.e. 3,320``."""
    br = target.target.baseline_reduction
    assert br is not None and target.baseline_average is not None and target.level is not None
    return (
        f"Target is a {number(br.percent)}% reduction on the {baseline_years(br)} baseline "
        f"average of {with_unit(target.baseline_average, m.unit, m.decimals)}, i.e. "
        f"{with_unit(target.level, m.unit, m.decimals)}"
    )


def ratio_sentence(ratio: RatioFigures, reference_title: str) -> str:
    """``Ratio 0.6 : 1 to people from minority ethnic groups in ... (25.0%); the target is 0.8 : 1``."""
    text = f"Ratio {ratio.text} to {reference_title.lower()} ({ratio.reference_text})"
    if ratio.target_text:
        text += f"; the target is {ratio.target_text}"
    return text


def moe_sentence(moe: MarginOfError) -> str:
    """Whether the shortfall against target is more than sampling noise."""
    assert moe.shortfall is not None
    beyond = moe.shortfall > moe.value
    return (
        f"Difference between target and performance ({moe.shortfall_text}) is "
        f"{'greater than' if beyond else 'within'} the margin of error for this measure "
        f"({moe.text})"
        + (
            ", confirming that the target is being missed"
            if beyond
            else ": it may be sampling noise"
        )
    )
