"""The binomial distribution on the standard library alone: tails by log-gamma and a
term-ratio recurrence, R's two-sided exact p-value, and the exact (Clopper-Pearson) interval.
Used by the exact Poisson rate comparison in :mod:`kpiboard.engine.stats`.

>>> round(binomial_cdf(3, 10, 0.5), 6)
0.171875
>>> round(binomial_two_sided_p(2, 10, 0.5), 6)
0.109375
"""

from __future__ import annotations

import math
from collections.abc import Callable

# pmf values within this relative distance count as equally likely in the two-sided exact p-value
# (the tolerance R's binom.test and poisson.test use, so that ties are not lost to rounding)
_TIE_TOLERANCE = 1e-7
# a binomial tail sum stops once a term adds less than this fraction of the sum so far
_TAIL_EPSILON = 1e-17
# Clopper-Pearson bounds are found to this relative precision in π, or until the tail at the
# bound is the target tail to this relative precision (its log to this absolute one)
_BOUND_PRECISION = 1e-12
_LOG_PRECISION = 1e-13
_MAX_BISECTIONS = 200


def _binomial_log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def _binomial_mode(n: int, p: float) -> int:
    """The pmf rises up to this k and falls after it."""
    return min(n, math.floor((n + 1) * p))


def _tail_from(k: int, n: int, p: float, step: int) -> float:
    """Σ pmf(k), pmf(k + step), ... going away from the mode (step -1 from k ≤ mode, +1 from
    k ≥ mode), so terms only shrink; stops when they no longer change the sum."""
    term = math.exp(_binomial_log_pmf(k, n, p))
    odds = p / (1.0 - p)
    total = 0.0
    while term > 0.0:
        total += term
        if term <= total * _TAIL_EPSILON:
            break
        if step > 0:
            if k == n:
                break
            term *= (n - k) / (k + 1) * odds
        else:
            if k == 0:
                break
            term *= k / (n - k + 1) / odds
        k += step
    return total


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k), summing the smaller tail directly (no 1 − (almost 1))."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0 or p >= 1.0:
        return 1.0 if p <= 0.0 else 0.0
    if k <= _binomial_mode(n, p):
        return min(1.0, _tail_from(k, n, p, -1))
    return max(0.0, 1.0 - _tail_from(k + 1, n, p, +1))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0 or p >= 1.0:
        return 0.0 if p <= 0.0 else 1.0
    if k >= _binomial_mode(n, p):
        return min(1.0, _tail_from(k, n, p, +1))
    return max(0.0, 1.0 - _tail_from(k - 1, n, p, -1))


def binomial_two_sided_p(x: int, n: int, p: float) -> float:
    """Two-sided exact p-value: the probability of every outcome no more likely than x (within
    ``_TIE_TOLERANCE``), as R's binom.test. The pmf falls monotonically on each side of the
    mean, so the opposite tail's boundary is found by bisection."""
    expected = n * p
    if x == expected:
        return 1.0
    threshold = _binomial_log_pmf(x, n, p) + math.log1p(_TIE_TOLERANCE)
    if x < expected:
        # first j in [ceil(expected), n] with pmf(j) ≤ pmf(x); n + 1 if none
        lo, hi = math.ceil(expected), n + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if _binomial_log_pmf(mid, n, p) <= threshold:
                hi = mid
            else:
                lo = mid + 1
        return min(1.0, binomial_cdf(x, n, p) + binomial_sf(lo, n, p))
    # last j in [0, floor(expected)] with pmf(j) ≤ pmf(x); -1 if none
    lo, hi = -1, math.floor(expected)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _binomial_log_pmf(mid, n, p) <= threshold:
            lo = mid
        else:
            hi = mid - 1
    return min(1.0, binomial_cdf(lo, n, p) + binomial_sf(x, n, p))


def clopper_pearson(x: int, n: int, confidence: float) -> tuple[float, float]:
    """Exact interval for a binomial π at ``confidence``: the π at which P(X ≥ x) and
    P(X ≤ x) are each (1 − confidence)/2 (0 and 1 at x = 0 and x = n)."""
    log_tail = math.log((1.0 - confidence) / 2.0)
    low = 0.0
    if x > 0:  # log P(X ≥ x) rises with π: it is log_tail at the lower bound
        low = _root(lambda pi: _log(binomial_sf(x, n, pi)) - log_tail, 0.0, x / n)
    high = 1.0
    if x < n:  # log P(X ≤ x) falls as π rises: it is log_tail at the upper bound
        high = _root(lambda pi: log_tail - _log(binomial_cdf(x, n, pi)), x / n, 1.0)
    return low, high


def _log(p: float) -> float:
    return math.log(p) if p > 0.0 else -math.inf


def _root(rising: Callable[[float], float], lo: float, hi: float) -> float:
    """The point in [lo, hi] where the increasing function ``rising`` crosses 0 (negative at
    ``lo``, positive at ``hi``), to ``_BOUND_PRECISION`` relative to it.

    The Illinois variant of the false-position method: each step takes the secant through the
    two ends of the bracket, and halves the weight of an end that stays put twice, so both ends
    close in (a dozen tail sums, where bisection took forty). A step falls back to the middle
    while an end's value is infinite (a tail too small for a float) or the secant leaves the
    bracket.
    """
    f_lo, f_hi = rising(lo), rising(hi)
    if f_lo >= 0.0:
        return lo
    if f_hi <= 0.0:
        return hi
    kept = 0  # which end stayed put at the last step: -1 lo, +1 hi
    for _ in range(_MAX_BISECTIONS):
        mid = _secant(lo, hi, f_lo, f_hi)
        f_mid = rising(mid)
        if f_mid == 0.0:
            return mid
        if f_mid < 0.0:
            lo, f_lo = mid, f_mid
            if kept == +1:
                f_hi *= 0.5
            kept = +1
        else:
            hi, f_hi = mid, f_mid
            if kept == -1:
                f_lo *= 0.5
            kept = -1
        if hi - lo <= _BOUND_PRECISION * hi or abs(f_mid) <= _LOG_PRECISION:
            return mid
    return 0.5 * (lo + hi)


def _secant(lo: float, hi: float, f_lo: float, f_hi: float) -> float:
    """Where the line through the bracket's ends crosses 0; the middle when that is not
    strictly inside or an end's value is infinite."""
    if math.isfinite(f_lo) and math.isfinite(f_hi):
        secant = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        if lo < secant < hi:
            return secant
    return 0.5 * (lo + hi)
