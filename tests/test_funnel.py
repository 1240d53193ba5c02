"""The funnel plot of a rate: exact Poisson control limits (engine), the League's funnel
figures, and the SVG drawn from them (every member present and labelled, the home organisation
marked by shape and name, not colour alone)."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from obs import obs, project
from typer.testing import CliRunner

from kpiboard.assemble import assemble_league
from kpiboard.cli import app
from kpiboard.engine.peer_stats import exact_funnel_limits
from kpiboard.engine.stats import poisson_control_limits
from kpiboard.funnelplot import FunnelMethod
from kpiboard.leaguetable import League
from kpiboard.periods import parse_month
from kpiboard.render.league import funnel_spec, funnel_svg

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "england-wales-2017-18"


# --- exact Poisson limits, worked by hand ------------------------------------------------------
#
# Poisson(4): P(Y <= k) for k = 0..11 is 0.0183156, 0.0915782, 0.2381033, 0.4334701, 0.6288369,
# 0.7851304, 0.8893260, 0.9488664, 0.9786366, 0.9918678, 0.9971602, 0.9990848.
#   p = 0.025: y = 1 (0.0916 >= 0.025); r = 1 - (0.0915782 - 0.025) / 0.0732626 = 0.091238
#   p = 0.975: y = 8 (0.9786 >= 0.975); r = 8 - (0.9786366 - 0.975) / 0.0297702 = 7.877845
#   p = 0.001: y = 0 (0.0183 >= 0.001); r = 0 - (0.0183156 - 0.001) / 0.0183156 < 0 -> 0
#   p = 0.999: y = 11 (0.99908 >= 0.999); r = 11 - (0.9990848 - 0.999) / 0.0019245 = 10.955952


def test_exact_poisson_limits_equal_the_hand_worked_values() -> None:
    lo95, hi95, lo998, hi998 = poisson_control_limits(4.0, [0.025, 0.975, 0.001, 0.999])
    assert lo95 == pytest.approx(0.091238, abs=2e-6)
    assert hi95 == pytest.approx(7.877845, abs=2e-6)
    assert lo998 == 0.0
    assert hi998 == pytest.approx(10.955952, abs=2e-6)


def test_funnel_limits_as_rates_for_a_population() -> None:
    # a centre of 0.4 per 1,000 and 10,000 residents: 4 expected; limits / 10 per 1,000
    lim = exact_funnel_limits(0.4, 10_000, 1000.0)
    assert lim.expected == pytest.approx(4.0)
    assert (lim.lower_95, lim.upper_95) == pytest.approx((0.0091238, 0.7877845), abs=1e-6)
    assert (lim.lower_998, lim.upper_998) == pytest.approx((0.0, 1.0955952), abs=1e-6)
    assert lim.position(0.8) == "above_95" and lim.position(1.2) == "above_998"
    assert lim.position(0.4) == "within" and lim.position(0.005) == "below_95"


def test_at_large_counts_the_exact_limits_approach_the_normal_ones() -> None:
    # 700,000 expected (a large force's year): within one count of E +/- z sqrt(E)
    e = 700_000.0
    lo95, hi95, lo998, hi998 = poisson_control_limits(e, [0.025, 0.975, 0.001, 0.999])
    for got, z in ((lo95, -1.959964), (hi95, 1.959964), (lo998, -3.090232), (hi998, 3.090232)):
        assert got == pytest.approx(e + z * math.sqrt(e), abs=1.5)


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        poisson_control_limits(-1.0, [0.5])
    with pytest.raises(ValueError):
        poisson_control_limits(4.0, [1.0])
    with pytest.raises(ValueError):
        exact_funnel_limits(0.4, 0.0, 1000.0)


# --- the League's funnel -----------------------------------------------------------------------

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


def tiny(tmp_path: Path, method: FunnelMethod = FunnelMethod.POISSON) -> League:
    cat = project(
        tmp_path,
        [RATE, POP],
        population="population",
        peer_groups=[
            {"id": "all", "name": "All forces", "members": "all"},
            {"id": "msf", "name": "Similar forces", "members": ["A", "B"]},
        ],
    )
    counts = {"A": 30.0, "B": 4.0, "C": 40.0}
    pops = {"A": 10_000.0, "B": 10_000.0, "C": 80_000.0}
    rows = [
        {"org": o, "measure": "r", "period_end": "2009-08", "numerator": c}
        for o, c in counts.items()
    ]
    rows += [
        {"org": o, "measure": "population", "period_end": "2009-06", "value": p}
        for o, p in pops.items()
    ]
    return assemble_league(
        cat, obs(rows), parse_month("2009-08"), "r", highlight="A", funnel_method=method
    )


def test_league_carries_the_funnel_with_the_engine_limits(tmp_path: Path) -> None:
    league = tiny(tmp_path)
    f = league.funnel
    assert f is not None and f.per == 1000
    # centre: the pooled rate of all members, (30 + 4 + 40) / 100,000 x 1,000 = 0.74 per 1,000
    assert f.centre == pytest.approx(0.74) and f.centre == pytest.approx(league.pooled)
    by_org = {p.org.id: p for p in f.points}
    assert set(by_org) == {"A", "B", "C"}
    a = by_org["A"]
    assert (a.count, a.population, a.value) == (30.0, 10_000.0, pytest.approx(3.0))
    exact = exact_funnel_limits(0.74, 10_000, 1000.0)  # 7.4 expected
    assert (
        a.limits.expected,
        a.limits.lower_95,
        a.limits.upper_95,
        a.limits.lower_998,
        a.limits.upper_998,
    ) == pytest.approx((7.4, exact.lower_95, exact.upper_95, exact.lower_998, exact.upper_998))
    # A: 30 against 7.4 expected is far beyond the 99.8% limit; B: 4 against 7.4 within
    assert a.position == "above_998" and a.position_text == "above the 99.8% limit"
    assert by_org["B"].position == "within"
    assert a.highlight and by_org["B"].in_group and not by_org["C"].in_group
    # the curve spans the members' populations, each point the limits at that population
    pops = [c.population for c in f.curve]
    assert min(pops) < 10_000 and max(pops) > 80_000 and pops == sorted(pops)
    for c in f.curve[::10]:
        exact = exact_funnel_limits(0.74, c.population, 1000.0)
        assert (c.lower_95, c.upper_95, c.upper_998) == pytest.approx(
            (exact.lower_95, exact.upper_95, exact.upper_998)
        )


def test_counts_or_percentages_have_no_funnel(tmp_path: Path) -> None:
    cat = project(
        tmp_path, [{"id": "c", "title": "C", "kind": "count", "window": "month", "ranks": {}}]
    )
    rows = [
        {"org": o, "measure": "c", "period_end": "2009-08", "numerator": v}
        for o, v in (("A", 1.0), ("B", 2.0))
    ]
    assert assemble_league(cat, obs(rows), parse_month("2009-08"), "c").funnel is None


# --- the SVG -----------------------------------------------------------------------------------


def test_the_svg_has_every_member_labelled_and_the_home_force_marked_by_shape_and_name(
    tmp_path: Path,
) -> None:
    league = tiny(tmp_path)
    assert league.funnel is not None
    svg = funnel_svg(league, league.funnel)
    points = re.findall(
        r'<path role="img" aria-label="([^"]*)"[^>]* d="([^"]*)"[^>]*><title>([^<]*)</title>', svg
    )
    assert sorted(label.split(":")[0] for label, _, _ in points) == [
        "Force A (this organisation)",
        "Force B (peer)",
        "Force C",
    ]
    assert all(label == title for label, _, title in points)  # the tooltip says the same
    shape = {label.split(":")[0]: d for label, d, _ in points}
    # not colour alone: the home force is a diamond (no arcs), the others are not, and it is
    # named on the chart beside its point; its words say where it falls
    assert "A" not in shape["Force A (this organisation)"]  # an SVG arc command draws circles
    assert shape["Force C"] != shape["Force A (this organisation)"] != shape["Force B (peer)"]
    assert re.search(r"<text[^>]*>Force A</text>", svg)
    assert "above the 99.8% limit" in next(lbl for lbl, _, _ in points if lbl.startswith("Force A"))
    root = re.search(r"<svg\b[^>]*>", svg)
    assert (
        root is not None
        and 'role="group"' in root.group(0)
        and "Funnel plot of Crime rate" in root.group(0)
    )


def test_the_renderer_draws_the_engine_numbers_and_computes_none(tmp_path: Path) -> None:
    league = tiny(tmp_path)
    assert league.funnel is not None
    spec = funnel_spec(league, league.funnel)
    lines = spec["layer"][0]["data"]["values"]
    upper = [v["rate"] for v in lines if v["line"] == "99.8% limits" and v["side"] == "upper"]
    assert upper == [c.upper_998 for c in league.funnel.curve]
    assert spec["layer"][1]["data"]["values"][0]["rate"] == league.funnel.centre


@pytest.fixture(scope="module")
def ew(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("funnel") / "ew"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return root


def test_example_html_has_the_funnel_beside_the_ski_slope_with_all_43_forces(ew: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(ew),
            "--as-of",
            "2018-03",
            "--org",
            "all",
            "--measure",
            "total_crime_rate_year",
            "--format",
            "html",
        ],
    )
    assert result.exit_code == 0, result.output
    html = result.stdout
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 2  # the ski-slope and the funnel
    funnel = svgs[1]
    labels = re.findall(r'<path role="img" aria-label="([^":]*)', funnel)
    assert len(labels) == 43 and "West Yorkshire (this organisation)" in labels
    assert "London, City of" in labels and "Metropolitan Police" in labels
    assert '<th scope="col">99.8% limits</th>' in html  # the figures as a table too
    # the limits are named on the chart (its subtitle and text alternative) and under the table
    method = "adjusted for overdispersion (Spiegelhalter additive random effects, tau = 0.0921)"
    root = re.search(r"<svg\b[^>]*>", funnel)
    assert root is not None and method in root.group(0)
    assert re.search(r"<tspan[^>]*>[^<]*Spiegelhalter additive random effects", funnel)
    assert f"<p>95% and 99.8% limits, {method}: z-scores" in html
    # City of London, the one force beyond the 99.8% limits, is named beside its point
    assert re.search(r"<text[^>]*>London, City of</text>", funnel)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)


def test_example_funnel_json_points_equal_the_league_rows(ew: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(ew),
            "--as-of",
            "2018-03",
            "--org",
            "all",
            "--measure",
            "total_crime_rate_year",
            "--format",
            "json",
            "--funnel-limits",
            "poisson",
        ],
    )
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    values = sorted(r["value"] for r in doc["rows"])
    assert sorted(p["value"] for p in doc["funnel"]["points"]) == pytest.approx(values)
    assert doc["funnel"]["centre"] == pytest.approx(doc["pooled"])
    # plain Poisson limits around such large populations leave almost no force inside
    outside = [p for p in doc["funnel"]["points"] if p["position"] in ("above_998", "below_998")]
    assert len(outside) >= 40
    assert doc["funnel"]["overdispersion"]["text"].startswith(
        "Poisson limits at 95% and 99.8%, not adjusted for overdispersion"
    )
    for p in doc["funnel"]["points"]:
        exact = exact_funnel_limits(doc["funnel"]["centre"], p["population"], 1000.0)
        assert p["limits"]["upper_95"] == pytest.approx(exact.upper_95)
        assert p["value"] == pytest.approx(p["count"] / p["population"] * 1000)


def test_counts_ranked_per_population_get_the_same_funnel_as_the_rate(tmp_path: Path) -> None:
    count = {
        "id": "c",
        "title": "Crimes",
        "kind": "count",
        "window": "month",
        "polarity": "lower_is_better",
        "ranks": {"per_population": 1000},
    }
    cat = project(tmp_path, [count, POP], population="population")
    rows = [
        {"org": o, "measure": "c", "period_end": "2009-08", "numerator": c}
        for o, c in (("A", 30.0), ("B", 4.0), ("C", 40.0))
    ]
    rows += [
        {"org": o, "measure": "population", "period_end": "2009-06", "value": p}
        for o, p in (("A", 10_000.0), ("B", 10_000.0), ("C", 80_000.0))
    ]
    league = assemble_league(cat, obs(rows), parse_month("2009-08"), "c")
    rate = tiny(tmp_path / "rate", FunnelMethod.ADDITIVE)
    assert league.funnel is not None and rate.funnel is not None
    assert league.funnel.centre == pytest.approx(rate.funnel.centre)
    assert [(p.org.id, p.count, p.population, p.position) for p in league.funnel.points] == [
        (p.org.id, p.count, p.population, p.position) for p in rate.funnel.points
    ]


def test_example_funnel_allows_for_overdispersion_so_most_forces_lie_inside(ew: Path) -> None:
    """Plain Poisson limits around 43 forces' large populations put nearly all of them
    outside; the default additive random-effects limits (Spiegelhalter 2005) leave only the
    forces whose rate truly stands apart: City of London, whose crimes are counted against a
    resident population of under 10,000 among a daytime one many times larger."""
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(ew),
            "--as-of",
            "2018-03",
            "--org",
            "all",
            "--measure",
            "total_crime_rate_year",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    f: dict[str, Any] = json.loads(result.stdout)["funnel"]
    od = f["overdispersion"]
    assert od["overdispersed"] and od["method"] == "additive" and od["members"] == 43
    assert od["text"].startswith(
        "95% and 99.8% limits, adjusted for overdispersion "
        "(Spiegelhalter additive random effects, tau = "
    )
    # phi and tau from the points' counts and populations, with numpy alone
    o = np.array([p["count"] for p in f["points"]])
    n = np.array([p["population"] for p in f["points"]])
    e = o.sum() / n.sum() * n
    z = 2 * (np.sqrt(o) - np.sqrt(e))
    phi = float(np.mean(np.clip(z, np.percentile(z, 10), np.percentile(z, 90)) ** 2))
    w = 4 * e
    tau2 = (43 * phi - 42) / (w.sum() - (w**2).sum() / w.sum())
    assert od["phi"] == pytest.approx(phi) and od["tau"] == pytest.approx(math.sqrt(tau2))
    outside = [p for p in f["points"] if p["position"] in ("above_998", "below_998")]
    assert 1 <= len(outside) < 5
    assert {p["org"]["name"] for p in outside} == {"London, City of"}
    assert all(p["position"] == "above_998" for p in outside)
    within_95 = sum(1 for p in f["points"] if p["position"] == "within")
    assert within_95 >= 30
    for p in f["points"]:  # each member's limits are the additive ones at its population
        expected = f["centre"] * p["population"] / 1000
        h = 3.090232 * math.sqrt(1 / (4 * expected) + tau2)
        assert p["limits"]["upper_998"] == pytest.approx(f["centre"] * (1 + h) ** 2, rel=1e-6)
