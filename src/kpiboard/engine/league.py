"""The league table of one measure: every member of a peer group with its value at the rank
period, best first, by the same rules as the scorecard's ranks (``peers.py``): the same period
(the latest month at which the most members have data), the same ranked value (a rate per
population when the measure ranks so), 1 = best by polarity, ties sharing the better rank."""

from __future__ import annotations

import difflib
import math

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import PeerGroup
from kpiboard.engine.evaluate import Evaluator
from kpiboard.engine.needs import measures_needed
from kpiboard.engine.overdispersion import (
    Dispersion,
    drawn_method,
    method_text,
    poisson_dispersion,
    poisson_ratio_limits,
    short,
)
from kpiboard.engine.peer_stats import (
    EXACT_FUNNEL_NAME,
    POSITIONS,
    ExactLimits,
    exact_funnel_limits,
    funnel_populations,
    mean_of_rates,
)
from kpiboard.engine.peers import (
    RankPeriod,
    members,
    period_and_basis,
    pooled_value,
    rank_of,
    rank_period,
    ranked_unit,
    tied,
    value_text,
    value_unit,
)
from kpiboard.enginedata import EngineData, EngineRequest
from kpiboard.errors import KpiboardError
from kpiboard.formatting import number, rank_text
from kpiboard.funnelplot import FunnelMethod, Overdispersion
from kpiboard.leaguetable import (
    Funnel,
    FunnelLimits,
    FunnelPoint,
    League,
    LeagueGroup,
    LeagueMeasure,
    LeagueRow,
)
from kpiboard.periods import format_month
from kpiboard.scorecard import Organisation
from kpiboard.vocabulary import MeasureKind

ALL_GROUP = PeerGroup(id="all", name="All organisations", members="all")


def league_request(
    cat: Catalogue,
    as_of: int,
    measure_id: str,
    group_id: str | None = None,
    highlight: str | None = None,
) -> EngineRequest:
    """What the league table of ``measure_id`` reads: the measure, the one it ranks on and
    what they are made of, of every organisation, up to ``as_of``. Checks the measure, group
    and organisation named first, as :func:`build_league` does."""
    measure = cat.resolve_measure(measure_id)
    _group(cat, measure_id, group_id)
    if highlight is not None:
        cat.resolve_org(highlight)
    ranked_id = measure.ranks.measure if measure.ranks and measure.ranks.measure else measure.id
    needed = measures_needed(cat, [measure.id, ranked_id])
    if measure.ranks and measure.ranks.per_population:
        needed |= measures_needed(cat, [measure.population or cat.project.population or ""])
    return EngineRequest(frozenset(needed), cat.fy_start_month, as_of=as_of)


def build_league(
    catalogue: Catalogue,
    data: EngineData,
    as_of: int,
    measure_id: str,
    group_id: str | None = None,
    highlight: str | None = None,
    funnel_method: FunnelMethod = FunnelMethod.ADDITIVE,
) -> League:
    """The league table of ``measure_id`` in ``group_id`` (default: the first group the
    measure ranks in, else all organisations) as of month ``as_of``. ``highlight`` (an
    organisation id, name or alias) is flagged, and the members of its other peer groups are
    flagged ``in_group``. A rate's funnel plot allows for over-dispersion by
    ``funnel_method`` (``engine/overdispersion.py``). ``data`` are what
    :func:`league_request` asked for. Pure: no I/O."""
    cat = catalogue
    measure = cat.resolve_measure(measure_id)
    group = _group(cat, measure_id, group_id)
    home = cat.resolve_org(highlight) if highlight is not None else None
    all_orgs = [o.id for o in cat.project.organisations]
    orgs = members(group, all_orgs)
    ev = Evaluator(cat, data)

    # anchored on the home organisation, the period is the one its scorecard ranks at
    found = rank_period(ev, measure, orgs, as_of, home) if home in orgs else None
    if found is None:
        found = rank_period(ev, measure, orgs, as_of, None)
    if found is None:
        raise KpiboardError(
            f"{measure.id}: fewer than two members of {group.name} have a figure at or before "
            f"{format_month(as_of)}",
            hint="check the data were ingested, or pick another --as-of",
        )

    peers = _peers(cat, home, group) if home is not None else set()
    polarity = found.measure.polarity
    values = found.values
    of = len(values)
    rows = []
    for org, value in values.items():
        others = [v for o, v in values.items() if o != org]
        rank = rank_of(value, others, polarity)
        rows.append(
            LeagueRow(
                rank=rank,
                rank_text=rank_text(rank, of, tied=tied(value, others)),
                org=Organisation(org, cat.org_name(org)),
                value=value,
                text=value_text(found.measure, found.per_population, value) or "",
                highlight=org == home,
                in_group=org in peers,
            )
        )
    rows.sort(key=lambda r: (r.rank, r.org.name))
    pooled = pooled_value(ev, found)
    mean = mean_of_rates(values.values())
    period, basis = period_and_basis(
        measure,
        found.measure,
        found.window_kind,
        found.end,
        found.per_population,
        cat.fy_start_month,
    )
    per = found.per_population
    unit = ranked_unit(found.measure, per)
    return League(
        title=f"{measure.title}: {group.name}",
        measure=LeagueMeasure(
            measure.id,
            measure.title,
            unit,
            polarity,
            basis,
            decimals=value_unit(found.measure, per)[1],
        ),
        period=period,
        period_end=format_month(found.end),
        as_of=format_month(as_of),
        group=LeagueGroup(group.id, group.name, of),
        rows=tuple(rows),
        pooled=pooled,
        pooled_text=value_text(found.measure, found.per_population, pooled),
        mean_of_rates=mean,
        mean_of_rates_text=value_text(found.measure, found.per_population, mean),
        organisation=Organisation(home, cat.org_name(home)) if home is not None else None,
        peer_groups=tuple(g.name for g in _home_groups(cat, home, group)) if home else (),
        missing=tuple(Organisation(o, cat.org_name(o)) for o in orgs if o not in values),
        funnel=_funnel(cat, ev, found, home, peers, funnel_method),
    )


