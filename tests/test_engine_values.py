"""Known answers for windows and aggregation by measure kind (engine semantics, DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from obs import monthly, obs, project

from kpiboard.engine.evaluate import Evaluator
from kpiboard.enginedata import EngineRequest
from kpiboard.periods import parse_month, window_ending
from kpiboard.vocabulary import WindowKind
from kpiboard.warehouse import Observations

AUG09 = parse_month("2009-08")


def evaluator(
    tmp_path: Path, measures: list[dict], rows: list[dict], **settings: object
) -> Evaluator:
    cat = project(tmp_path, measures, **settings)
    request = EngineRequest(frozenset(cat.measures), cat.fy_start_month)
    return Evaluator(cat, Observations(obs(rows)).engine_data(request))


def win(kind: WindowKind, end: str = "2009-08"):
    w = window_ending(kind, parse_month(end))
    assert w is not None
    return w


def test_counts_sum_over_rolling_fytd_and_quarter_windows(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [{"id": "c", "title": "C", "kind": "count"}],
        monthly("A", "c", "2008-04", range(1, 18)),
    )  # Apr-08 = 1 ... Aug-09 = 17
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_12)).value == sum(range(6, 18))
    assert ev.evaluate("c", "A", win(WindowKind.FYTD)).value == 13 + 14 + 15 + 16 + 17
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_3)).value == 15 + 16 + 17
    assert ev.evaluate("c", "A", win(WindowKind.QUARTER, "2009-06")).value == 13 + 14 + 15
    assert ev.evaluate("c", "A", win(WindowKind.FINANCIAL_YEAR, "2009-03")).value == sum(
        range(1, 13)
    )


def test_a_window_with_a_missing_month_has_no_value(tmp_path: Path) -> None:
    values = list(range(1, 18))
    values[10] = None  # Feb-09 missing
    ev = evaluator(
        tmp_path, [{"id": "c", "title": "C", "kind": "count"}], monthly("A", "c", "2008-04", values)
    )
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_12)) is None
    assert ev.evaluate("c", "A", win(WindowKind.FYTD)) is not None  # Apr-Aug 2009 complete


def test_proportion_is_pooled_never_an_average_of_rates(tmp_path: Path) -> None:
    rows = monthly("A", "p", "2009-06", [1, 99, 50])
    for row, den in zip(rows, (2.0, 100.0, 100.0), strict=True):
        row["denominator"] = den
    ev = evaluator(tmp_path, [{"id": "p", "title": "P", "kind": "proportion", "unit": "%"}], rows)
    v = ev.evaluate("p", "A", win(WindowKind.ROLLING_3))
    assert v is not None
    assert v.value == pytest.approx(100 * 150 / 202)  # 74.3%, not the mean of rates 66.3%
    assert (v.numerator, v.denominator) == (150, 202)


def test_recorded_rolling_year_estimate_is_used_when_there_are_no_monthly_rows(
    tmp_path: Path,
) -> None:
    rows = [
        {
            "org": "A",
            "measure": "s",
            "period_end": "2009-03",
            "months": 12,
            "value": 49.3,
            "sample_size": 4000.0,
        }
    ]
    ev = evaluator(
        tmp_path,
        [{"id": "s", "title": "S", "kind": "proportion", "unit": "%", "survey": True}],
        rows,
    )
    latest = ev.latest("s", "A", AUG09)
    assert latest is not None
    assert latest.value == pytest.approx(49.3)
    assert latest.window.label() == "12 months to Mar-09"
    assert latest.sample_size == 4000
    # a window of another length is not passed off as this one
    assert ev.evaluate("s", "A", win(WindowKind.ROLLING_3, "2009-03")) is None


def test_per_population_uses_the_latest_population_estimate_at_the_window_end(
    tmp_path: Path,
) -> None:
    rows = monthly("A", "k", "2007-09", [100] * 24)
    rows += [
        {"org": "A", "measure": "population", "period_end": p, "value": v}
        for p, v in (("2007-06", 2_000_000.0), ("2008-06", 2_000_000.0), ("2009-06", 2_500_000.0))
    ]
    ev = evaluator(
        tmp_path,
        [
            {"id": "k", "title": "K", "kind": "per_population", "per": 1000},
            {"id": "population", "title": "Pop", "kind": "snapshot", "hidden": True},
        ],
        rows,
        population="population",
    )
    now = ev.evaluate("k", "A", win(WindowKind.ROLLING_12))
    before = ev.evaluate("k", "A", win(WindowKind.ROLLING_12, "2008-08"))
    assert now is not None and before is not None
    assert now.value == pytest.approx(1200 / 2_500_000 * 1000)
    assert before.value == pytest.approx(1200 / 2_000_000 * 1000)
    # a window that ends before any population estimate has no rate
    assert ev.evaluate("k", "A", win(WindowKind.MONTH, "2007-09")) is not None
    assert ev.population(ev.measure("k"), "A", parse_month("2007-05")) is None


def test_composite_sums_its_children_and_needs_them_all(tmp_path: Path) -> None:
    measures = [
        {"id": "sac", "title": "SAC", "kind": "composite"},
        {"id": "b", "title": "B", "kind": "count", "parent": "sac"},
        {"id": "r", "title": "R", "kind": "count", "parent": "sac"},
    ]
    rows = monthly("A", "b", "2008-09", [10] * 12) + monthly("A", "r", "2008-09", [5] * 12)
    ev = evaluator(tmp_path, measures, rows)
    v = ev.evaluate("sac", "A", win(WindowKind.ROLLING_12))
    assert v is not None and v.value == 180
    ev2 = evaluator(tmp_path / "2", measures, monthly("A", "b", "2008-09", [10] * 12))
    assert ev2.evaluate("sac", "A", win(WindowKind.ROLLING_12)) is None


def test_difference_and_ratio_of_proportions(tmp_path: Path) -> None:
    rows = [
        {
            "org": "A",
            "measure": "w",
            "period_end": "2009-06",
            "months": 12,
            "numerator": 790.0,
            "denominator": 1000.0,
        },
        {
            "org": "A",
            "measure": "b",
            "period_end": "2009-06",
            "months": 12,
            "numerator": 370.0,
            "denominator": 500.0,
        },
        {"org": "A", "measure": "pop_share", "period_end": "2001-04", "value": 25.0},
    ]
    ev = evaluator(
        tmp_path,
        [
            {"id": "w", "title": "W", "kind": "proportion", "unit": "%", "hidden": True},
            {"id": "b", "title": "B", "kind": "proportion", "unit": "%", "hidden": True},
            {"id": "gap", "title": "Gap", "kind": "difference", "of": ["w", "b"], "unit": "pts"},
            {
                "id": "ratio",
                "title": "Ratio",
                "kind": "ratio",
                "of": ["b", "pop_share"],
                "unit": "%",
            },
            {"id": "pop_share", "title": "Share", "kind": "snapshot", "hidden": True},
        ],
        rows,
    )
    w12 = win(WindowKind.ROLLING_12, "2009-06")
    gap = ev.evaluate("gap", "A", w12)
    assert gap is not None and gap.value == pytest.approx(79.0 - 74.0)
    ratio = ev.evaluate("ratio", "A", w12)
    assert (
        ratio is not None
        and ratio.value == pytest.approx(74.0)
        and ratio.ratio == pytest.approx(74.0 / 25.0)
    )


def test_snapshot_is_the_latest_value(tmp_path: Path) -> None:
    rows = [
        {"org": "A", "measure": "s", "period_end": p, "value": v}
        for p, v in (("2009-06", 112.8), ("2009-08", 113.9))
    ]
    ev = evaluator(
        tmp_path, [{"id": "s", "title": "S", "kind": "snapshot", "window": "month"}], rows
    )
    assert ev.latest("s", "A", AUG09).value == 113.9
    assert ev.latest("s", "A", parse_month("2009-07")).value == 112.8
    assert ev.latest("s", "A", parse_month("2009-05")) is None


def test_mean_of_values_and_mean_of_ratios(tmp_path: Path) -> None:
    rows = [
        {"org": "A", "measure": "t", "period_end": p, "value": v}
        for p, v in (("2009-06", 10.0), ("2009-07", 20.0), ("2009-08", 30.0))
    ]
    rows += [
        {"org": "A", "measure": "u", "period_end": p, "numerator": n, "denominator": d}
        for p, n, d in (("2009-06", 100.0, 10.0), ("2009-07", 50.0, 40.0), ("2009-08", 50.0, 50.0))
    ]
    ev = evaluator(
        tmp_path,
        [
            {"id": "t", "title": "T", "kind": "mean", "window": "rolling_3"},
            {"id": "u", "title": "U", "kind": "mean", "window": "rolling_3"},
        ],
        rows,
    )
    assert ev.evaluate("t", "A", win(WindowKind.ROLLING_3)).value == pytest.approx(20.0)
    # total minutes / total calls, not the average of monthly averages (4.08)
    assert ev.evaluate("u", "A", win(WindowKind.ROLLING_3)).value == pytest.approx(200 / 100)


def test_latest_period_respects_as_of_and_lag(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [{"id": "c", "title": "C", "kind": "count"}],
        monthly("A", "c", "2008-01", [1] * 18),
    )
    latest = ev.latest("c", "A", AUG09)  # data end Jun-09
    assert latest is not None and latest.window.label() == "12 months to Jun-09"
    earlier = ev.latest("c", "A", parse_month("2009-02"))
    assert earlier is not None and earlier.window.label() == "12 months to Feb-09"
    assert ev.latest("c", "A", parse_month("2008-11")) is None  # no complete 12 months yet


# -- windows tiled by longer observations (docs/ENGINE.md, "Coverage") -------------------------
COUNT = [{"id": "c", "title": "C", "kind": "count"}]


def quarters(
    org: str, measure: str, ends_values: list[tuple[str, float]], **extra: object
) -> list[dict]:
    return [
        {"org": org, "measure": measure, "period_end": e, "months": 3, "numerator": v, **extra}
        for e, v in ends_values
    ]


Q2017 = [("2017-06", 1201.0), ("2017-09", 1310.0), ("2017-12", 1187.0), ("2018-03", 1044.0)]


def test_a_financial_year_of_quarterly_counts_is_their_hand_sum(tmp_path: Path) -> None:
    ev = evaluator(tmp_path, COUNT, quarters("A", "c", Q2017))
    year = ev.evaluate("c", "A", win(WindowKind.FINANCIAL_YEAR, "2018-03"))
    assert year is not None and year.value == 1201 + 1310 + 1187 + 1044 == 4742
    assert year.window.label() == "2017/18"
    # the same four quarters are the rolling year to Mar-18 and the year to date at Q4 ...
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_12, "2018-03")).value == 4742
    assert ev.evaluate("c", "A", win(WindowKind.FYTD, "2018-03")).value == 4742
    # ... the first two the year to date at Q2, and Q2-Q4 plus nothing else a rolling 9 months
    assert ev.evaluate("c", "A", win(WindowKind.FYTD, "2017-09")).value == 1201 + 1310
    # a window that cuts a quarter is not tiled: no figure, never a part-quarter guess
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_12, "2018-02")) is None
    assert ev.evaluate("c", "A", win(WindowKind.FYTD, "2017-08")) is None
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_3, "2018-02")) is None


def test_a_missing_quarter_makes_the_year_absent_not_smaller(tmp_path: Path) -> None:
    ev = evaluator(tmp_path, COUNT, quarters("A", "c", [Q2017[0], Q2017[2], Q2017[3]]))
    year = win(WindowKind.FINANCIAL_YEAR, "2018-03")
    assert ev.evaluate("c", "A", year) is None
    assert ev.coverage_gap("c", "A", year) == "no data for Jul - Sep 2017"
    assert ev.coverage_gap("c", "A", win(WindowKind.QUARTER, "2018-03")) is None


def test_mixed_monthly_and_quarterly_rows_tile_without_double_counting(tmp_path: Path) -> None:
    # Q1 and Q2 as quarters; Oct-17..Mar-18 as months; and Q3 ALSO as a quarter (1187), whose
    # months (400 + 390 + 397 = 1187) must not be counted twice
    months = monthly("A", "c", "2017-10", [400.0, 390.0, 397.0, 350.0, 340.0, 354.0])
    ev = evaluator(tmp_path, COUNT, quarters("A", "c", Q2017[:3]) + months)
    year = ev.evaluate("c", "A", win(WindowKind.FINANCIAL_YEAR, "2018-03"))
    assert year is not None and year.value == 1201 + 1310 + 400 + 390 + 397 + 350 + 340 + 354
    # monthly rows take precedence where they fill a stretch: Q3 from its months, never both
    q3 = ev.evaluate("c", "A", win(WindowKind.QUARTER, "2017-12"))
    assert q3 is not None and q3.value == 1187
    # a rolling 3 months across the quarter boundary is monthly: Nov-17..Jan-18
    assert ev.evaluate("c", "A", win(WindowKind.ROLLING_3, "2018-01")).value == 390 + 397 + 350


def test_monthly_rows_win_over_a_quarter_covering_the_same_months(tmp_path: Path) -> None:
    # a quarter of 999 (say, another source) beside complete months summing to 30: the months
    rows = monthly("A", "c", "2017-04", [10.0, 10.0, 10.0]) + quarters(
        "A", "c", [("2017-06", 999.0)]
    )
    ev = evaluator(tmp_path, COUNT, rows)
    assert ev.evaluate("c", "A", win(WindowKind.QUARTER, "2017-06")).value == 30
    # with a month missing, the quarter is the only tiling
    rows = monthly("A", "c", "2017-04", [10.0, None, 10.0]) + quarters(
        "A", "c", [("2017-06", 999.0)]
    )
    ev = evaluator(tmp_path / "b", COUNT, rows)
    assert ev.evaluate("c", "A", win(WindowKind.QUARTER, "2017-06")).value == 999


def test_overlapping_observations_that_cannot_tile_give_no_figure(tmp_path: Path) -> None:
    # Apr-Jun and May-Jul (a rolling 3 months) cover Apr-Jul but overlap: no exact tiling
    rows = quarters("A", "c", [("2017-06", 30.0), ("2017-07", 33.0)])
    ev = evaluator(tmp_path, COUNT, rows)
    window = win(WindowKind.FYTD, "2017-07")  # Apr-Jul 2017
    assert ev.evaluate("c", "A", window) is None  # never 63, never a guess
    assert (
        ev.coverage_gap("c", "A", window)
        == "its observations overlap and no set of them covers each month exactly once"
    )
    # with April as a month, April + May-Jul tile it exactly
    ev = evaluator(tmp_path / "b", COUNT, rows + monthly("A", "c", "2017-04", [10.0]))
    assert ev.evaluate("c", "A", window).value == 10 + 33


def test_quarterly_proportions_and_rates_pool_over_the_year(tmp_path: Path) -> None:
    rows = [
        {"org": "A", "measure": "p", "period_end": e, "months": 3, "numerator": n, "denominator": d}
        for e, n, d in (
            ("2017-06", 10.0, 100.0),
            ("2017-09", 30.0, 100.0),
            ("2017-12", 5.0, 50.0),
            ("2018-03", 55.0, 250.0),
        )
    ]
    rows += quarters("A", "r", Q2017)
    rows.append({"org": "A", "measure": "population", "period_end": "2011-06", "value": 250_000.0})
    ev = evaluator(
        tmp_path,
        [
            {"id": "p", "title": "P", "kind": "proportion", "unit": "%"},
            {"id": "r", "title": "R", "kind": "per_population", "per": 1000},
            {"id": "population", "title": "Pop", "kind": "snapshot", "hidden": True},
        ],
        rows,
        population="population",
    )
    p = ev.evaluate("p", "A", win(WindowKind.FINANCIAL_YEAR, "2018-03"))
    assert (
        p is not None
        and (p.numerator, p.denominator) == (100, 500)
        and p.value == pytest.approx(20.0)
    )
    r = ev.evaluate("r", "A", win(WindowKind.FINANCIAL_YEAR, "2018-03"))
    assert r is not None and r.numerator == 4742 and r.value == pytest.approx(4742 / 250_000 * 1000)


def test_a_mean_of_quarterly_values_weights_each_by_its_months(tmp_path: Path) -> None:
    rows = [{"org": "A", "measure": "t", "period_end": "2017-06", "months": 3, "value": 10.0}]
    rows += monthly("A", "t", "2017-07", [1.0, 2.0, 3.0])
    for r in rows[1:]:
        r["value"], r["numerator"] = r.pop("numerator"), None
    ev = evaluator(tmp_path, [{"id": "t", "title": "T", "kind": "mean"}], rows)
    v = ev.evaluate("t", "A", win(WindowKind.FYTD, "2017-09"))
    assert v is not None and v.value == pytest.approx((10.0 * 3 + 1 + 2 + 3) / 6)
