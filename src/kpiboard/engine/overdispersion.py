"""Funnel limits that allow for over-dispersion, after Spiegelhalter (2005), "Handling
over-dispersion of performance indicators", Qual Saf Health Care 14:347-351, as NHS and
public-health indicator publications use it. Pure functions on plain numbers.

Each member i gets a z-score against the funnel's centre, z_i = (y_i - theta_0) / s_i:

- a rate (Poisson counts O_i against E_i expected at the centre rate), on the square-root
  scale: y_i = sqrt(O_i / E_i), theta_0 = 1, s_i = 1 / (2 sqrt(E_i)), so z_i = 2 (sqrt(O_i) -
  sqrt(E_i));
- a proportion (binomial, r_i of n_i against p_0): y_i = r_i / n_i, theta_0 = p_0,
  s_i = sqrt(p_0 (1 - p_0) / n_i).

The z-scores are winsorised (those below their 10th percentile raised to it, those above the
90th lowered to it) so that a few true outliers do not inflate the estimate, and
phi = (1/N) sum z_w². Under no over-dispersion N phi is about chi-square on N - 1 degrees of
freedom; when N phi > N - 1 the limits are widened, either

- additively (random effects): tau² = (N phi - (N - 1)) / (sum w_i - sum w_i² / sum w_i),
  w_i = 1 / s_i² (DerSimonian and Laird's estimate), limits theta_0 +/- z sqrt(s_i² + tau²);
  they keep a width of z tau however large the denominator, or
- multiplicatively: theta_0 +/- z sqrt(phi) s_i.

>>> d = dispersion([1.0, -1.0, 2.0, -2.0], [0.5, 0.5, 0.5, 0.5])
>>> round(d.phi, 4), d.overdispersed
(1.945, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from kpiboard.funnelplot import FunnelMethod

WINSORISE = 0.10  # the fraction of z-scores pulled in at each end (the method's default)
Z_95 = NormalDist().inv_cdf(0.975)  # 1.959964: the 95% limits, 2.5% each side
Z_998 = NormalDist().inv_cdf(0.999)  # 3.090232: the 99.8% limits, 0.1% each side


@dataclass(frozen=True)
class Dispersion:
    """The z-scores of N members, winsorised, and what they say of over-dispersion."""

    z: tuple[float, ...]
    winsorised: tuple[float, ...]
    z_low: float  # the 10th and 90th percentiles the z-scores were winsorised at
    z_high: float
    phi: float  # (1/N) sum of the winsorised z-scores squared
    tau2: float  # DerSimonian-Laird between-member variance (0 unless over-dispersed)

    @property
    def members(self) -> int:
        return len(self.z)

    @property
    def overdispersed(self) -> bool:
        """N phi > N - 1: more spread than chance alone (the random-effects test)."""
        return self.members * self.phi > self.members - 1


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (the usual definition:
    numpy's default, R's type 7).

    >>> quantile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 0.1)
    2.0
    >>> quantile([0.0, 10.0], 0.25)
    2.5
    """
    if not values:
        raise ValueError("the quantile of no values is undefined")
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def winsorise(z: Sequence[float], fraction: float = WINSORISE) -> tuple[list[float], float, float]:
    """``z`` with every value below its ``fraction`` quantile raised to it and every value above
    its 1 - ``fraction`` quantile lowered to it; and those two bounds."""
    low, high = quantile(z, fraction), quantile(z, 1.0 - fraction)
    return [min(max(x, low), high) for x in z], low, high


def dispersion(z: Sequence[float], s: Sequence[float]) -> Dispersion:
    """phi and tau² of members with z-scores ``z`` and null standard errors ``s``."""
    if len(z) != len(s) or len(z) < 2:
        raise ValueError("over-dispersion needs the z-score and standard error of 2+ members")
    if any(not (math.isfinite(x) and x > 0) for x in s):
        raise ValueError("standard errors must be positive")
    zw, low, high = winsorise(z)
    n = len(z)
    phi = math.fsum(x * x for x in zw) / n
    w = [1.0 / (x * x) for x in s]
    sw = math.fsum(w)
    denominator = sw - math.fsum(x * x for x in w) / sw
    tau2 = 0.0
    if n * phi > n - 1 and denominator > 0:
        tau2 = (n * phi - (n - 1)) / denominator
    return Dispersion(tuple(z), tuple(zw), low, high, phi, tau2)


def poisson_dispersion(observed: Sequence[float], expected: Sequence[float]) -> Dispersion:
    """Counts ``observed`` against ``expected`` (at the funnel's centre rate), on the
    square-root scale: z = 2 (sqrt(O) - sqrt(E)), s = 1 / (2 sqrt(E))."""
    if any(e <= 0 for e in expected) or any(o < 0 for o in observed):
        raise ValueError("expected counts must be positive and observed ones non-negative")
    z = [2.0 * (math.sqrt(o) - math.sqrt(e)) for o, e in zip(observed, expected, strict=True)]
    return dispersion(z, [0.5 / math.sqrt(e) for e in expected])


