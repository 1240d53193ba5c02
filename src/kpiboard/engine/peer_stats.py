"""Statistics of one organisation against its peer group: the group's averages in both
conventions, a verdict of significance with its method named, and the count of members whose
figure rose. Pure functions on plain numbers; ``engine/peers.py`` feeds them. The methods and
their caveats are in ``docs/ENGINE.md`` ("Peers").

>>> round(mean_of_rates([1.0, 2.0, 6.0]), 3)
3.0
>>> v = poisson_verdict(30, 10_000, 40, 40_000, per=1000.0)
>>> v.verdict.value, round(v.peer_value, 2), v.beyond_998
('significantly higher', 1.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kpiboard.engine.stats import poisson_control_limits, poisson_rate_test, two_proportion_test
from kpiboard.vocabulary import FunnelPosition, Polarity, RankVerdict

ALPHA_998 = 0.002  # the outer funnel limit: 99.8% (about 3 standard errors)
RISE_TOLERANCE = 1e-9  # a change no larger than this is not a rise

FUNNEL_NAME = (
    "exact Poisson funnel limits around the other members' pooled rate for this population"
)


@dataclass(frozen=True)
class PeerVerdict:
    """The home organisation against the pooled figure of the *other* members of its group.

    ``verdict`` is ``"significantly higher"``, ``"significantly lower"`` or ``"not significantly
    different"`` (at 95%: p < ALPHA); ``beyond_998`` whether the difference is significant at
    99.8% too (p < 0.002, the outer funnel limit). ``peer_value`` is the others' pooled rate
    (per ``per``) or percentage; ``limits_95``/``limits_998`` the funnel limits around it for the
    home organisation's population (rates only), in the same unit. ``name`` is the short name of
    the test, ``method`` the full description.
    """

    verdict: RankVerdict
    p_value: float
    beyond_998: bool
    value: float  # the home organisation's rate or percentage
    peer_value: float
    name: str
    method: str
    expected: float | None = None  # the count expected at the peers' rate (rates only)
    limits_95: tuple[float, float] | None = None
    limits_998: tuple[float, float] | None = None

    def phrase(self, polarity: Polarity) -> str:
        """``significantly worse``/``significantly better`` by polarity, or ``not
        significantly different``.

        >>> poisson_verdict(30, 10_000, 40, 40_000, per=1000.0).phrase(Polarity.LOWER_IS_BETTER)
        'significantly worse'
        """
        if self.verdict is RankVerdict.NOT_DIFFERENT:
            return RankVerdict.NOT_DIFFERENT.value
        better = polarity.better(self.value, self.peer_value)
        return "significantly better" if better else "significantly worse"


def mean_of_rates(values: Iterable[float]) -> float:
    """The HMIC comparator convention: the unweighted mean Σ value_i / k of the members' rates
    (or percentages), the home organisation included. Differs from the pooled
    Σ counts / Σ population whenever populations differ.
    """
    vals = list(values)
    if not vals:
        raise ValueError("the mean of no values is undefined")
    return math.fsum(vals) / len(vals)


# lower-tail probabilities of the exact funnel limits: 95% (2.5% each side) and 99.8% (0.1%)
FUNNEL_PROBABILITIES = (0.025, 0.975, 0.001, 0.999)
FUNNEL_CURVE_POINTS = 60  # populations at which the funnel's limits are drawn
EXACT_FUNNEL_NAME = (
    "exact Poisson control limits at 95% and 99.8% around the group's pooled "
    "rate (Poisson quantiles of the expected count, interpolated as in "
    "Spiegelhalter 2005)"
)
POSITIONS = {  # position -> words
    FunnelPosition.ABOVE_998: "above the 99.8% limit",
    FunnelPosition.ABOVE_95: "above the 95% limit (within 99.8%)",
    FunnelPosition.WITHIN: "within the 95% limits",
    FunnelPosition.BELOW_95: "below the 95% limit (within 99.8%)",
    FunnelPosition.BELOW_998: "below the 99.8% limit",
}


@dataclass(frozen=True)
class ExactLimits:
    """Funnel limits of a rate per ``per`` for one population, around a centre rate."""

    population: float
    expected: float  # the count expected at the centre rate
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float

    def position(self, rate: float) -> FunnelPosition:
        """Where ``rate`` falls (on a limit counts as within it)."""
        if rate > self.upper_998:
            return FunnelPosition.ABOVE_998
        if rate > self.upper_95:
            return FunnelPosition.ABOVE_95
        if rate < self.lower_998:
            return FunnelPosition.BELOW_998
        if rate < self.lower_95:
            return FunnelPosition.BELOW_95
        return FunnelPosition.WITHIN


def exact_funnel_limits(centre: float, population: float, per: float) -> ExactLimits:
    """The exact Poisson funnel limits of a rate per ``per`` for ``population`` residents
    around the centre rate: the count expected there, E = centre x population / per, its
    control limits at 2.5%/97.5% and 0.1%/99.9% (``stats.poisson_control_limits``), each
    divided by population / per.

    >>> lim = exact_funnel_limits(0.4, 10_000, 1000.0)  # 4 expected
    >>> round(lim.expected, 6), round(lim.lower_95, 5), round(lim.upper_95, 5)
    (4.0, 0.00912, 0.78778)
    """
    if population <= 0 or per <= 0 or centre < 0:
        raise ValueError("population and per must be positive, the centre rate non-negative")
    expected = centre * population / per
    lo95, hi95, lo998, hi998 = poisson_control_limits(expected, FUNNEL_PROBABILITIES)
    scale = per / population
    return ExactLimits(
        population, expected, lo95 * scale, hi95 * scale, lo998 * scale, hi998 * scale
    )


def funnel_populations(
    populations: Iterable[float], points: int = FUNNEL_CURVE_POINTS
) -> list[float]:
    """Populations at which to draw the funnel: evenly spaced on a log scale from a little
    below the smallest member's to a little above the largest's.

    >>> [round(x) for x in funnel_populations([1000.0, 100_000.0], points=3)]
    [900, 10000, 111111]
    """
    pops = [p for p in populations if p > 0]
    if not pops:
        return []
    low, high = math.log10(min(pops) * 0.9), math.log10(max(pops) / 0.9)
    if points < 2 or high == low:
        return [10**low]
    return [10 ** (low + (high - low) * i / (points - 1)) for i in range(points)]


def poisson_verdict(
    count: float, population: float, others_count: float, others_population: float, *, per: float
) -> PeerVerdict:
    """The home organisation's count against the count expected at the pooled rate of the other
    members (exposure = its population): the exact conditional Poisson rate comparison
    (``stats.poisson_rate_test`` with exposures the two populations), with funnel limits at
    95% and 99.8% around the others' rate for the home population: exact Poisson limits, as
    the league's funnel plot draws them (:func:`exact_funnel_limits`), so the two agree.
    """
    test = poisson_rate_test(count, population, others_count, others_population)
    peer_rate = others_count / others_population * per
    rate = count / population * per
    expected = others_count / others_population * population
    verdict = _verdict(test.significant, rate, peer_rate)
    method = (
        f"{test.method}; the count against {expected:,.1f} expected at the other members' "
        f"pooled rate; {FUNNEL_NAME} at 95% and 99.8%"
    )
    limits = exact_funnel_limits(peer_rate, population, per)
    return PeerVerdict(
        verdict=verdict,
        p_value=test.p_value,
        beyond_998=test.p_value < ALPHA_998,
        value=rate,
        peer_value=peer_rate,
        name=test.name,
        method=method,
        expected=expected,
        limits_95=(limits.lower_95, limits.upper_95),
        limits_998=(limits.lower_998, limits.upper_998),
    )


def _verdict(significant: bool, value: float, peer_value: float) -> RankVerdict:
    if not significant:
        return RankVerdict.NOT_DIFFERENT
    return RankVerdict.HIGHER if value > peer_value else RankVerdict.LOWER


def proportion_verdict(
    percent: float, n: float, others_percent: float, others_n: float, *, deft: float = 1.0
) -> PeerVerdict:
    """A survey percentage against the pooled percentage of the other members (their samples
    taken together, n = Σ n): the two-sample z-test for independent proportions."""
    test = two_proportion_test(percent, n, others_percent, others_n, deft=deft)
    verdict = _verdict(test.significant, percent, others_percent)
    method = f"{test.method}, against the other members' pooled sample (n = {others_n:,.0f})"
    return PeerVerdict(
        verdict=verdict,
        p_value=test.p_value,
        beyond_998=test.p_value < ALPHA_998,
        value=percent,
        peer_value=others_percent,
        name=test.name,
        method=method,
    )


def rising(now: Mapping[str, float], then: Mapping[str, float]) -> tuple[int, int] | None:
    """(members whose figure rose, members ranked), or None unless every ranked member has a
    figure a year earlier.

    >>> rising({"a": 2.0, "b": 1.0, "c": 3.0}, {"a": 1.0, "b": 1.0, "c": 2.5})
    (2, 3)
    """
    if not now or any(o not in then for o in now):
        return None
    return sum(1 for o, v in now.items() if v > then[o] + RISE_TOLERANCE), len(now)
