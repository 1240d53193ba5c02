"""Known answers for the sampling statistics (engine/stats.py): Wilson intervals, z-tests for
survey proportions, the exact Poisson rate comparison and the normal distribution.

Each expected value names its source: a published table, a hand derivation in the comment, or
an independent brute-force computation here in exact rational arithmetic (fractions.Fraction
and math.comb, sharing no code with the module)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from kpiboard.engine.binomial import binomial_cdf, binomial_sf, clopper_pearson
from kpiboard.engine.stats import (
    ALPHA,
    POISSON_EXACT_LIMIT,
    Z_95,
    format_p_value,
    margin_of_error,
    margin_of_error_difference,
    normal_cdf,
    poisson_rate_test,
    proportion_vs_value_test,
    two_proportion_test,
    wilson_interval,
)
from kpiboard.vocabulary import SignificanceVerdict

SIGNIFICANT, NOT_SIGNIFICANT = SignificanceVerdict.SIGNIFICANT, SignificanceVerdict.NOT_SIGNIFICANT

# --- independent references -------------------------------------------------------------------


def binomial_pmfs(n: int, p: Fraction) -> list[Fraction]:
    return [comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def comb(n: int, k: int) -> int:
    return math.comb(n, k)


def exact_two_sided_p(x: int, n: int, p: Fraction) -> float:
    """The method of small p-values by definition: the total probability of every outcome no
    more likely than x (with R's relative tie tolerance of 1e-7)."""
    pmfs = binomial_pmfs(n, p)
    limit = pmfs[x] * (1 + Fraction(1, 10**7))
    return float(min(Fraction(1), sum(q for q in pmfs if q <= limit)))


def upper_tail(x: int, n: int, p: Fraction) -> float:
    return float(sum(binomial_pmfs(n, p)[x:]))


def lower_tail(x: int, n: int, p: Fraction) -> float:
    return float(sum(binomial_pmfs(n, p)[: x + 1]))


# --- the normal distribution ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected", "tolerance"),
    [
        # standard normal table values (e.g. Abramowitz & Stegun, Table 26.1)
        (0.0, 0.5, 1e-15),
        (1.96, 0.975, 1e-4),
        (-1.96, 0.025, 1e-4),
        (1.645, 0.95, 1e-4),
        (3.0, 0.99865, 1e-5),
        (1.0, 0.841345, 1e-6),
    ],
)
def test_normal_cdf_matches_tables(x: float, expected: float, tolerance: float) -> None:
    assert normal_cdf(x) == pytest.approx(expected, abs=tolerance)


def test_normal_cdf_is_accurate_far_in_the_lower_tail() -> None:
    # Φ(-5) = 2.866516e-7 (A&S Table 26.1: Q(5) = 2.866516e-7); relative accuracy, not absolute,
    # because a p-value this small is still reported as a number
    assert normal_cdf(-5.0) == pytest.approx(2.866516e-7, rel=1e-6)


# --- Wilson intervals -------------------------------------------------------------------------


