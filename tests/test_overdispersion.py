"""Funnel limits that allow for over-dispersion (Spiegelhalter 2005, "Handling over-dispersion of
performance indicators"): phi, tau² and the limits worked by hand, the 10%/90% winsorising, the
no-overdispersion case, and the same figures through a league table's funnel, checked against
an independent numpy computation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from obs import obs, project

from kpiboard.assemble import assemble_league
from kpiboard.engine.overdispersion import (
    Z_95,
    Z_998,
    binomial_dispersion,
    binomial_limits,
    dispersion,
    drawn_method,
    method_text,
    poisson_dispersion,
    poisson_ratio_limits,
    quantile,
    winsorise,
)
from kpiboard.engine.peer_stats import exact_funnel_limits
from kpiboard.funnelplot import FunnelMethod
from kpiboard.leaguetable import Funnel, League
from kpiboard.periods import parse_month

ADD, MULT, POIS = FunnelMethod.ADDITIVE, FunnelMethod.MULTIPLICATIVE, FunnelMethod.POISSON


def test_the_normal_quantiles_of_the_two_limits() -> None:
    assert abs(Z_95 - 1.959964) < 1e-6
    assert abs(Z_998 - 3.090232) < 1e-6


# --- winsorising at the 10th and 90th percentiles -----------------------------------------------


def test_winsorising_pulls_in_the_outer_tenth_at_each_end() -> None:
    # 11 values 1..11: the 10th percentile is 1 + 0.1 x 10 = 2, the 90th 1 + 0.9 x 10 = 10
    z = [float(x) for x in (5, 1, 11, 2, 3, 4, 6, 7, 8, 9, 10)]
    out, low, high = winsorise(z)
    assert (low, high) == (2.0, 10.0)
    assert out == [5.0, 2.0, 10.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0]


def test_winsorising_interpolates_between_order_statistics_as_numpy_does() -> None:
    rng = np.random.default_rng(7)
    for n in (2, 3, 5, 12, 43):
        z = list(rng.normal(0.0, 3.0, n))
        out, low, high = winsorise(z)
        assert low == pytest.approx(np.percentile(z, 10))
        assert high == pytest.approx(np.percentile(z, 90))
        assert out == pytest.approx(list(np.clip(z, np.percentile(z, 10), np.percentile(z, 90))))
    assert quantile([0.0, 10.0], 0.25) == 2.5
    with pytest.raises(ValueError):
        quantile([], 0.5)


# --- phi, tau² and the limits, by hand ----------------------------------------------------------
#
# Five members each expecting E = 100 events observe O = 64, 81, 100, 121, 144 (square roots
# 8..12, sqrt(E) = 10): z = 2 (sqrt(O) - sqrt(E)) = -4, -2, 0, 2, 4; s = 1 / (2 x 10) = 0.05,
# w = 1 / s² = 400.
# Winsorised: the 10th percentile is -4 + 0.4 x 2 = -3.2, the 90th 2 + 0.6 x 2 = 3.2, so
# z_w = -3.2, -2, 0, 2, 3.2; sum z_w² = 10.24 + 4 + 0 + 4 + 10.24 = 28.48; phi = 5.696.
# N phi = 28.48 > N - 1 = 4: over-dispersed.
# tau² = (28.48 - 4) / (5 x 400 - 5 x 400² / 2000) = 24.48 / (2000 - 400) = 0.0153.
# Additive 95% limits of O/E: h = 1.959964 x sqrt(0.0025 + 0.0153) = 0.261492, so
# (1 - h)² = 0.545394 and (1 + h)² = 1.591362; multiplicative: h = 1.959964 x sqrt(5.696) x
# 0.05 = 0.233885, (1 - h)² = 0.586932, (1 + h)² = 1.522473.

HAND_O = [64.0, 81.0, 100.0, 121.0, 144.0]
HAND_E = [100.0] * 5


def test_phi_and_tau2_equal_the_hand_worked_values() -> None:
    d = poisson_dispersion(HAND_O, HAND_E)
    assert d.z == pytest.approx((-4.0, -2.0, 0.0, 2.0, 4.0))
    assert d.winsorised == pytest.approx((-3.2, -2.0, 0.0, 2.0, 3.2))
    assert (d.z_low, d.z_high) == pytest.approx((-3.2, 3.2))
    assert d.phi == pytest.approx(5.696)
    assert d.overdispersed
    assert d.tau2 == pytest.approx(0.0153)


def test_additive_and_multiplicative_limits_equal_the_hand_worked_values() -> None:
    d = poisson_dispersion(HAND_O, HAND_E)
    lo95, hi95, lo998, hi998 = poisson_ratio_limits(100.0, d, ADD)
    assert (lo95, hi95) == pytest.approx((0.545394, 1.591362), abs=2e-6)
    # 99.8%: h = 3.090232 x sqrt(0.0178) = 0.412288; (1 - h)², (1 + h)²
    assert (lo998, hi998) == pytest.approx((0.345405, 1.994559), abs=2e-6)
    lo95, hi95, _, _ = poisson_ratio_limits(100.0, d, MULT)
    assert (lo95, hi95) == pytest.approx((0.586932, 1.522473), abs=2e-6)
    # plain Poisson on the square-root scale: h = 1.959964 x 0.05 = 0.097998
    lo95, hi95, _, _ = poisson_ratio_limits(100.0, d, POIS)
    assert (lo95, hi95) == pytest.approx((0.813607, 1.205600), abs=2e-6)


def test_additive_limits_keep_a_width_however_large_the_denominator() -> None:
    d = poisson_dispersion(HAND_O, HAND_E)
    tau = math.sqrt(d.tau2)
    lo, hi, _, _ = poisson_ratio_limits(1e12, d, ADD)  # s -> 0: h -> z tau
    assert (lo, hi) == pytest.approx(((1 - Z_95 * tau) ** 2, (1 + Z_95 * tau) ** 2), rel=1e-6)
    lo, hi, _, _ = poisson_ratio_limits(1e12, d, MULT)  # the multiplicative ones narrow to 1
    assert (lo, hi) == pytest.approx((1.0, 1.0), abs=1e-4)


def test_a_lower_limit_below_nothing_is_cut_at_zero() -> None:
    d = poisson_dispersion(HAND_O, HAND_E)
    lo95, _, lo998, _ = poisson_ratio_limits(1.0, d, ADD)  # h > 1 for one expected event
    assert lo95 == 0.0 and lo998 == 0.0


def test_binomial_z_scores_and_limits_by_hand() -> None:
    # p0 = 0.5 and n = 100: s = sqrt(0.25 / 100) = 0.05; 30, 45, 50, 55, 70 of 100 give
    # z = -4, -1, 0, 1, 4; winsorised at -4 + 0.4 x 3 = -2.8 and 1 + 0.6 x 3 = 2.8:
    # phi = (7.84 + 1 + 0 + 1 + 7.84) / 5 = 3.536; tau² = (17.68 - 4) / 1600 = 0.00855
    d = binomial_dispersion([30, 45, 50, 55, 70], [100] * 5, 0.5)
    assert d.z == pytest.approx((-4.0, -1.0, 0.0, 1.0, 4.0))
    assert d.phi == pytest.approx(3.536)
    assert d.tau2 == pytest.approx(0.00855)
    lo95, hi95, _, _ = binomial_limits(0.5, 100, d, ADD)
    h = 1.959964 * math.sqrt(0.0025 + 0.00855)
    assert (lo95, hi95) == pytest.approx((0.5 - h, 0.5 + h), abs=1e-6)
    lo95, hi95, _, _ = binomial_limits(0.5, 100, d, MULT)
    h = 1.959964 * math.sqrt(3.536) * 0.05
    assert (lo95, hi95) == pytest.approx((0.5 - h, 0.5 + h), abs=1e-6)


def test_no_overdispersion_leaves_tau2_at_zero() -> None:
    # z = -0.5, 0, 0.5 (winsorised to -0.4, 0, 0.4): N phi = 0.32 < N - 1 = 2
    d = dispersion([-0.5, 0.0, 0.5], [0.1, 0.2, 0.3])
    assert d.phi == pytest.approx(0.32 / 3)
    assert not d.overdispersed and d.tau2 == 0.0


def test_multiplicative_limits_are_never_narrower_than_poisson() -> None:
    # z = -1.5, -0.75, 0, 0.75, 1.5 winsorised to +/-1.2: phi = (2 x 1.44 + 2 x 0.5625) / 5 =
    # 0.801; N phi = 4.005 > N - 1 = 4, so tau² > 0, but sqrt(phi) < 1 would narrow the limits
    d = dispersion([-1.5, -0.75, 0.0, 0.75, 1.5], [0.1] * 5)
    assert d.phi == pytest.approx(0.801) and d.overdispersed and d.tau2 > 0
    assert drawn_method(MULT, d) is POIS and drawn_method(ADD, d) is ADD
    assert method_text(MULT, d) == "no overdispersion found: Poisson limits at 95% and 99.8%"
    assert method_text(ADD, d).startswith("95% and 99.8% limits, adjusted for overdispersion")


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError):
        dispersion([1.0], [1.0])
    with pytest.raises(ValueError):
        dispersion([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError):
        poisson_dispersion([1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError):
        binomial_dispersion([1.0, 2.0], [10.0, 10.0], 1.0)


# --- through a league table's funnel --------------------------------------------------------------

RATE = {
    "id": "r",
    "title": "Crime rate",
    "kind": "per_population",
    "per": 1000,
    "window": "month",
    "polarity": "lower_is_better",
    "ranks": {},
}
POP = {"id": "population", "title": "Population", "kind": "snapshot", "hidden": True}


def league_of(
    tmp_path: Path, counts: dict[str, float], pops: dict[str, float], method: FunnelMethod
) -> League:
    cat = project(
        tmp_path,
        [RATE, POP],
        population="population",
        organisations=[{"id": o, "name": f"Force {o}"} for o in counts],
    )
    rows = [
        {"org": o, "measure": "r", "period_end": "2009-08", "numerator": c}
        for o, c in counts.items()
    ]
    rows += [
        {"org": o, "measure": "population", "period_end": "2009-06", "value": p}
        for o, p in pops.items()
    ]
    return assemble_league(cat, obs(rows), parse_month("2009-08"), "r", funnel_method=method)


# eight forces of very different sizes whose rates spread far more than chance allows
COUNTS = {"A": 900.0, "B": 2600.0, "C": 5200.0, "D": 3900.0, "E": 14000.0, "F": 700.0}
COUNTS |= {"G": 30000.0, "H": 11000.0}
POPS = {"A": 10_000.0, "B": 40_000.0, "C": 60_000.0, "D": 50_000.0, "E": 200_000.0}
POPS |= {"F": 12_000.0, "G": 500_000.0, "H": 100_000.0}


def numpy_limits(method: FunnelMethod) -> tuple[float, float, dict[str, tuple[float, ...]]]:
    """phi, tau² and each member's limits (rates per 1,000), worked with numpy alone."""
    o = np.array(list(COUNTS.values()))
    n = np.array([POPS[k] for k in COUNTS])
    centre = o.sum() / n.sum() * 1000
    e = centre * n / 1000
    z = 2 * (np.sqrt(o) - np.sqrt(e))
    zw = np.clip(z, np.percentile(z, 10), np.percentile(z, 90))
    phi = float(np.mean(zw**2))
    s2 = 1 / (4 * e)
    w = 1 / s2
    tau2 = max(0.0, (len(o) * phi - (len(o) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    var = s2 + tau2 if method is ADD else phi * s2
    out = {}
    for k, v in zip(COUNTS, var, strict=True):
        lims = []
        for q in (0.975, 0.999):
            h = {0.975: 1.959964, 0.999: 3.090232}[q] * math.sqrt(v)
            lims += [centre * max(0.0, 1 - h) ** 2, centre * (1 + h) ** 2]
        out[k] = tuple(lims)
    return phi, tau2, out


@pytest.mark.parametrize("method", [ADD, MULT])
def test_the_funnel_limits_equal_an_independent_numpy_computation(
    tmp_path: Path, method: FunnelMethod
) -> None:
    league = league_of(tmp_path, COUNTS, POPS, method)
    f = league.funnel
    assert f is not None and f.overdispersion is not None
    phi, tau2, limits = numpy_limits(method)
    od = f.overdispersion
    assert od.phi == pytest.approx(phi) and od.tau == pytest.approx(math.sqrt(tau2))
    assert od.overdispersed and od.method is method and od.members == 8
    for p in f.points:
        got = (p.limits.lower_95, p.limits.upper_95, p.limits.lower_998, p.limits.upper_998)
        assert got == pytest.approx(limits[p.org.id], rel=1e-6)
        lo, hi = limits[p.org.id][2:]
        assert (p.position in ("above_998", "below_998")) == (not lo <= p.value <= hi)
    words = {
        ADD: "adjusted for overdispersion (Spiegelhalter additive random effects, tau = ",
        MULT: "adjusted for overdispersion (Spiegelhalter multiplicative, phi = ",
    }[method]
    assert words in od.text and od.text in f.method
    # the curve is drawn with the same limits
    c = f.curve[len(f.curve) // 2]
    e = f.centre * c.population / 1000
    s2 = 1 / (4 * e)
    h = 1.959964 * math.sqrt(s2 + tau2 if method is ADD else phi * s2)
    assert c.upper_95 == pytest.approx(f.centre * (1 + h) ** 2, rel=1e-6)


def test_adjusted_limits_put_fewer_members_outside_than_plain_poisson(tmp_path: Path) -> None:
    plain = league_of(tmp_path / "p", COUNTS, POPS, POIS).funnel
    added = league_of(tmp_path / "a", COUNTS, POPS, ADD).funnel
    assert plain is not None and added is not None
    assert plain.overdispersion is not None and plain.overdispersion.method is POIS
    assert "not adjusted for overdispersion" in plain.overdispersion.text

    def outside(f: Funnel) -> int:
        return sum(1 for p in f.points if p.position in ("above_998", "below_998"))

    assert outside(plain) >= 6 and outside(added) <= 2
    # the plain limits are the exact Poisson ones, as before
    for p in plain.points:
        exact = exact_funnel_limits(plain.centre, p.population, 1000.0)
        assert p.limits.upper_998 == pytest.approx(exact.upper_998)


def test_without_overdispersion_the_limits_are_the_exact_poisson_ones(tmp_path: Path) -> None:
    # every force exactly at the pooled rate of 1 per 1,000: every z-score 0, phi 0
    counts = {"A": 10.0, "B": 20.0, "C": 40.0, "D": 80.0}
    pops = {"A": 10_000.0, "B": 20_000.0, "C": 40_000.0, "D": 80_000.0}
    for method in (ADD, MULT):
        f = league_of(tmp_path / method, counts, pops, method).funnel
        assert f is not None and f.overdispersion is not None
        od = f.overdispersion
        assert od.phi == 0.0 and not od.overdispersed and od.tau == 0.0
        assert od.method is POIS and od.asked is method
        assert od.text == "no overdispersion found: Poisson limits at 95% and 99.8%"
        for p in f.points:
            exact = exact_funnel_limits(1.0, p.population, 1000.0)
            assert (p.limits.lower_95, p.limits.upper_95, p.limits.upper_998) == pytest.approx(
                (exact.lower_95, exact.upper_95, exact.upper_998)
            )
            assert p.position == "within"
