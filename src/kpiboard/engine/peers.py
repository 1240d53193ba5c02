"""Ranks among peer organisations: 1 = best by polarity, ties share the better rank."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import Measure, PeerGroup
from kpiboard.engine.evaluate import Evaluator, Value
from kpiboard.engine.needs import measures_needed
from kpiboard.engine.peer_stats import (
    PeerVerdict,
    mean_of_rates,
    poisson_verdict,
    proportion_verdict,
    rising,
)
from kpiboard.formatting import number, with_unit
from kpiboard.periods import short_month, window_ending
from kpiboard.vocabulary import RATIO_UNIT, MeasureKind, Polarity, WindowKind, mean_name

TIE_TOLERANCE = 1e-9
RANK_LOOKBACK = 24  # months searched back for the period with the most peers' data


@dataclass(frozen=True)
class RankResult:
    group: PeerGroup
    rank: int
    of: int
    end: int
    window_kind: WindowKind
    measure: Measure
    per_population: float | None
    values: dict[str, float]
    pooled: float | None  # the group as a whole: sum of numerators / sum of denominators
    mean: float | None = None  # the HMIC comparator: unweighted mean of the members' values
    verdict: PeerVerdict | None = None  # the home organisation against the other members
    rising: int | None = None  # members whose value rose on the same window a year earlier
    rising_of: int | None = None
    comparator_end: int | None = None  # last month of that earlier window
    tied: bool = False  # another member has the same value, so shares the rank


class PeerMonthsNeeded(Exception):
    """A rank needs the other organisations' windows ending at months it was not given (the
    scorecard reads first only the months a rank reads when every member has data at the home
    organisation's latest figure: ``engine/peer_plan.py``). Never reaches a user: whoever
    fetched the data fetches ``ends`` of ``measures`` too and builds again."""

    def __init__(self, measures: frozenset[str], ends: frozenset[int]) -> None:
        super().__init__(f"peers' windows of {sorted(measures)} ending at {sorted(ends)}")
        self.measures = measures
        self.ends = ends


@dataclass(frozen=True)
class RankBasis:
    """What a measure is ranked on: the measure ranked (itself, or its ``ranks.measure``), its
    window, the population it is a rate of, and every measure the ranked value is made of."""

    measure: Measure
    window_kind: WindowKind
    per_population: float | None
    reads: frozenset[str]


def rank_basis(cat: Catalogue, measure: Measure) -> RankBasis:
    spec = measure.ranks
    rank_measure = cat.measures[spec.measure] if spec and spec.measure else measure
    kind = (spec.window if spec and spec.window else None) or rank_measure.window
    per = spec.per_population if spec else None
    ids = [rank_measure.id]
    if per is not None:
        ids.append(rank_measure.population or cat.project.population or "")
    return RankBasis(rank_measure, kind, per, frozenset(measures_needed(cat, ids)))


def read_ends(start: int) -> frozenset[int]:
    """Every month at which a rank anchored at ``start`` may read a window: the months searched
    back for the period with the most members' data, and a year before each (rising)."""
    return frozenset(range(start - RANK_LOOKBACK - 11, start + 1))


def _require(ev: Evaluator, basis: RankBasis, end: int, start: int) -> None:
    if ev.data.peers_at and not all(ev.data.peers_read(mid, end) for mid in basis.reads):
        raise PeerMonthsNeeded(basis.reads, read_ends(start))


def rank_of(home: float, others: list[float], polarity: Polarity) -> int:
    """1 + the number of strictly better values.

    >>> rank_of(5.0, [1.0, 5.0, 9.0], Polarity.LOWER_IS_BETTER)
    2
    """
    # better than home by more than the tolerance: compared with home moved that far their way
    bar = home + polarity.sign * TIE_TOLERANCE
    return 1 + sum(1 for v in others if polarity.better(v, bar))


def tied(home: float, others: list[float]) -> bool:
    """Whether another value shares ``home``'s rank: equal within the rank's tolerance.

    >>> tied(5.0, [1.0, 5.0 + 1e-12, 9.0]), tied(5.0, [1.0, 9.0])
    (True, False)
    """
    return any(abs(v - home) <= TIE_TOLERANCE for v in others)


def members(group: PeerGroup, all_orgs: list[str]) -> list[str]:
    return list(all_orgs) if group.members == "all" else list(group.members)


def _rank_value(ev: Evaluator, m: Measure, v: Value, org: str, per: float | None) -> float | None:
    if m.kind is MeasureKind.RATIO:
        return v.ratio
    if per is not None:
        pop = ev.population(m, org, v.window.last)
        return None if not pop else v.value / pop * per
    return v.value