def test_wilson_newcombe_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, 81/263, method 3 (score,
    # no continuity correction): 0.2553 to 0.3662
    low, high = wilson_interval(100 * 81 / 263, 263)
    assert (round(low, 2), round(high, 2)) == (25.53, 36.62)


def test_wilson_at_zero_and_one_hundred_percent() -> None:
    # p = 0: the bounds are 0 and z²/(n + z²) = 3.8416/13.8416 = 0.27754 (27.8%);
    # p = 1 mirrors it: 1 - 0.27754 = 0.72246 (72.2%). A Wald interval would be 0-0 and 100-100.
    upper = 100 * 3.8416 / 13.8416
    assert wilson_interval(0.0, 10) == pytest.approx((0.0, upper))
    assert wilson_interval(100.0, 10) == pytest.approx((100.0 - upper, 100.0))
    assert wilson_interval(0.0, 10)[0] == 0.0 and wilson_interval(100.0, 10)[1] == 100.0
    assert [round(b, 1) for b in wilson_interval(0.0, 10)] == [0.0, 27.8]
    assert [round(b, 1) for b in wilson_interval(100.0, 10)] == [72.2, 100.0]


def test_wilson_with_a_design_factor_uses_the_effective_sample_size() -> None:
    # 30% of 400 with deft 1.2: n_eff = 400/1.44 = 277.78. By hand: z²/n_eff = 0.0138298,
    # centre = (0.3 + 0.0069149)/1.0138298 = 0.302724,
    # half = 1.96·√(0.21/277.78 + 3.8416/(4·277.78²))/1.0138298 = 1.96·0.0277209/1.0138298
    #      = 0.053592, so 24.91% to 35.63%
    low, high = wilson_interval(30.0, 400, deft=1.2)
    assert (round(low, 2), round(high, 2)) == (24.91, 35.63)
    assert (low, high) == pytest.approx(wilson_interval(30.0, 400 / 1.2**2))
    plain_low, plain_high = wilson_interval(30.0, 400)
    assert low < plain_low and high > plain_high  # a design factor > 1 widens the interval


def test_wilson_is_close_to_the_margin_of_error_for_large_samples() -> None:
    # for p = 50% and n = 10,000 the Wilson and Wald intervals agree to 0.001 points
    low, high = wilson_interval(50.0, 10_000)
    moe = margin_of_error(50.0, 10_000)
    assert (low, high) == pytest.approx((50.0 - moe, 50.0 + moe), abs=1e-3)


@pytest.mark.parametrize("n", [1, 2, 5, 30, 1000])
@pytest.mark.parametrize("p", [0.0, 0.1, 12.5, 50.0, 99.0, 100.0])
def test_wilson_contains_the_estimate_and_stays_within_0_to_100(p: float, n: int) -> None:
    low, high = wilson_interval(p, n)
    assert 0.0 <= low <= p <= high <= 100.0


# --- two independent proportions --------------------------------------------------------------


def test_two_proportion_hand_worked_example() -> None:
    # 79.0% of 9,102 against 73.5% of 4,108 (a white/BME satisfaction gap, DOMAIN.md §3):
    # var1 = 0.79·0.21/9102 = 1.822676e-5; var2 = 0.735·0.265/4108 = 4.741358e-5;
    # SE = √6.564034e-5 = 0.0081019 → 0.810 pts; z = 5.5/0.810187 = 6.789;
    # p = erfc(6.789/√2) = 1.1e-11; 95% CI 5.5 ± 1.96·0.810 = 3.91 to 7.09 pts
    t = two_proportion_test(79.0, 9102, 73.5, 4108)
    assert t.estimate == pytest.approx(5.5)
    assert t.standard_error == pytest.approx(0.810187, abs=1e-6)
    assert t.statistic == pytest.approx(6.7886, abs=1e-4)
    assert t.p_value == pytest.approx(1.13e-11, rel=0.01)
    assert (round(t.ci_low, 2), round(t.ci_high, 2)) == (3.91, 7.09)
    assert t.significant and t.verdict == SIGNIFICANT
    assert t.method == "two-sample z-test for independent proportions (unpooled SE)"
    # the interval is the estimate ± the existing margin of error of a difference
    moe = margin_of_error_difference(79.0, 9102, 73.5, 4108)
    assert (t.ci_low, t.ci_high) == pytest.approx((5.5 - moe, 5.5 + moe))


def test_two_proportion_with_a_design_factor() -> None:
    # the same with deft 1.2: SE = 1.2·0.810187 = 0.972225; z = 5.5/0.972225 = 5.657;
    # CI 5.5 ± 1.906 = 3.59 to 7.41
    t = two_proportion_test(79.0, 9102, 73.5, 4108, deft=1.2)
    assert t.standard_error == pytest.approx(1.2 * 0.810187, abs=1e-6)
    assert t.statistic == pytest.approx(5.6571, abs=1e-4)
    assert (round(t.ci_low, 2), round(t.ci_high, 2)) == (3.59, 7.41)
    assert t.method == (
        "two-sample z-test for independent proportions (unpooled SE), design factor 1.2"
    )


def test_a_small_change_is_within_normal_variation() -> None:
    # 77.7% → 77.3%, 3,000 respondents each year: SE = √((0.773·0.227 + 0.777·0.223)/3000)
    # = √1.162473e-4 = 1.0782 pts; z = -0.4/1.0782 = -0.371; Φ(-0.371) = 0.3553 (table:
    # Φ(0.37) = 0.6443), so p = 2·0.3553 = 0.711
    t = two_proportion_test(77.3, 3000, 77.7, 3000)
    assert t.statistic == pytest.approx(-0.3710, abs=1e-4)
    assert t.p_value == pytest.approx(0.7106, abs=1e-4)
    assert not t.significant and t.verdict == NOT_SIGNIFICANT
    assert t.sentence("the fall from 77.7% to 77.3%") == (
        "The fall from 77.7% to 77.3% is within normal variation "
        "(two-sample z-test for independent proportions, p = 0.71)"
    )


def test_two_proportion_is_symmetric() -> None:
    a = two_proportion_test(79.0, 9102, 73.5, 4108)
    b = two_proportion_test(73.5, 4108, 79.0, 9102)
    assert b.estimate == pytest.approx(-a.estimate)
    assert b.statistic == pytest.approx(-(a.statistic or 0.0))
    assert b.p_value == pytest.approx(a.p_value)
    assert (b.ci_low, b.ci_high) == pytest.approx((-a.ci_high, -a.ci_low))


@pytest.mark.parametrize("p", [0.0, 12.0, 50.0, 100.0])
def test_equal_proportions_give_p_one(p: float) -> None:
    t = two_proportion_test(p, 500, p, 800)
    assert t.estimate == 0.0 and t.statistic == 0.0 and t.p_value == 1.0
    assert not t.significant


@pytest.mark.parametrize(
    ("p1", "n1", "p2", "n2"), [(50, 10, 51, 10), (5, 50, 30, 50), (30, 2000, 31, 900)]
)
def test_p_values_are_probabilities(p1: float, n1: float, p2: float, n2: float) -> None:
    t = two_proportion_test(p1, n1, p2, n2)
    assert 0.0 < t.p_value <= 1.0
    assert t.significant == (t.p_value < ALPHA)


def test_opposite_certainties_use_the_pooled_standard_error() -> None:
    # 0 of 10 against 10 of 10: the unpooled SE is 0, so the SE under no difference is used:
    # pooled p = 0.5, SE = √(0.25·(1/10 + 1/10)) = 0.2236 → 22.36 pts; z = -100/22.36 = -4.472.
    # The interval cannot go beyond -100 points.
    t = two_proportion_test(0.0, 10, 100.0, 10)
    assert t.statistic == pytest.approx(-math.sqrt(20))
    assert t.significant
    assert t.ci_low == -100.0
    assert "pooled SE" in t.method


# --- a proportion against a fixed value -------------------------------------------------------


def test_proportion_against_a_target_domain_example() -> None:
    # DOMAIN.md §3: "gap 1.7 pts > MoE ±1.6 pts ⇒ the target is being missed". With 49.3% of
    # 3,750 against 51%: SE = √(0.493·0.507/3750) = 0.81642 pts, MoE = 1.60 pts;
    # z = -1.7/0.81642 = -2.082; p = 2·Φ(-2.082) = 0.0373
    t = proportion_vs_value_test(49.3, 3750, 51.0)
    assert t.estimate == pytest.approx(-1.7)
    assert t.statistic == pytest.approx(-2.0823, abs=1e-4)
    assert t.p_value == pytest.approx(0.0373, abs=1e-4)
    assert t.significant
    assert t.ci_high == pytest.approx(-1.7 + margin_of_error(49.3, 3750))


@pytest.mark.parametrize("gap", [0.5, 1.0, 1.5, 1.6, 1.7, 2.5])
@pytest.mark.parametrize("deft", [1.0, 1.3])
def test_significant_against_a_target_exactly_when_the_gap_exceeds_the_margin_of_error(
    gap: float, deft: float
) -> None:
    # the status rule "margin_of_error" and this test must never disagree
    p, n = 49.3, 3750
    t = proportion_vs_value_test(p, n, p + gap, deft=deft)
    assert t.significant == (gap > margin_of_error(p, n, deft))


def test_an_estimate_at_one_hundred_percent_against_a_target() -> None:
    # 100% of 500 against 90%: the estimate's SE is 0, so the SE at 90% is used:
    # √(0.9·0.1/500) = 1.3416 pts, z = 10/1.3416 = 7.454
    t = proportion_vs_value_test(100.0, 500, 90.0)
    assert t.statistic == pytest.approx(7.4536, abs=1e-4)
    assert t.ci_high == 10.0  # 100% - 90%: the most the gap can be


# --- Poisson rate comparison ------------------------------------------------------------------


def test_poisson_ten_against_twenty() -> None:
    # 10 events against 20 over equal windows: given 30 events, count1 ~ Binomial(30, 1/2).
    # P(X ≤ 10) = Σ_{k≤10} C(30,k)/2^30 = 53,009,102/1,073,741,824 = 0.049369; the distribution
    # is symmetric, so the two-sided p = 2·0.049369 = 0.098737
    assert sum(comb(30, k) for k in range(11)) == 53_009_102
    t = poisson_rate_test(10, 1, 20, 1)
    assert t.p_value == pytest.approx(2 * 53_009_102 / 2**30, rel=1e-10)
    assert round(t.p_value, 4) == 0.0987
    assert t.estimate == 0.5 and t.statistic is None
    assert not t.significant and t.verdict == NOT_SIGNIFICANT
    assert t.ci_low < t.estimate < t.ci_high
    assert t.sentence("the fall from 20 to 10") == (
        "The fall from 20 to 10 is within normal variation "
        "(exact Poisson rate comparison, p = 0.099)"
    )


def test_poisson_r_documentation_example() -> None:
    # R's ?poisson.test example (eba1977: Fredericia against three other cities, ages 55-59):
    # poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)) prints p-value = 0.07967, 95% CI
    # 0.8584264 to 4.2772659, rate ratio 1.971488. The same figures follow from the brute-force
    # reference below (small p-values; Clopper-Pearson bounds checked by their definition).
    t = poisson_rate_test(11, 800, 21, 3011)
    assert t.estimate == pytest.approx(1.971488, abs=1e-6)
    assert t.p_value == pytest.approx(0.07967, abs=1e-5)
    assert t.ci_low == pytest.approx(0.8584264, abs=1e-7)
    assert t.ci_high == pytest.approx(4.2772659, abs=1e-7)
    assert t.p_value == pytest.approx(exact_two_sided_p(11, 32, Fraction(800, 3811)), rel=1e-9)


@pytest.mark.parametrize(
    ("x", "y", "e1", "e2"),
    [
        (10, 20, 1, 1),
        (11, 21, 800, 3011),
        (0, 5, 1, 1),
        (3, 40, 1, 3),
        (25, 3, 2, 1),
        (7, 7, 12, 5),
        (1, 0, 1, 1),
        (30, 12, 1, 1),
        (0, 60, 5, 1),
    ],
)
def test_poisson_matches_brute_force(x: int, y: int, e1: int, e2: int) -> None:
    t = poisson_rate_test(x, e1, y, e2)
    n, pi0 = x + y, Fraction(e1, e1 + e2)
    assert t.p_value == pytest.approx(exact_two_sided_p(x, n, pi0), rel=1e-9, abs=1e-15)

    # Clopper-Pearson: at the bounds (as π = odds/(1 + odds), odds = ratio·e1/e2) the tails are
    # each 2.5%; a bound at 0 or infinity only when x = 0 or y = 0
    def pi(ratio: float) -> Fraction:
        odds = Fraction(ratio) * e1 / e2
        return odds / (1 + odds)

    if x == 0:
        assert t.ci_low == 0.0
    else:
        assert upper_tail(x, n, pi(t.ci_low)) == pytest.approx(0.025, abs=1e-9)
    if y == 0:
        assert t.ci_high == math.inf
    else:
        assert lower_tail(x, n, pi(t.ci_high)) == pytest.approx(0.025, abs=1e-9)
    assert t.ci_low <= t.estimate <= t.ci_high


def test_no_events_to_no_events() -> None:
    t = poisson_rate_test(0, 1, 0, 1)
    assert t.p_value == 1.0 and not t.significant
    assert math.isnan(t.estimate) and (t.ci_low, t.ci_high) == (0.0, math.inf)


def test_poisson_zero_against_five() -> None:
    # P(X = 0) = P(X = 5) = 1/32 under Binomial(5, 1/2), and they are the only outcomes as
    # unlikely: p = 2/32 = 0.0625 (not significant: five events are too few to say)
    t = poisson_rate_test(0, 1, 5, 1)
    assert t.p_value == pytest.approx(0.0625) and not t.significant
    assert t.estimate == 0.0 and t.ci_low == 0.0


def test_rates_per_population() -> None:
    # 120 offences among 1.2m residents against 100 among 1.0m: the same rate, ratio 1
    t = poisson_rate_test(120, 1.2e6, 100, 1.0e6)
    assert t.estimate == pytest.approx(1.0)
    assert t.p_value == pytest.approx(1.0) and not t.significant


def test_normal_approximation_agrees_with_the_exact_test_for_large_counts() -> None:
    # 60,500 against 62,073 over equal years: exact p = 7.1e-6, significant; forcing the normal
    # approximation (z = (60500 - 61286.5)/√(122573/4) = -4.493) agrees to 3 decimal places
    exact = poisson_rate_test(60_500, 1, 62_073, 1)
    approx = poisson_rate_test(60_500, 1, 62_073, 1, exact_limit=100_000)
    assert exact.statistic is None and "exact" in exact.method
    assert approx.statistic == pytest.approx(-4.4929, abs=1e-4)
    assert "normal approximation" in approx.method and "100,000" in approx.method
    assert exact.significant and approx.significant
    assert approx.p_value == pytest.approx(exact.p_value, abs=1e-3)
    assert approx.estimate == exact.estimate == pytest.approx(60_500 / 62_073)
    assert (approx.ci_low, approx.ci_high) == pytest.approx((exact.ci_low, exact.ci_high), rel=1e-4)


def test_normal_approximation_agrees_when_not_significant() -> None:
    # 500,000 against 499,000: z = 1000/√(999000/4) = 2.001·0.5 = 1.0005, p = 0.317
    exact = poisson_rate_test(500_000, 1, 499_000, 1)
    approx = poisson_rate_test(500_000, 1, 499_000, 1, exact_limit=100_000)
    assert approx.statistic == pytest.approx(1.0005, abs=1e-4)
    assert approx.p_value == pytest.approx(exact.p_value, abs=1e-3)
    assert not exact.significant and not approx.significant


def test_the_normal_approximation_is_the_default_only_above_the_limit() -> None:
    assert POISSON_EXACT_LIMIT == 1_000_000
    big = poisson_rate_test(600_000, 1, 600_000, 1)
    assert big.statistic == 0.0 and big.p_value == 1.0 and "normal approximation" in big.method


# --- wording ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "p < 0.001"),
        (0.000999, "p < 0.001"),
        (0.001, "p = 0.0010"),
        (0.0987, "p = 0.099"),
        (0.62, "p = 0.62"),
        (0.5, "p = 0.50"),
        (1.0, "p = 1.0"),
        (0.0496, "p = 0.0496"),  # not "0.050": a significant p-value never reads as 0.05
        (0.04996, "p = 0.04996"),
        (0.0504, "p = 0.050"),
    ],
)
def test_p_values_are_written_sensibly(p: float, text: str) -> None:
    assert format_p_value(p) == text