def _funnel(
    cat: Catalogue,
    ev: Evaluator,
    found: RankPeriod,
    home: str | None,
    peers: set[str],
    asked: FunnelMethod,
) -> Funnel | None:
    """The funnel plot of a rate (a ``per_population`` measure, or counts ranked per
    population): each member's count and population at the rank period, the centre line at
    the pooled rate of all of them, and limits at each member's population and along the
    population axis: exact Poisson limits, or, when the members are over-dispersed, those of
    ``asked`` (Spiegelhalter 2005; ``engine/overdispersion.py``). None for anything that is
    not a rate, or when a member's count or population is missing."""
    m = found.measure
    inputs = _rate_inputs(ev, found)
    if inputs is None:
        return None
    per, counts, pops = inputs
    centre = sum(counts.values()) / sum(pops.values()) * per
    spread = _dispersion(counts, pops, centre, per)
    method = FunnelMethod.POISSON if spread is None else drawn_method(asked, spread)

    def limits_at(population: float) -> ExactLimits:
        exact = exact_funnel_limits(centre, population, per)
        if spread is None or method is FunnelMethod.POISSON:
            return exact
        ratios = poisson_ratio_limits(exact.expected, spread, method)
        return ExactLimits(population, exact.expected, *(r * centre for r in ratios))

    def limit_text(x: float) -> str:
        return value_text(m, per, x) or ""

    def limits(x: ExactLimits) -> FunnelLimits:
        return FunnelLimits(
            x.population, x.expected, x.lower_95, x.upper_95, x.lower_998, x.upper_998
        )

    points = []
    for org in counts:
        rate = counts[org] / pops[org] * per
        exact = limits_at(pops[org])
        position = exact.position(rate)
        points.append(
            FunnelPoint(
                org=Organisation(org, cat.org_name(org)),
                population=pops[org],
                count=counts[org],
                value=rate,
                text=value_text(m, per, rate) or "",
                limits=limits(exact),
                position=position,
                position_text=POSITIONS[position],
                highlight=org == home,
                in_group=org in peers,
                population_text=number(pops[org]),
                count_text=number(counts[org]),
                limits_95_text=f"{limit_text(exact.lower_95)} to {limit_text(exact.upper_95)}",
                limits_998_text=f"{limit_text(exact.lower_998)} to {limit_text(exact.upper_998)}",
            )
        )
    points.sort(key=lambda p: p.population)
    curve = tuple(limits(limits_at(x)) for x in funnel_populations(pops.values()))
    return Funnel(
        per=per,
        per_text=number(per),
        centre=centre,
        centre_text=value_text(m, per, centre) or "",
        method=_method_words(asked, spread),
        points=tuple(points),
        curve=curve,
        overdispersion=None if spread is None else _overdispersion(asked, spread),
    )