def _pooled(ev: Evaluator, m: Measure, got: dict[str, Value], per: float | None) -> float | None:
    vals = list(got.values())
    if m.kind is MeasureKind.PROPORTION and all(
        v.numerator is not None and v.denominator for v in vals
    ):
        return 100.0 * sum(v.numerator or 0 for v in vals) / sum(v.denominator or 0 for v in vals)
    if m.kind is MeasureKind.DIFFERENCE and all(len(v.parts) == 2 for v in vals):
        parts = [[v.parts[i] for v in vals] for i in (0, 1)]
        if all(p.numerator is not None and p.denominator for side in parts for p in side):
            a, b = (
                100.0 * sum(p.numerator or 0 for p in side) / sum(p.denominator or 0 for p in side)
                for side in parts
            )
            return a - b
    if per is not None or m.kind is MeasureKind.PER_POPULATION:
        pops = {o: ev.population(m, o, v.window.last) for o, v in got.items()}
        if all(pops.values()):
            counts = [
                v.numerator if m.kind is MeasureKind.PER_POPULATION else v.value
                for v in got.values()
            ]
            if all(c is not None for c in counts):
                scale = per or m.per or 1000.0
                return sum(c or 0 for c in counts) / sum(p or 0 for p in pops.values()) * scale
    return None


@dataclass(frozen=True)
class RankPeriod:
    """The members' values at the rank period: what every rank of one group is read from."""

    measure: Measure  # the measure ranked (the measure itself, or its ``ranks.measure``)
    window_kind: WindowKind
    per_population: float | None
    end: int
    got: dict[str, Value]  # the members ranked, by organisation
    values: dict[str, float]  # their ranked values (rates when ranked per population)
    basis: RankBasis
    start: int  # the month the search for the period began at


def rank_period(
    ev: Evaluator, measure: Measure, orgs: list[str], as_of: int, anchor: str | None
) -> RankPeriod | None:
    """The latest month (at or before ``anchor``'s latest figure; without an anchor, the
    latest of any member's) at which the most of ``orgs`` have data, and their values there.
    With an anchor, only months at which the anchor has data count. None when fewer than two
    members can be ranked."""
    basis = rank_basis(ev.cat, measure)
    rank_measure, kind, per = basis.measure, basis.window_kind, basis.per_population
    if anchor is not None:
        latest = ev.latest(rank_measure.id, anchor, as_of, kind)
        start = latest.window.last if latest is not None else None
    else:
        ends = [v.window.last for o in orgs if (v := ev.latest(rank_measure.id, o, as_of, kind))]
        start = max(ends) if ends else None
    if start is None:
        return None
    best: tuple[int, int, dict[str, Value]] | None = None
    for end in range(start, start - RANK_LOOKBACK, -1):
        win = ev.window(kind, end)
        if win is None:
            continue
        _require(ev, basis, end, start)
        got = {o: v for o in orgs if (v := ev.evaluate(rank_measure.id, o, win)) is not None}
        if anchor is not None and anchor not in got:
            continue
        if best is None or len(got) > best[0]:
            best = (len(got), end, got)
        if len(got) == len(orgs):
            break  # every member has data: no earlier month can have more
    if best is None or best[0] < 2:
        return None
    _, end, got = best
    values = {
        o: r for o, v in got.items() if (r := _rank_value(ev, rank_measure, v, o, per)) is not None
    }
    if (anchor is not None and anchor not in values) or len(values) < 2:
        return None
    ranked = {o: got[o] for o in values}
    return RankPeriod(rank_measure, kind, per, end, ranked, values, basis, start)


def value_text(measure: Measure, per: float | None, x: float | None) -> str | None:
    """A ranked value as the board reads it: rates per population to 2 decimals, else in the
    measure's unit to at least 1."""
    if x is None:
        return None
    unit, decimals = value_unit(measure, per)
    return with_unit(x, unit, decimals)


def value_unit(measure: Measure, per: float | None) -> tuple[str, int]:
    """The unit and decimal places a ranked value is written in (:func:`value_text`): a ratio
    measure is ranked on its ratio, written "0.6 : 1", never in the unit of its percentage."""
    if measure.kind is MeasureKind.RATIO:
        return RATIO_UNIT, 1
    return (measure.unit if not per else ""), max(measure.decimals, 1 if not per else 2)


def ranked_unit(measure: Measure, per: float | None) -> str:
    """The unit of the values ranked, named in full: "per 1,000", ": 1", "%"."""
    return f"per {number(per)}" if per else value_unit(measure, per)[0]


def mean_label(measure: Measure, per: float | None) -> str:
    """What the unweighted mean of the members' values averages: "mean of ratios", ..."""
    return mean_name(ranked_unit(measure, per))


def period_and_basis(
    measure: Measure,
    ranked: Measure,
    kind: WindowKind,
    end: int,
    per: float | None,
    fy_start_month: int,
) -> tuple[str, str]:
    """The rank period in words ("Q4 2017/18") and what was ranked ("Q4 2017/18, rate per
    1,000 population")."""
    win = window_ending(kind, end, fy_start_month)
    period = win.label(fy_start_month) if win else short_month(end)
    basis = period
    if per:
        basis += f", rate per {number(per)} population"
    if ranked.id != measure.id:
        basis += f", {ranked.title}"
    return period, basis


