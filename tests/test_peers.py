"""Known answers for the peer group's averages, the verdict against peers and rising counts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from obs import obs, project

from kpiboard.assemble import assemble_league, assemble_scorecard
from kpiboard.engine.peer_stats import (
    FUNNEL_NAME,
    exact_funnel_limits,
    mean_of_rates,
    poisson_verdict,
    proportion_verdict,
    rising,
)
from kpiboard.engine.stats import poisson_rate_test, two_proportion_test
from kpiboard.periods import parse_month
from kpiboard.render.league import league_spec, render_league
from kpiboard.scorecard import Row
from kpiboard.vocabulary import Polarity, RankVerdict

HIGHER, LOWER, NOT_DIFFERENT = RankVerdict.HIGHER, RankVerdict.LOWER, RankVerdict.NOT_DIFFERENT

# three forces, one month: counts and populations where the two averages differ
COUNTS = {"A": 30.0, "B": 40.0, "C": 100.0}
POPS = {"A": 10_000.0, "B": 40_000.0, "C": 50_000.0}  # rates 3.0, 1.0, 2.0 per 1,000
LAST_YEAR = {"A": 20.0, "B": 44.0, "C": 90.0}  # A and C rose, B fell


def row(
    tmp_path: Path,
    measure: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    extra: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> Row:
    cat = project(tmp_path, [measure, *(extra or [])], **settings)
    card = assemble_scorecard(cat, obs(rows), parse_month("2009-08"))
    return next(r for r in card.all_rows() if r.measure == measure["id"])


def binomial_two_sided(x: int, n: int, p: float) -> float:
    """Direct sum of every outcome no more likely than x (R's binom.test)."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    return sum(q for q in pmf if q <= pmf[x] * (1 + 1e-7))


# --- pure functions ---------------------------------------------------------------------------


def test_mean_of_rates_and_pooled_differ_on_unequal_populations() -> None:
    rates = [COUNTS[o] / POPS[o] * 1000 for o in COUNTS]
    assert mean_of_rates(rates) == pytest.approx(2.0)  # (3 + 1 + 2) / 3
    assert sum(COUNTS.values()) / sum(POPS.values()) * 1000 == pytest.approx(1.7)  # 170 / 100,000
    with pytest.raises(ValueError):
        mean_of_rates([])


def test_poisson_verdict_against_the_others_pooled_rate() -> None:
    v = poisson_verdict(30, 10_000, 140, 90_000, per=1000.0)
    # the others: 140 / 90,000 = 1.556 per 1,000, so 15.6 expected for A's 10,000 residents
    assert v.peer_value == pytest.approx(140 / 90)
    assert v.expected == pytest.approx(140 / 9)
    # conditional on 170 events, A's share is Binomial(170, 10,000 / 100,000) under no difference
    assert v.p_value == pytest.approx(binomial_two_sided(30, 170, 0.1), rel=1e-9)
    assert v.p_value == pytest.approx(poisson_rate_test(30, 10_000, 140, 90_000).p_value)
    assert v.p_value == pytest.approx(0.00197, abs=1e-5)
    assert v.verdict == HIGHER and v.beyond_998  # p < 0.002
    assert v.phrase(Polarity.LOWER_IS_BETTER) == "significantly worse"
    assert v.phrase(Polarity.HIGHER_IS_BETTER) == "significantly better"
    assert v.name == "exact Poisson rate comparison" and FUNNEL_NAME in v.method

    low = poisson_verdict(5, 10_000, 140, 90_000, per=1000.0)
    assert low.verdict == LOWER and low.phrase(Polarity.LOWER_IS_BETTER) == "significantly better"
    same = poisson_verdict(20, 10_000, 140, 90_000, per=1000.0)
    assert same.verdict == NOT_DIFFERENT and not same.beyond_998
    assert same.phrase(Polarity.LOWER_IS_BETTER) == NOT_DIFFERENT


def _poisson_limit_by_brute_force(expected: float, p: float) -> float:
    """Spiegelhalter's interpolated Poisson quantile, by summing the pmf from 0 (independent of
    stats.poisson_control_limits, which sums outwards from the mode over a window)."""
    cdf, k, below = 0.0, 0, 0.0
    while True:
        below = cdf
        cdf += math.exp(k * math.log(expected) - expected - math.lgamma(k + 1))
        if cdf >= p:
            return max(0.0, k - (cdf - p) / (cdf - below))
        k += 1


def test_the_ranks_limits_are_the_exact_poisson_funnel_limits() -> None:
    r_bar, pop = 140 / 90, 10_000.0  # the others' pooled rate per 1,000; 15.56 expected
    v = poisson_verdict(30, 10_000, 140, 90_000, per=1000.0)
    expected = r_bar * pop / 1000
    by_hand = [
        _poisson_limit_by_brute_force(expected, p) / 10 for p in (0.025, 0.975, 0.001, 0.999)
    ]
    assert v.limits_95 == pytest.approx(tuple(by_hand[:2]), abs=1e-9)
    assert v.limits_998 == pytest.approx(tuple(by_hand[2:]), abs=1e-9)
    # (the normal approximation r̄ ± z·√(r̄·per/pop) gave 0.783-2.329 and 0.337-2.774: too narrow above)
    assert [round(x, 3) for x in by_hand] == [0.780, 2.326, 0.433, 2.864]
    same = exact_funnel_limits(r_bar, pop, 1000.0)  # what the league's funnel plot draws
    assert v.limits_95 == pytest.approx((same.lower_95, same.upper_95), rel=1e-12)
    assert v.limits_998 == pytest.approx((same.lower_998, same.upper_998), rel=1e-12)
    assert v.limits_998 is not None and v.limits_998[1] < v.value == 3.0  # beyond the 99.8% limit
    assert FUNNEL_NAME in v.method and "exact Poisson" in FUNNEL_NAME


def test_proportion_verdict_is_a_z_test_against_the_others_pooled_sample() -> None:
    v = proportion_verdict(60.0, 1000, 50.0, 4000)
    t = two_proportion_test(60.0, 1000, 50.0, 4000)
    assert v.p_value == t.p_value and t.statistic == pytest.approx(
        0.1 / math.sqrt(0.24 / 1000 + 0.25 / 4000)
    )
    assert v.verdict == HIGHER and v.phrase(Polarity.HIGHER_IS_BETTER) == "significantly better"
    assert v.limits_95 is None and "n = 4,000" in v.method
    assert proportion_verdict(51.0, 1000, 50.0, 4000).verdict == NOT_DIFFERENT


def test_rising_counts_only_when_every_member_has_a_year_earlier() -> None:
    assert rising({"a": 2.0, "b": 1.0, "c": 3.0}, {"a": 1.0, "b": 1.0, "c": 2.5}) == (2, 3)
    assert rising({"a": 2.0, "b": 1.0}, {"a": 1.0}) is None


# --- in a scorecard ---------------------------------------------------------------------------

RATE = {
    "id": "c",
    "title": "Crimes",
    "kind": "count",
    "window": "month",
    "polarity": "lower_is_better",
    "ranks": {"per_population": 1000},
}
POP = {"id": "population", "title": "Pop", "kind": "snapshot", "hidden": True}


def rate_rows(orgs: tuple[str, ...] = ("A", "B", "C")) -> list[dict[str, Any]]:
    out = []
    for o in orgs:
        out.append({"org": o, "measure": "population", "period_end": "2008-01", "value": POPS[o]})
        out.append({"org": o, "measure": "c", "period_end": "2009-08", "numerator": COUNTS[o]})
        out.append({"org": o, "measure": "c", "period_end": "2008-08", "numerator": LAST_YEAR[o]})
    return out


def test_rank_carries_both_averages_the_verdict_and_the_rising_count(tmp_path: Path) -> None:
    r = row(tmp_path, RATE, rate_rows(), extra=[POP], population="population")
    (k,) = r.ranks
    assert (k.rank, k.of) == (3, 3)
    assert k.group_value == pytest.approx(1.7) and k.group_value_text == "1.70"
    assert k.mean_of_rates == pytest.approx(2.0) and k.mean_of_rates_text == "2.00"
    assert k.verdict == HIGHER and k.verdict_text == "significantly worse" and k.beyond_998
    assert k.p_value == pytest.approx(binomial_two_sided(30, 170, 0.1), rel=1e-9)
    assert k.peer_value_text == "1.56" and k.limits_95 is not None and k.limits_998 is not None
    assert k.verdict_method is not None and k.verdict_method.startswith(
        "exact Poisson rate comparison"
    )
    assert (k.rising, k.rising_of) == (2, 3)
    assert (
        "Significantly worse than the rest of All forces, whose pooled rate is 1.56 per 1,000 "
        "(exact Poisson rate comparison, p = 0.0020; beyond the 99.8% limit)"
    ) in r.facts
    assert (
        "2 of 3 members of All forces saw a rise against the same period a year earlier (Aug-08)"
    ) in r.facts


def test_higher_is_better_turns_the_same_verdict_into_better(tmp_path: Path) -> None:
    r = row(
        tmp_path,
        {**RATE, "polarity": "higher_is_better"},
        rate_rows(),
        extra=[POP],
        population="population",
    )
    assert r.ranks[0].rank == 1 and r.ranks[0].verdict_text == "significantly better"
    assert any(f.startswith("Significantly better than the rest of All forces") for f in r.facts)


def test_no_rising_count_when_a_member_lacks_last_year(tmp_path: Path) -> None:
    rows = [x for x in rate_rows() if not (x["org"] == "B" and x["period_end"] == "2008-08")]
    k = row(tmp_path, RATE, rows, extra=[POP], population="population").ranks[0]
    assert k.rising is None and k.rising_of is None and k.verdict == HIGHER


def test_a_group_of_two_still_gets_averages_and_a_verdict(tmp_path: Path) -> None:
    groups = [{"id": "pair", "name": "Pair", "members": ["A", "B"]}]
    r = row(
        tmp_path,
        RATE,
        rate_rows(("A", "B")),
        extra=[POP],
        population="population",
        peer_groups=groups,
    )
    (k,) = r.ranks
    assert (k.rank, k.of, k.group) == (2, 2, "Pair")
    assert k.mean_of_rates == pytest.approx(2.0) and k.group_value == pytest.approx(70 / 50)
    assert k.p_value == pytest.approx(poisson_rate_test(30, 10_000, 40, 40_000).p_value)
    assert k.peer_value == pytest.approx(1.0) and (k.rising, k.rising_of) == (1, 2)


def test_survey_proportion_verdict_in_a_scorecard(tmp_path: Path) -> None:
    m = {
        "id": "p",
        "title": "P",
        "kind": "proportion",
        "unit": "%",
        "decimals": 1,
        "survey": True,
        "ranks": {},
    }
    values = {"A": (60.0, 1000.0), "B": (50.0, 1000.0), "C": (50.0, 3000.0)}
    rows = [
        {
            "org": o,
            "measure": "p",
            "period_end": "2009-03",
            "months": 12,
            "value": v,
            "sample_size": n,
        }
        for o, (v, n) in values.items()
    ]
    r = row(tmp_path, m, rows)
    (k,) = r.ranks
    assert k.mean_of_rates == pytest.approx(160 / 3) and k.mean_of_rates_text == "53.3%"
    assert k.group_value == pytest.approx(52.0)  # (600 + 500 + 1,500) / 5,000
    assert k.peer_value == pytest.approx(50.0) and k.limits_95 is None
    assert k.p_value == pytest.approx(two_proportion_test(60.0, 1000, 50.0, 4000).p_value)
    assert k.verdict_text == "significantly better"
    assert (
        "Significantly better than the rest of All forces, whose pooled figure is 50.0% "
        "(two-sample z-test for independent proportions, p < 0.001; beyond the 99.8% limit)"
    ) in r.facts


def test_counts_ranked_as_counts_get_no_verdict(tmp_path: Path) -> None:
    r = row(tmp_path, {**RATE, "ranks": {}}, rate_rows(), extra=[POP], population="population")
    (k,) = r.ranks
    assert k.verdict is None and k.p_value is None and k.mean_of_rates == pytest.approx(170 / 3)
    assert not any("rest of" in f for f in r.facts)


def test_a_shared_rank_says_so_in_the_row_and_its_facts(tmp_path: Path) -> None:
    # counts ranked as counts: A and B both 40, the best (lower is better) after nobody
    rows = [r for r in rate_rows() if not (r["measure"] == "c" and r["org"] == "A")]
    rows.append({"org": "A", "measure": "c", "period_end": "2009-08", "numerator": 40.0})
    r = row(tmp_path, {**RATE, "ranks": {}}, rows, extra=[POP], population="population")
    (k,) = r.ranks
    assert (k.rank, k.of, k.text) == (1, 3, "=1st/3")
    assert any("=1st/3 in All forces" in f for f in r.facts), r.facts
    untied = row(tmp_path / "u", {**RATE, "ranks": {}}, rate_rows(), extra=[POP])
    assert untied.ranks[0].text == "1st/3"  # A's 30 alone at the top


RATIO = {
    "id": "r",
    "title": "Recruits against the population's share",
    "unit": "%",
    "decimals": 1,
    "kind": "ratio",
    "of": ["share", "pop_share"],
    "window": "month",
    "polarity": "higher_is_better",
    "ranks": {},
}
RATIO_PARTS = [
    {"id": "share", "title": "Share", "unit": "%", "kind": "proportion", "window": "month"},
    {"id": "pop_share", "title": "Pop share", "unit": "%", "kind": "snapshot", "hidden": True},
]


def ratio_rows() -> list[dict[str, Any]]:
    # shares 15%, 30%, 12% against 25%, 20%, 10%: ratios 0.6, 1.5, 1.2 (mean 1.1)
    out = []
    for o, (num, share) in {"A": (15, 25.0), "B": (30, 20.0), "C": (12, 10.0)}.items():
        out.append(
            {
                "org": o,
                "measure": "share",
                "period_end": "2009-08",
                "numerator": num,
                "denominator": 100,
            }
        )
        out.append({"org": o, "measure": "pop_share", "period_end": "2008-01", "value": share})
    return out


def test_a_ratio_is_ranked_and_averaged_in_its_own_unit(tmp_path: Path) -> None:
    """A ratio measure's peer figures are ratios ("1.1 : 1"), never in its percentage's unit."""
    r = row(tmp_path, RATIO, ratio_rows(), extra=RATIO_PARTS)
    assert r.latest is not None and r.latest.text == "15.0% (0.6 : 1)"
    (k,) = r.ranks
    assert (k.rank, k.of) == (3, 3)
    assert k.mean_of_rates == pytest.approx(1.1) and k.mean_of_rates_text == "1.1 : 1"
    assert k.mean_label == "mean of ratios" and k.value_unit == ": 1"


def test_a_ratio_league_and_its_chart_speak_of_ratios(tmp_path: Path) -> None:
    cat = project(tmp_path, [RATIO, *RATIO_PARTS])
    league = assemble_league(cat, obs(ratio_rows()), parse_month("2009-08"), "r", highlight="A")
    assert league.measure.unit == ": 1"
    assert [row.text for row in league.rows] == ["1.5 : 1", "1.2 : 1", "0.6 : 1"]
    assert league_spec(league)["layer"][0]["encoding"]["y"]["title"] == "Ratio (x : 1)"
    text = render_league(league, "table").decode()
    assert "mean of ratios: 1.1 : 1" in text and "%" not in text.split("best first")[-1]


def test_a_rate_ranks_mean_is_a_mean_of_rates(tmp_path: Path) -> None:
    r = row(tmp_path, RATE, rate_rows(), extra=[POP], population="population")
    (k,) = r.ranks
    assert k.mean_label == "mean of rates"