def binomial_dispersion(
    successes: Sequence[float], trials: Sequence[float], p0: float
) -> Dispersion:
    """Proportions ``successes / trials`` against ``p0``: z = (p - p0) / sqrt(p0 (1 - p0) / n)."""
    if not 0.0 < p0 < 1.0 or any(n <= 0 for n in trials):
        raise ValueError("p0 must lie strictly between 0 and 1 and every n be positive")
    s = [math.sqrt(p0 * (1.0 - p0) / n) for n in trials]
    z = [(r / n - p0) / se for r, n, se in zip(successes, trials, s, strict=True)]
    return dispersion(z, s)


def half_width(z: float, s: float, d: Dispersion, method: FunnelMethod) -> float:
    """The distance of a limit from theta_0 on the z-scores' scale: z s (Poisson),
    z sqrt(phi) s (multiplicative) or z sqrt(s² + tau²) (additive)."""
    if method is FunnelMethod.ADDITIVE:
        return z * math.sqrt(s * s + d.tau2)
    if method is FunnelMethod.MULTIPLICATIVE:
        return z * math.sqrt(d.phi) * s
    return z * s


def poisson_ratio_limits(
    expected: float, d: Dispersion, method: FunnelMethod
) -> tuple[float, float, float, float]:
    """The 95% and 99.8% limits (lower, upper, lower, upper) of O / E for a member with
    ``expected`` events, on the square-root scale: (1 -/+ h)², a lower limit of 0 where h
    exceeds 1. Multiply by the centre rate for limits of the rate."""
    s = 0.5 / math.sqrt(expected)
    out: list[float] = []
    for z in (Z_95, Z_998):
        h = half_width(z, s, d, method)
        out += [max(0.0, 1.0 - h) ** 2, (1.0 + h) ** 2]
    return out[0], out[1], out[2], out[3]


def binomial_limits(
    p0: float, n: float, d: Dispersion, method: FunnelMethod
) -> tuple[float, float, float, float]:
    """The 95% and 99.8% limits (lower, upper, lower, upper) of a proportion from ``n`` trials
    about ``p0``, cut to [0, 1]."""
    s = math.sqrt(p0 * (1.0 - p0) / n)
    out: list[float] = []
    for z in (Z_95, Z_998):
        h = half_width(z, s, d, method)
        out += [max(0.0, p0 - h), min(1.0, p0 + h)]
    return out[0], out[1], out[2], out[3]


def short(x: float) -> str:
    """phi or tau as words print them: three significant figures, whole numbers from 100.

    >>> short(0.092061), short(3637.246), short(1.945)
    ('0.0921', '3,637', '1.95')
    """
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _adjusted(asked: FunnelMethod, d: Dispersion) -> bool:
    """Whether ``asked`` widens the limits: over-dispersed (N phi > N - 1), and for the
    multiplicative method phi > 1 too (a factor sqrt(phi) below 1 would narrow them)."""
    return d.overdispersed and (asked is not FunnelMethod.MULTIPLICATIVE or d.phi > 1.0)


def drawn_method(asked: FunnelMethod, d: Dispersion) -> FunnelMethod:
    """The limits drawn: those asked for when they widen the Poisson ones, else Poisson."""
    return asked if _adjusted(asked, d) else FunnelMethod.POISSON


def method_text(asked: FunnelMethod, d: Dispersion) -> str:
    """The words every output names the limits with.

    >>> d = dispersion([1.0, -1.0, 2.0, -2.0], [0.5, 0.5, 0.5, 0.5])
    >>> method_text(FunnelMethod.ADDITIVE, d)
    '95% and 99.8% limits, adjusted for overdispersion (Spiegelhalter additive random effects, tau = 0.631)'
    """
    if not _adjusted(asked, d):
        return "no overdispersion found: Poisson limits at 95% and 99.8%"
    if asked is FunnelMethod.ADDITIVE:
        how = f"Spiegelhalter additive random effects, tau = {short(math.sqrt(d.tau2))}"
    elif asked is FunnelMethod.MULTIPLICATIVE:
        how = f"Spiegelhalter multiplicative, phi = {short(d.phi)}"
    else:
        return (
            f"Poisson limits at 95% and 99.8%, not adjusted for overdispersion (phi = "
            f"{short(d.phi)}: more spread than chance alone)"
        )
    return f"95% and 99.8% limits, adjusted for overdispersion ({how})"
