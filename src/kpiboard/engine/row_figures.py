"""A scorecard row's figures as the board reads them: the value, period, comparator and target
texts, milestones, the ratio, the margin of error and each rank, from values the engine has
worked out (``engine/build.py`` decides which; this module only writes them)."""

from __future__ import annotations

from kpiboard.catalogue.schema import Measure, Target
from kpiboard.engine.evaluate import Value
from kpiboard.engine.peers import RankResult, period_and_basis
from kpiboard.engine.peers import mean_label as rank_mean_label
from kpiboard.engine.peers import value_text as rank_value_text
from kpiboard.engine.peers import value_unit as rank_value_unit
from kpiboard.engine.status import CHANGE_DECIMALS, Assessment
from kpiboard.engine.targets import Resolved, baseline_years, target_text
from kpiboard.formatting import decimals_of, number, rank_text, ratio_to_one, with_unit
from kpiboard.periods import MONTH_ABBR, format_month, fy_label, month_of, parse_month, year_of
from kpiboard.precision import change_decimals, common_decimals, compare
from kpiboard.scorecard import Change, Figure, MarginOfError, Milestone, Rank, RatioFigures
from kpiboard.vocabulary import MeasureKind, Status


def moe_figure(m: Measure, moe: float | None, assessment: Assessment) -> MarginOfError | None:
    """The margin of error as the row shows it, with the shortfall it is compared with."""
    if moe is None:
        return None
    short = assessment.status in (Status.AMBER, Status.RED)
    shortfall = assessment.shortfall if short else None
    # the shortfall and the margin it is compared with, by the precision rule
    places, moe_places = m.decimals, max(m.decimals, 1)
    if shortfall is not None:
        places = change_decimals(shortfall, m.decimals)
        if common := common_decimals(shortfall, places, moe, moe_places):
            places = moe_places = common
    return MarginOfError(
        value=moe,
        text=f"+/-{number(moe, moe_places)} pts",
        shortfall=shortfall,
        shortfall_text=with_unit(shortfall, "pts", places) if shortfall is not None else None,
        method=moe_method(m),
    )


def moe_method(m: Measure) -> str:
    deft = f" x design factor {m.deft}" if m.deft else ""
    if m.kind is MeasureKind.DIFFERENCE:
        return f"1.96 x sqrt(p1(1-p1)/n1 + p2(1-p2)/n2){deft}"
    return f"1.96 x sqrt(p(1-p)/n){deft}"


def rank_figure(fy: int, r: RankResult, m: Measure) -> Rank:
    """One rank of the row as the Scorecard carries it."""
    period, basis = period_and_basis(m, r.measure, r.window_kind, r.end, r.per_population, fy)

    def text(x: float | None) -> str | None:
        return rank_value_text(r.measure, r.per_population, x)

    v = r.verdict
    unit, decimals = rank_value_unit(r.measure, r.per_population)
    return Rank(
        group_id=r.group.id,
        group=r.group.name,
        rank=r.rank,
        of=r.of,
        text=rank_text(r.rank, r.of, r.tied),
        period=period,
        basis=basis,
        group_value=r.pooled,
        group_value_text=text(r.pooled),
        mean_of_rates=r.mean,
        mean_of_rates_text=text(r.mean),
        mean_label=rank_mean_label(r.measure, r.per_population),
        verdict=v.verdict if v else None,
        verdict_text=v.phrase(r.measure.polarity) if v else None,
        verdict_method=v.method if v else None,
        p_value=v.p_value if v else None,
        peer_value=v.peer_value if v else None,
        peer_value_text=text(v.peer_value) if v else None,
        limits_95=v.limits_95 if v else None,
        limits_998=v.limits_998 if v else None,
        beyond_998=v.beyond_998 if v else None,
        rising=r.rising,
        rising_of=r.rising_of,
        value_unit=unit,
        value_decimals=decimals,
    )


def ratio_figures(m: Measure, latest: Value, target: Resolved | None) -> RatioFigures | None:
    if m.kind is not MeasureKind.RATIO or latest.ratio is None or len(latest.parts) != 2:
        return None
    ref = latest.parts[1].value
    goal = target.level / ref if target and target.level is not None and ref else None
    return RatioFigures(
        value=latest.ratio,
        text=ratio_to_one(latest.ratio),
        reference=ref,
        reference_text=with_unit(ref, "%", 1),
        target=goal,
        target_text=ratio_to_one(goal) if goal is not None else None,
    )