def test_verdict_strings() -> None:
    assert SIGNIFICANT == "statistically significant"
    assert NOT_SIGNIFICANT == "within normal variation"
    assert Z_95 == 1.96 and ALPHA == 0.05


# --- bad input (programmer errors inside the engine) ------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson_interval(50.0, 0), "n must be a positive number, got 0"),
        (lambda: wilson_interval(50.0, -3), "n must be a positive number"),
        (
            lambda: wilson_interval(-1.0, 100),
            "p_percent must be a percentage from 0 to 100, got -1",
        ),
        (lambda: wilson_interval(100.5, 100), "p_percent must be a percentage from 0 to 100"),
        (lambda: wilson_interval(math.nan, 100), "p_percent must be a percentage"),
        (lambda: wilson_interval(50.0, 100, deft=0.0), "deft must be a positive number"),
        (lambda: two_proportion_test(50.0, 100, 40.0, 0), "n2 must be a positive number"),
        (lambda: two_proportion_test(50.0, 100, 140.0, 10), "p2_percent must be a percentage"),
        (lambda: proportion_vs_value_test(50.0, 100, 101.0), "value_percent must be a percentage"),
        (lambda: proportion_vs_value_test(50.0, 0, 50.0), "n must be a positive number"),
        (lambda: poisson_rate_test(-1, 1, 5, 1), "count1 must be a whole number of events, 0 or"),
        (lambda: poisson_rate_test(3, 1, 2.5, 1), "count2 must be a whole number of events"),
        (lambda: poisson_rate_test(3, 0, 2, 1), "exposure1 must be a positive number, got 0"),
        (lambda: poisson_rate_test(3, 1, 2, math.inf), "exposure2 must be a positive number"),
        (lambda: format_p_value(1.5), "a p-value lies between 0 and 1"),
    ],
)
def test_bad_input_is_a_value_error(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.parametrize(
    ("x", "n"), [(1, 2), (3, 40), (500, 1000), (12_000, 25_000), (7, 300_000), (99_000, 100_000)]
)
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_clopper_pearson_bounds_meet_their_definition(x: int, n: int, confidence: float) -> None:
    # at the lower bound P(X >= x) is the tail, at the upper P(X <= x): counts of the size a
    # force's crimes reach, where the bound is found in a dozen steps rather than by bisection
    tail = (1 - confidence) / 2
    low, high = clopper_pearson(x, n, confidence)
    assert 0 < low < x / n < high < 1
    assert binomial_sf(x, n, low) == pytest.approx(tail, rel=1e-9)
    assert binomial_cdf(x, n, high) == pytest.approx(tail, rel=1e-9)
    # and nowhere else: a little further in, the tail is larger
    assert binomial_sf(x, n, low * (1 + 1e-6)) > tail
    assert binomial_cdf(x, n, high * (1 - 1e-6)) > tail
