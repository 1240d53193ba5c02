"""A league table: one measure's ranked members of a peer group, and for rates the funnel plot's
figures: the hand-off object between the engine (``engine/league.py``) and the league's outputs,
beside the Scorecard (``kpiboard report --league``; docs/DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpiboard.funnelplot import Overdispersion
from kpiboard.scorecard import Organisation, plain
from kpiboard.vocabulary import FunnelPosition, Polarity


@dataclass(frozen=True)
class LeagueMeasure:
    id: str
    title: str
    unit: str  # the unit of the values ranked ("per 1,000", "%")
    polarity: Polarity
    basis: str  # what was ranked: "Q4 2017/18, rate per 1,000 population"
    decimals: int | None = None  # the decimal places the values are written with


@dataclass(frozen=True)
class LeagueGroup:
    id: str
    name: str
    of: int  # members ranked


@dataclass(frozen=True)
class LeagueRow:
    rank: int  # 1 = best by polarity; ties share the better rank
    rank_text: str  # "5th/43"
    org: Organisation
    value: float
    text: str  # the value as the board reads it
    highlight: bool  # the home organisation
    in_group: bool  # a member of one of the home organisation's (other) peer groups


@dataclass(frozen=True)
class FunnelLimits:
    """The funnel's limits of a rate per its ``per`` at ``population`` (``expected``: the count
    expected at the centre rate)."""

    population: float
    expected: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


@dataclass(frozen=True)
class FunnelPoint:
    """One member on the funnel plot: its rate against its population, the limits at its
    population, and where it falls ("above the 99.8% limit", ...)."""

    org: Organisation
    population: float
    count: float
    value: float  # rate per the funnel's ``per``
    text: str  # the rate as the board reads it
    limits: FunnelLimits
    position: FunnelPosition
    position_text: str  # "above the 99.8% limit"
    highlight: bool  # the home organisation
    in_group: bool  # a member of one of its (other) peer groups
    population_text: str = ""  # "2,226,058"
    count_text: str = ""  # "265,520"
    limits_95_text: str = ""  # "85.50 to 86.47"
    limits_998_text: str = ""


@dataclass(frozen=True)
class Funnel:
    """A funnel plot of a rate: each member's rate against its population, the pooled rate as
    the centre, limits at 95% and 99.8% (``overdispersion`` says which) along the population
    axis (``curve``) and at each member's. The engine computes it; renderers draw it."""

    per: float  # rates per this many residents
    per_text: str  # "1,000"
    centre: float  # the group's pooled rate: sum of counts / sum of populations x per
    centre_text: str
    method: str
    points: tuple[FunnelPoint, ...]
    curve: tuple[FunnelLimits, ...]  # the limits at populations spanning the members'
    overdispersion: Overdispersion | None = None


@dataclass(frozen=True)
class League:
    """One measure's league table: every ranked member of a peer group, best first, from the
    same period and rule as the scorecard's ranks. The engine fills it; renderers format it."""

    title: str
    measure: LeagueMeasure
    period: str  # "Q4 2017/18"
    period_end: str  # YYYY-MM
    as_of: str  # YYYY-MM
    group: LeagueGroup
    rows: tuple[LeagueRow, ...]
    pooled: float | None  # sum of numerators / sum of denominators
    pooled_text: str | None
    mean_of_rates: float | None  # unweighted mean of the members' values
    mean_of_rates_text: str | None
    organisation: Organisation | None = None  # the home organisation highlighted, if any
    peer_groups: tuple[str, ...] = ()  # names of the groups whose members are in_group
    missing: tuple[Organisation, ...] = ()  # members with no value at the rank period
    funnel: Funnel | None = None  # rates: the funnel plot's figures

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (plain dicts, lists, strings, numbers, None)."""
        return plain(self)  # type: ignore[no-any-return]