def value_text(m: Measure, v: Value, decimals: int | None = None) -> str:
    places = m.decimals if decimals is None else decimals
    if m.kind is MeasureKind.SNAPSHOT and v.numerator is not None and v.denominator:
        return f"{number(v.numerator, m.decimals)}/{number(v.denominator, m.decimals)}"
    text = with_unit(v.value, m.unit, places)
    if m.kind is MeasureKind.RATIO and v.ratio is not None:
        text += f" ({ratio_to_one(v.ratio)})"
    return text


def period_label(m: Measure, v: Value, fy: int) -> str:
    label = v.window.label(fy)
    return f"{m.figure_label} ({label})" if m.figure_label else label


def latest_figure(fy: int, m: Measure, v: Value, change: Change | None) -> Figure:
    if change is not None and change.percent is not None:
        return Figure(
            change.percent_text or "",
            change.percent,
            period_label(m, v, fy),
            format_month(v.window.last),
            unit="%",
            decimals=CHANGE_DECIMALS,
        )
    return Figure(
        value_text(m, v),
        v.value,
        period_label(m, v, fy),
        format_month(v.window.last),
        unit=m.unit,
        decimals=m.decimals,
    )


def level_figure(fy: int, m: Measure, v: Value) -> Figure:
    """The level behind a figure reported as a % change."""
    text = with_unit(v.value, m.unit, m.decimals)
    period = period_label(m, v, fy)
    return Figure(text, v.value, period, format_month(v.window.last), m.unit, m.decimals)


def comparator_figure(
    fy: int, m: Measure, comp: Value | None, latest: Value | None = None
) -> Figure | None:
    """The comparator, written beside the latest figure by the precision rule: with more
    decimals when the two would print alike (the change shown with it is not then "+0.7 pts"
    between "77%" and "77%")."""
    if comp is None:
        return None
    decimals = m.decimals
    if latest is not None:
        decimals = compare(comp.value, latest.value, m.unit, m.decimals).decimals
    return Figure(
        value_text(m, comp, decimals),
        comp.value,
        comp.window.label(fy),
        format_month(comp.window.last),
        unit=m.unit,
        decimals=decimals,
    )


def target_figure(
    as_of: int, fy: int, m: Measure, t: Target | None, r: Resolved | None, latest: Value | None
) -> Figure | None:
    """The target of the report's year as the row shows it."""
    if m.tracking:
        return Figure("Tracking measure", None)
    if t is None:
        return None
    year = fy_label(as_of, fy)
    if t.change is not None:
        places = decimals_of(t.change)
        auto = target_text(t.change, m.unit, places, change=True)
        return Figure(t.text or auto, t.change, year, unit="%", decimals=places)
    level = r.level if r is not None else t.level
    if level is None:
        return Figure(t.text or "", None, year)
    decimals = m.decimals if t.level is None else decimals_of(t.level)
    auto = target_text(level, m.unit, decimals, op=t.op)
    if t.baseline_reduction is not None:
        br = t.baseline_reduction
        auto += f" ie {number(br.percent)}% reduction on {baseline_years(br)} baseline average"
    if (
        m.kind is MeasureKind.RATIO
        and latest is not None
        and len(latest.parts) == 2
        and latest.parts[1].value
    ):
        auto += f" ({ratio_to_one(level / latest.parts[1].value)})"
    text = t.text or auto
    if (
        t.text
        and m.kind is MeasureKind.RATIO
        and latest is not None
        and len(latest.parts) == 2
        and latest.parts[1].value
    ):
        text += f" (or {ratio_to_one(level / latest.parts[1].value)})"
    return Figure(text, level, year, unit=m.unit, decimals=decimals)


def milestones(m: Measure) -> tuple[Milestone, ...]:
    out = []
    for ms in m.milestones:
        mm = parse_month(ms.by)
        out.append(
            Milestone(
                text=with_unit(ms.level, m.unit, m.decimals),
                value=ms.level,
                by=ms.by,
                by_text=f"{MONTH_ABBR[month_of(mm) - 1]} {year_of(mm)}",
            )
        )
    return tuple(out)
