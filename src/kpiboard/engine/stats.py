"""Sampling statistics: survey margins of error and intervals, and tests of significance.

Pure functions on the standard library alone: the normal distribution through ``math.erfc``,
the binomial in :mod:`kpiboard.engine.binomial` (no scipy). Percentages are on a
0-100 scale and differences between them are in points. What each test is used for, and its
caveats, is in ``docs/ENGINE.md`` ("Significance").

>>> two_proportion_test(79.0, 9102, 73.5, 4108).verdict.value
'statistically significant'
>>> poisson_rate_test(10, 1, 20, 1).sentence("the fall from 20 to 10")
'The fall from 20 to 10 is within normal variation (exact Poisson rate comparison, p = 0.099)'
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from kpiboard.engine.binomial import binomial_two_sided_p, clopper_pearson
from kpiboard.vocabulary import SignificanceVerdict

Z_95 = 1.96  # two-sided 95% normal quantile, as in the published margins of error
ALPHA = 0.05  # significance level of every test: significant when p < ALPHA
CONFIDENCE = 1.0 - ALPHA  # level of the exact (Clopper-Pearson) intervals
P_VALUE_FLOOR = 0.001  # smaller p-values are written "p < 0.001"
P_VALUE_DIGITS = 2  # significant figures of a written p-value
POISSON_EXACT_LIMIT = 1_000_000  # above this total count the normal approximation is used

Z_TEST_NAME = "two-sample z-test for independent proportions"
VALUE_TEST_NAME = "z-test of a proportion against a fixed value"
POISSON_EXACT_NAME = "exact Poisson rate comparison"
POISSON_NORMAL_NAME = "Poisson rate comparison (normal approximation)"


@dataclass(frozen=True)
class Test:
    """The outcome of a significance test.

    ``estimate`` is a difference in points (proportions) or a rate ratio (counts), with its 95%
    interval ``ci_low``-``ci_high``; ``statistic`` is z, or None for an exact test;
    ``standard_error`` (points) is None for counts. ``p_value`` underflows to 0.0 beyond
    |z| ≈ 38 (it is written "p < 0.001" all the same). ``name`` is the short name used in
    sentences, ``method`` the full description.
    """

    __test__ = False  # not a pytest test class, despite its name

    estimate: float
    ci_low: float
    ci_high: float
    statistic: float | None
    p_value: float
    significant: bool
    method: str
    name: str
    standard_error: float | None = None

    @property
    def verdict(self) -> SignificanceVerdict:
        """``"statistically significant"`` or ``"within normal variation"``."""
        if self.significant:
            return SignificanceVerdict.SIGNIFICANT
        return SignificanceVerdict.NOT_SIGNIFICANT

    def sentence(self, what: str) -> str:
        r"""``what`` (its first letter capitalised) with the verdict, test and p-value, in the
        facts' style (no full stop):

        >>> t = two_proportion_test(77.3, 3000, 77.7, 3000)
        >>> print(t.sentence("the fall from 77.7% to 77.3%").replace(" (", "\n("))
        The fall from 77.7% to 77.3% is within normal variation
        (two-sample z-test for independent proportions, p = 0.71)
        """
        subject = what[:1].upper() + what[1:]
        return f"{subject} is {self.verdict} ({self.name}, {format_p_value(self.p_value)})"


def format_p_value(p: float) -> str:
    """``p < 0.001``, else ``p = `` with two significant figures, and more where two would
    round a significant p-value up to the threshold (0.0496 is not written "0.050").

    >>> format_p_value(0.0987), format_p_value(0.5), format_p_value(0.0496), format_p_value(2e-9)
    ('p = 0.099', 'p = 0.50', 'p = 0.0496', 'p < 0.001')
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a p-value lies between 0 and 1, got {p!r}")
    if p < P_VALUE_FLOOR:
        return f"p < {P_VALUE_FLOOR:g}"
    digits = P_VALUE_DIGITS
    text = f"{p:#.{digits}g}"
    while p < ALPHA <= float(text):
        digits += 1
        text = f"{p:#.{digits}g}"
    return f"p = {text}"


# --- the normal distribution ------------------------------------------------------------------