def pooled_value(ev: Evaluator, period: RankPeriod) -> float | None:
    """The group as a whole at the rank period: sum of numerators / sum of denominators."""
    return _pooled(ev, period.measure, period.got, period.per_population)


def rank_in_group(
    ev: Evaluator, measure: Measure, group: PeerGroup, home: str, as_of: int, all_orgs: list[str]
) -> RankResult | None:
    """Rank ``home`` in ``group`` at the latest month (at or before the home organisation's
    latest figure) at which the most members have data. None when fewer than two can be ranked."""
    found = rank_period(ev, measure, members(group, all_orgs), as_of, home)
    if found is None:
        return None
    rank_measure, kind, per, end = found.measure, found.window_kind, found.per_population, found.end
    values, ranked = found.values, found.got
    others = [v for o, v in values.items() if o != home]
    rank = rank_of(values[home], others, rank_measure.polarity)
    pooled = _pooled(ev, rank_measure, ranked, per)
    verdict = _verdict(ev, rank_measure, ranked, home, per)
    earlier = end - 12
    rose = None
    win = ev.window(kind, earlier)
    if win is not None:
        _require(ev, found.basis, earlier, found.start)
        then = {}
        for o in values:
            v = ev.evaluate(rank_measure.id, o, win)
            r = _rank_value(ev, rank_measure, v, o, per) if v is not None else None
            if r is not None:
                then[o] = r
        rose = rising(values, then)
    return RankResult(
        group,
        rank,
        len(values),
        end,
        kind,
        rank_measure,
        per,
        values,
        pooled,
        mean=mean_of_rates(values.values()),
        verdict=verdict,
        rising=rose[0] if rose else None,
        rising_of=rose[1] if rose else None,
        comparator_end=earlier if rose else None,
        tied=tied(values[home], others),
    )


def ranks_of(ev: Evaluator, measure: Measure, home: str, as_of: int) -> list[RankResult]:
    """``home``'s rank in each peer group ``measure`` ranks in (``ranks.groups``, default
    all), where it can be ranked."""
    if measure.ranks is None:
        return []
    groups = ev.cat.project.peer_groups
    wanted = measure.ranks.groups or [g.id for g in groups]
    orgs = [o.id for o in ev.cat.project.organisations]
    out = []
    for g in groups:
        if g.id in wanted:
            r = rank_in_group(ev, measure, g, home, as_of, orgs)
            if r is not None:
                out.append(r)
    return out


def require_reads(ev: Evaluator, measure: Measure, home: str, as_of: int) -> None:
    """Raise :class:`PeerMonthsNeeded` when a rank of :func:`ranks_of` would read the other
    organisations at a month the data do not hold: its rank period and the year before it,
    found as :func:`rank_in_group` finds them, without the rest of the rank."""
    if measure.ranks is None:
        return
    groups = ev.cat.project.peer_groups
    wanted = measure.ranks.groups or [g.id for g in groups]
    orgs = [o.id for o in ev.cat.project.organisations]
    for g in groups:
        if g.id in wanted:
            found = rank_period(ev, measure, members(g, orgs), as_of, home)
            if found is not None and ev.window(found.window_kind, found.end - 12) is not None:
                _require(ev, found.basis, found.end - 12, found.start)


def _whole(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x >= 0 and float(x).is_integer()


def _verdict(
    ev: Evaluator, m: Measure, got: dict[str, Value], home: str, per: float | None
) -> PeerVerdict | None:
    """Rates: the exact Poisson comparison of the home count with the others' pooled rate;
    survey proportions: the two-sample z-test against the others' pooled sample; else None."""
    others = [o for o in got if o != home]
    if not others:
        return None
    if m.kind is MeasureKind.PER_POPULATION or (
        per is not None and m.kind in (MeasureKind.COUNT, MeasureKind.COMPOSITE)
    ):
        counts: dict[str, float] = {}
        pops: dict[str, float] = {}
        for o, v in got.items():
            c = v.numerator if m.kind is MeasureKind.PER_POPULATION else v.value
            pop = (
                v.denominator
                if m.kind is MeasureKind.PER_POPULATION
                else ev.population(m, o, v.window.last)
            )
            if c is None or not _whole(c) or not pop or pop <= 0:
                return None
            counts[o], pops[o] = c, pop
        return poisson_verdict(
            counts[home],
            pops[home],
            sum(counts[o] for o in others),
            sum(pops[o] for o in others),
            per=per or m.per or 1000.0,
        )
    if m.kind is MeasureKind.PROPORTION and m.survey:
        sizes = {o: v.sample_size or v.denominator for o, v in got.items()}
        if not all(n and n > 0 for n in sizes.values()):
            return None
        n_others = sum(sizes[o] or 0.0 for o in others)
        p_others = sum(got[o].value * (sizes[o] or 0.0) for o in others) / n_others
        return proportion_verdict(
            got[home].value, sizes[home] or 0.0, p_others, n_others, deft=m.deft or 1.0
        )
    return None