def _rate_inputs(
    ev: Evaluator, found: RankPeriod
) -> tuple[float, dict[str, float], dict[str, float]] | None:
    """A rate's ``per`` and each member's count and population at the rank period; None for
    anything that is not a rate, or when a member's count or population is missing."""
    m = found.measure
    if m.kind is MeasureKind.PER_POPULATION:
        per = found.per_population or m.per or 1000.0
    elif found.per_population and m.kind in (MeasureKind.COUNT, MeasureKind.COMPOSITE):
        per = found.per_population
    else:
        return None
    counts: dict[str, float] = {}
    pops: dict[str, float] = {}
    for org, v in found.got.items():
        if m.kind is MeasureKind.PER_POPULATION:
            count, pop = v.numerator, v.denominator
        else:
            count, pop = v.value, ev.population(m, org, v.window.last)
        if count is None or count < 0 or not pop or pop <= 0:
            return None
        counts[org], pops[org] = count, pop
    return (per, counts, pops) if counts else None


def _dispersion(
    counts: dict[str, float], pops: dict[str, float], centre: float, per: float
) -> Dispersion | None:
    """The members' over-dispersion about the centre rate; None when it cannot be estimated
    (a centre of 0: no member expects any events)."""
    expected = [centre * pops[o] / per for o in counts]
    if len(expected) < 2 or min(expected) <= 0:
        return None
    return poisson_dispersion([counts[o] for o in counts], expected)


def _overdispersion(asked: FunnelMethod, d: Dispersion) -> Overdispersion:
    return Overdispersion(
        asked=asked,
        method=drawn_method(asked, d),
        members=d.members,
        phi=d.phi,
        tau=math.sqrt(d.tau2),
        z_low=d.z_low,
        z_high=d.z_high,
        overdispersed=d.overdispersed,
        text=method_text(asked, d),
    )


def _method_words(asked: FunnelMethod, d: Dispersion | None) -> str:
    """What the funnel's limits are, named and explained for a reader."""
    if d is None:
        return EXACT_FUNNEL_NAME
    n = d.members
    test = (
        f"z-scores 2(√O - √E) of each member's count O against the E expected at "
        f"the pooled rate, winsorised at their 10th and 90th percentiles, give phi = "
        f"{short(d.phi)} (N × phi = {n * d.phi:,.1f} against N - 1 = {n - 1})"
    )
    if drawn_method(asked, d) is FunnelMethod.POISSON:
        return f"{method_text(asked, d)}: {EXACT_FUNNEL_NAME}; {test}"
    if asked is FunnelMethod.ADDITIVE:
        how = (
            "limits (1 ± z√(1/(4E) + tau²))² × the pooled rate, "
            "tau² the DerSimonian-Laird between-member variance"
        )
    else:
        how = "limits (1 ± z√phi/(2√E))² × the pooled rate"
    return (
        f"{method_text(asked, d)}: {test}; {how} (Spiegelhalter 2005, Handling "
        f"over-dispersion of performance indicators)"
    )


def _group(cat: Catalogue, measure_id: str, group_id: str | None) -> PeerGroup:
    groups = {g.id: g for g in cat.project.peer_groups}
    if group_id is not None:
        if group_id == ALL_GROUP.id and group_id not in groups:
            return ALL_GROUP
        if group_id not in groups:
            near = difflib.get_close_matches(group_id, list(groups), n=1, cutoff=0.5)
            raise KpiboardError(
                f"unknown peer group {group_id!r}",
                hint=f"did you mean {near[0]!r}?"
                if near
                else f"known groups: {', '.join(groups) or 'none'}",
            )
        return groups[group_id]
    m = cat.measures[measure_id]
    if m.ranks is not None:
        wanted = m.ranks.groups or list(groups)
        for g in cat.project.peer_groups:
            if g.id in wanted:
                return g
    return ALL_GROUP


def _home_groups(cat: Catalogue, home: str | None, league_group: PeerGroup) -> list[PeerGroup]:
    """The home organisation's named peer groups (not "all", not the league's own group)."""
    return [
        g
        for g in cat.project.peer_groups
        if g.id != league_group.id and g.members != "all" and home in g.members
    ]


def _peers(cat: Catalogue, home: str, league_group: PeerGroup) -> set[str]:
    return {o for g in _home_groups(cat, home, league_group) for o in g.members if o != home}