def normal_cdf(x: float) -> float:
    """Standard normal distribution function, Φ(x) = erfc(-x/√2)/2 (accurate in both tails).

    >>> round(normal_cdf(1.96), 4)
    0.975
    """
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _two_sided_normal_p(z: float) -> float:
    """P(|Z| ≥ |z|) = erfc(|z|/√2), without the cancellation of 2·(1 − Φ(|z|))."""
    return min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))


# --- survey proportions -----------------------------------------------------------------------


def margin_of_error(p_percent: float, n: float, deft: float = 1.0, z: float = Z_95) -> float:
    """95% margin of error of a survey percentage, in percentage points:
    ``z * deft * sqrt(p(1-p)/n)``.

    >>> round(margin_of_error(50.0, 1000), 2)
    3.1
    """
    if n <= 0:
        raise ValueError("sample size must be positive")
    p = p_percent / 100.0
    return 100.0 * z * deft * math.sqrt(p * (1.0 - p) / n)


def margin_of_error_difference(
    p1_percent: float, n1: float, p2_percent: float, n2: float, deft: float = 1.0, z: float = Z_95
) -> float:
    """95% margin of error of the gap between two independent survey percentages, in points:
    ``z * deft * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)``."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("sample sizes must be positive")
    p1, p2 = p1_percent / 100.0, p2_percent / 100.0
    return 100.0 * z * deft * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


def wilson_interval(
    p_percent: float, n: float, *, z: float = Z_95, deft: float = 1.0
) -> tuple[float, float]:
    """Wilson score interval of a survey percentage, in percent. With a design factor the
    effective sample size n/deft² is used. Stays within 0-100 and is not degenerate at 0% or
    100% or for small n (where p ± MoE is).

    >>> tuple(round(b, 1) for b in wilson_interval(0.0, 10))
    (0.0, 27.8)
    """
    _check_percent("p_percent", p_percent)
    _check_positive("n", n)
    _check_positive("z", z)
    _check_positive("deft", deft)
    p = p_percent / 100.0
    m = n / deft**2
    z2 = z * z
    denominator = 1.0 + z2 / m
    centre = (p + z2 / (2.0 * m)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / m + z2 / (4.0 * m * m)) / denominator
    # at p = 0 (or 1) the near bound is exactly 0 (or 1); computed, it would be off by rounding
    low = 0.0 if p == 0.0 else max(0.0, centre - half)
    high = 1.0 if p == 1.0 else min(1.0, centre + half)
    return 100.0 * low, 100.0 * high


def two_proportion_test(
    p1_percent: float, n1: float, p2_percent: float, n2: float, *, deft: float = 1.0
) -> Test:
    """Is the gap between two independent survey percentages (two groups, or one group in two
    periods) real? ``estimate`` = p1 − p2 in points; SE = deft·√(p1(1−p1)/n1 + p2(1−p2)/n2)
    (unpooled, so the interval is the estimate ± the margin of error of the difference);
    z = estimate/SE; the interval is cut to ±100 points. When the samples sit at 0% and 100%
    the unpooled SE is 0, and the pooled SE (the SE under no difference) is used, saying so.

    >>> t = two_proportion_test(79.0, 9102, 73.5, 4108)
    >>> round(t.statistic or 0, 2), t.verdict.value
    (6.79, 'statistically significant')
    """
    _check_percent("p1_percent", p1_percent)
    _check_percent("p2_percent", p2_percent)
    _check_positive("n1", n1)
    _check_positive("n2", n2)
    _check_positive("deft", deft)
    p1, p2 = p1_percent / 100.0, p2_percent / 100.0
    se = deft * math.sqrt(p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2)
    detail = "unpooled SE"
    if se == 0.0 and p1 != p2:
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se = deft * math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        detail = "pooled SE, as both samples are at 0% or 100%"
    method = f"{Z_TEST_NAME} ({detail}){_design_factor_text(deft)}"
    return _z_test(100.0 * (p1 - p2), 100.0 * se, Z_TEST_NAME, method, (-100.0, 100.0))


def proportion_vs_value_test(
    p_percent: float, n: float, value_percent: float, *, deft: float = 1.0
) -> Test:
    """Is a survey percentage really above or below a fixed figure (a target)?
    ``estimate`` = p − T in points; z = (p − T)/SE with SE = deft·√(p(1−p)/n), so |z| > 1.96
    exactly when the gap exceeds the margin of error (DOMAIN.md's "confirmed missed").
    At p = 0% or 100% that SE is 0 and the SE at T is used instead, saying so.

    >>> proportion_vs_value_test(49.0, 1000, 51.0).verdict.value
    'within normal variation'
    """
    _check_percent("p_percent", p_percent)
    _check_percent("value_percent", value_percent)
    _check_positive("n", n)
    _check_positive("deft", deft)
    p, target = p_percent / 100.0, value_percent / 100.0
    se = deft * math.sqrt(p * (1.0 - p) / n)
    detail = "SE of the estimate"
    if se == 0.0 and p != target:
        se = deft * math.sqrt(target * (1.0 - target) / n)
        detail = "SE at the fixed value, as the estimate is at 0% or 100%"
    method = f"{VALUE_TEST_NAME} ({detail}){_design_factor_text(deft)}"
    bounds = (-value_percent, 100.0 - value_percent)
    return _z_test(100.0 * (p - target), 100.0 * se, VALUE_TEST_NAME, method, bounds)


def _z_test(
    estimate: float, se: float, name: str, method: str, bounds: tuple[float, float]
) -> Test:
    """A Wald z-test of ``estimate`` against 0 with standard error ``se`` (same units); the
    interval estimate ± Z_95·se is cut to the values the estimate can take (``bounds``)."""
    if se == 0.0:
        # only reachable when the estimate is certain: no difference, or one beyond any doubt
        z = 0.0 if estimate == 0.0 else math.copysign(math.inf, estimate)
    else:
        z = estimate / se
    p_value = _two_sided_normal_p(z)
    half = Z_95 * se
    return Test(
        estimate=estimate,
        ci_low=max(bounds[0], estimate - half),
        ci_high=min(bounds[1], estimate + half),
        statistic=z,
        p_value=p_value,
        significant=p_value < ALPHA,
        method=method,
        name=name,
        standard_error=se,
    )


def _design_factor_text(deft: float) -> str:
    return "" if deft == 1.0 else f", design factor {deft:g}"


# --- counts -----------------------------------------------------------------------------------


def poisson_rate_test(
    count1: float,
    exposure1: float,
    count2: float,
    exposure2: float,
    *,
    exact_limit: int = POISSON_EXACT_LIMIT,
) -> Test:
    """Is the rate count1/exposure1 really different from count2/exposure2? Exposures are the
    windows' lengths (equal windows: 1 each) or population × months for rates per population.

    The exact conditional test: given the total n = count1 + count2, count1 is
    Binomial(n, π0) with π0 = exposure1/(exposure1 + exposure2) when the rates are equal. The
    two-sided p-value sums every outcome no more likely than the observed one (the method of
    small p-values, as R's ``poisson.test``). ``estimate`` is the rate ratio
    (count1/exposure1)/(count2/exposure2), with the exact interval from the Clopper-Pearson
    interval of π: ratio = π/(1 − π) · exposure2/exposure1. Above ``exact_limit`` events the
    normal approximation to the same binomial (a score z-test, with a Wilson interval) is used
    and named. The ratio is inf when count2 = 0 and NaN when both counts are 0 (p = 1).

    >>> t = poisson_rate_test(10, 1, 20, 1)
    >>> round(t.estimate, 2), round(t.p_value, 4), t.verdict.value
    (0.5, 0.0987, 'within normal variation')
    """
    x = _check_count("count1", count1)
    y = _check_count("count2", count2)
    _check_positive("exposure1", exposure1)
    _check_positive("exposure2", exposure2)
    n = x + y
    pi0 = exposure1 / (exposure1 + exposure2)
    odds_to_ratio = exposure2 / exposure1

    def ratio(pi: float) -> float:
        return math.inf if pi >= 1.0 else pi / (1.0 - pi) * odds_to_ratio

    if n == 0:
        method = f"{POISSON_EXACT_NAME} (no events in either period: nothing to compare)"
        return Test(math.nan, 0.0, math.inf, None, 1.0, False, method, POISSON_EXACT_NAME)
    # the ratio from the counts themselves (via the odds it would carry rounding error)
    estimate = math.inf if y == 0 else (x / exposure1) / (y / exposure2)
    if n > exact_limit:
        z = (x - n * pi0) / math.sqrt(n * pi0 * (1.0 - pi0))
        p_value = _two_sided_normal_p(z)
        low, high = wilson_interval(100.0 * x / n, n)
        method = (
            f"{POISSON_NORMAL_NAME}: score z-test of the conditional binomial, used because the "
            f"total count exceeds {exact_limit:,}; Wilson interval for the rate ratio"
        )
        return Test(
            estimate,
            ratio(low / 100.0),
            ratio(high / 100.0),
            z,
            p_value,
            p_value < ALPHA,
            method,
            POISSON_NORMAL_NAME,
        )
    p_value = binomial_two_sided_p(x, n, pi0)
    low_pi, high_pi = clopper_pearson(x, n, CONFIDENCE)
    method = (
        f"{POISSON_EXACT_NAME}: conditional binomial test, two-sided p-value by the method of "
        "small p-values; Clopper-Pearson interval for the rate ratio"
    )
    return Test(
        estimate,
        ratio(low_pi),
        ratio(high_pi),
        None,
        p_value,
        p_value < ALPHA,
        method,
        POISSON_EXACT_NAME,
    )


# --- the Poisson distribution: funnel-plot control limits -------------------------------------

POISSON_TAIL_SDS = (
    10.0  # the CDF is summed over the mean +/- this many SDs (+ 10): the rest < 1e-20
)


def poisson_control_limits(expected: float, probabilities: Sequence[float]) -> list[float]:
    """Exact Poisson control limits, as counts, for a unit whose expected count is
    ``expected``: for each lower-tail probability p, the p-quantile of Poisson(expected)
    interpolated as Spiegelhalter (2005, "Funnel plots for comparing institutional
    performance", appendix A.1.1) does so that the limits run smoothly with the expected count:
    y_p = the smallest count with P(Y <= y_p) >= p, and

        r_p = y_p - (P(Y <= y_p) - p) / (P(Y <= y_p) - P(Y <= y_p - 1)),

    cut at 0 below. The probabilities are summed exactly (no normal approximation) over the
    counts within POISSON_TAIL_SDS standard deviations of the mean.

    >>> [round(x, 4) for x in poisson_control_limits(4.0, [0.025, 0.975])]
    [0.0912, 7.8778]
    """
    if not math.isfinite(expected) or expected < 0:
        raise ValueError(f"expected count must be finite and non-negative, not {expected!r}")
    if any(not 0.0 < p < 1.0 for p in probabilities):
        raise ValueError("probabilities must lie strictly between 0 and 1")
    if expected == 0:
        return [0.0 for _ in probabilities]
    spread = POISSON_TAIL_SDS * math.sqrt(expected) + 10.0
    lo = max(0, math.floor(expected - spread))
    hi = math.ceil(expected + spread)
    mode = min(max(math.floor(expected), lo), hi)
    pmf = [0.0] * (hi - lo + 1)
    pmf[mode - lo] = math.exp(mode * math.log(expected) - expected - math.lgamma(mode + 1))
    for k in range(mode, hi):  # P(k + 1) = P(k) * mean / (k + 1)
        pmf[k + 1 - lo] = pmf[k - lo] * expected / (k + 1)
    for k in range(mode, lo, -1):  # P(k - 1) = P(k) * k / mean
        pmf[k - 1 - lo] = pmf[k - lo] * k / expected
    cdf = list(itertools.accumulate(pmf))
    out = []
    for p in probabilities:
        i = bisect.bisect_left(cdf, p)  # the first k (from lo) with P(Y <= k) >= p
        i = min(i, len(cdf) - 1)
        below = cdf[i - 1] if i > 0 else 0.0
        step = cdf[i] - below
        r = (lo + i) - (cdf[i] - p) / step if step > 0 else float(lo + i)
        out.append(max(0.0, r))
    return out


# --- input checks (programmer errors: the catalogue and ingest layers stop user mistakes) -----


def _check_percent(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 100.0):
        raise ValueError(f"{name} must be a percentage from 0 to 100, got {value!r}")


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _check_count(name: str, value: float) -> int:
    if not (math.isfinite(value) and value >= 0.0 and float(value).is_integer()):
        raise ValueError(f"{name} must be a whole number of events, 0 or more, got {value!r}")
    return int(value)
