"""Derived measures (``formula:``): known answers on small hand-computed projects, computed in
the warehouse (DuckDB) and windowed by the engine exactly as stored measures are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from obs import monthly, obs, project

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.engine.evaluate import Evaluator
from kpiboard.enginedata import EngineRequest
from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.periods import parse_month, window_ending
from kpiboard.vocabulary import WindowKind
from kpiboard.warehouse import Observations, Warehouse, ingest_project
from kpiboard.warehouse.derived import with_records


def evaluator(tmp_path: Path, measures: list[dict[str, Any]], rows: list[dict[str, Any]]):
    cat = project(tmp_path, measures)
    table = with_records(obs(rows), None, cat)
    request = EngineRequest(frozenset(cat.measures), cat.fy_start_month)
    return Evaluator(cat, Observations(table).engine_data(request))


def win(kind: WindowKind, end: str):
    w = window_ending(kind, parse_month(end))
    assert w is not None
    return w


def count(mid: str, **extra: Any) -> dict[str, Any]:
    return {"id": mid, "title": mid.upper(), "kind": "count", **extra}


def derived(mid: str, formula: str, kind: str = "count", **extra: Any) -> dict[str, Any]:
    return {"id": mid, "title": mid.upper(), "kind": kind, "formula": formula, **extra}


A = [10.0, 20.0, 30.0, 40.0]  # Jan-18 .. Apr-18
B = [1.0, 2.0, 3.0, 4.0]


def ab_rows(a: list[float | None] = A, b: list[float | None] = B) -> list[dict[str, Any]]:
    return monthly("A", "a", "2018-01", a) + monthly("A", "b", "2018-01", b)


def value(ev: Evaluator, mid: str, kind: WindowKind, end: str, org: str = "A") -> float | None:
    got = ev.evaluate(mid, org, win(kind, end))
    return None if got is None else got.value


def test_sum_difference_and_constant_times_a_measure(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [
            count("a"),
            count("b"),
            derived("s", "a + b"),
            derived("d", "a - b"),
            derived("k", "2.5 * a - b / 2"),
        ],
        ab_rows(),
    )
    assert value(ev, "s", WindowKind.MONTH, "2018-02") == 22
    assert value(ev, "s", WindowKind.ROLLING_3, "2018-03") == 66
    assert value(ev, "d", WindowKind.ROLLING_3, "2018-04") == 90 - 9
    assert value(ev, "k", WindowKind.MONTH, "2018-04") == 100 - 2
    assert value(ev, "k", WindowKind.ROLLING_3, "2018-03") == 2.5 * 60 - 3


def test_a_ratio_as_a_proportion_and_as_a_mean_is_a_ratio_of_sums(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [
            count("a"),
            count("b"),
            derived("share", "b / a", "proportion", unit="%"),
            derived("per", "a / b", "mean"),
        ],
        ab_rows(b=[1.0, 2.0, 3.0, 36.0]),
    )
    # Feb-Apr: b 2 + 3 + 36 = 41 of a 20 + 30 + 40 = 90, never the mean of monthly shares
    got = ev.evaluate("share", "A", win(WindowKind.ROLLING_3, "2018-04"))
    assert got is not None
    assert got.value == pytest.approx(100 * 41 / 90)
    assert (got.numerator, got.denominator) == (41, 90)
    assert value(ev, "per", WindowKind.ROLLING_3, "2018-04") == pytest.approx(90 / 41)
    assert value(ev, "per", WindowKind.MONTH, "2018-01") == 10


def test_a_pooled_proportion_of_proportions(tmp_path: Path) -> None:
    rows = [
        *monthly("A", "p", "2018-01", [5.0], denominator=10.0),
        # a value and sample size only: 20% of 50 = 10 of 50
        {"org": "A", "measure": "q", "period_end": "2018-01", "value": 20.0, "sample_size": 50.0},
    ]
    ev = evaluator(
        tmp_path,
        [
            {"id": "p", "title": "P", "kind": "proportion"},
            {"id": "q", "title": "Q", "kind": "proportion"},
            derived("pq", "p + q", "proportion"),
        ],
        rows,
    )
    assert value(ev, "pq", WindowKind.MONTH, "2018-01") == pytest.approx(100 * 15 / 60)


def test_a_rate_per_population_of_a_sum(tmp_path: Path) -> None:
    rows = [
        *ab_rows(),
        {"org": "A", "measure": "pop", "period_end": "2017-06", "value": 2000.0},
    ]
    ev = evaluator(
        tmp_path,
        [
            count("a"),
            count("b"),
            {"id": "pop", "title": "Pop", "kind": "snapshot", "hidden": True},
            derived("rate", "a + b", "per_population", per=1000, population="pop"),
        ],
        rows,
    )
    # Feb-Apr: (20 + 30 + 40) + (2 + 3 + 4) = 99 per 2,000 residents = 49.5 per 1,000
    assert value(ev, "rate", WindowKind.QUARTER, "2018-03") == pytest.approx(66 / 2)
    assert value(ev, "rate", WindowKind.ROLLING_3, "2018-04") == pytest.approx(99 / 2)


def test_one_measure_in_another_window_reads_the_same_data(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [count("a"), derived("a_fytd", "a", window="fytd")],
        monthly("A", "a", "2018-04", [1.0, 2.0, 3.0]),
    )
    got = ev.latest("a_fytd", "A", parse_month("2018-06"))
    assert got is not None and got.value == 6
    assert got.window.kind is WindowKind.FYTD


def test_a_derived_measure_of_a_derived_measure(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        # declared before what it reads: the warehouse orders them
        [derived("dd", "s - 3 * b"), count("a"), count("b"), derived("s", "a + b")],
        ab_rows(),
    )
    assert value(ev, "dd", WindowKind.MONTH, "2018-03") == 33 - 9
    assert value(ev, "dd", WindowKind.ROLLING_3, "2018-04") == (90 + 9) - 27


def test_a_composite_part_reads_as_the_sum_of_its_children(tmp_path: Path) -> None:
    rows = ab_rows() + monthly("A", "c", "2018-01", [100.0, 100.0, None, 100.0])
    ev = evaluator(
        tmp_path,
        [
            count("a", parent="comp"),
            count("b", parent="comp"),
            {"id": "comp", "title": "Comp", "kind": "composite"},
            count("c"),
            derived("share", "comp / c", "proportion"),
        ],
        rows,
    )
    assert value(ev, "share", WindowKind.MONTH, "2018-02") == pytest.approx(22.0)
    # Mar-18 has no c: the month is absent, and so is any window holding it
    assert value(ev, "share", WindowKind.MONTH, "2018-03") is None
    assert value(ev, "share", WindowKind.ROLLING_3, "2018-04") is None
    assert ev.coverage_gap("share", "A", win(WindowKind.ROLLING_3, "2018-04")) == (
        "no data for Mar-18"
    )


def test_a_missing_month_of_one_part_is_a_missing_month_of_the_derived(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [count("a"), count("b"), derived("s", "a + b")],
        ab_rows(b=[1.0, None, 3.0, 4.0]),
    )
    assert value(ev, "s", WindowKind.MONTH, "2018-01") == 11
    assert value(ev, "s", WindowKind.MONTH, "2018-02") is None
    assert value(ev, "s", WindowKind.ROLLING_3, "2018-03") is None
    assert value(ev, "s", WindowKind.ROLLING_3, "2018-03") is None
    assert ev.coverage_gap("s", "A", win(WindowKind.ROLLING_3, "2018-03")) == ("no data for Feb-18")


def quarters(org: str, mid: str, values: list[float]) -> list[dict[str, Any]]:
    ends = ("2017-06", "2017-09", "2017-12", "2018-03")
    return [
        {"org": org, "measure": mid, "period_end": e, "months": 3, "numerator": v}
        for e, v in zip(ends, values, strict=True)
    ]


def test_quarterly_parts_tile_a_financial_year(tmp_path: Path) -> None:
    rows = quarters("A", "a", [100.0, 110.0, 120.0, 130.0])
    rows += quarters("A", "b", [10.0, 11.0, 12.0, 13.0])
    ev = evaluator(
        tmp_path,
        [
            count("a"),
            count("b"),
            derived("s", "a + b", window="financial_year"),
            derived("share", "b / a", "proportion"),
        ],
        rows,
    )
    assert value(ev, "s", WindowKind.FINANCIAL_YEAR, "2018-03") == 460 + 46
    assert value(ev, "s", WindowKind.QUARTER, "2017-09") == 121
    assert value(ev, "share", WindowKind.FINANCIAL_YEAR, "2018-03") == pytest.approx(10.0)


def test_a_cycle_is_an_error_naming_it_not_a_hang(tmp_path: Path) -> None:
    """The catalogue refuses the loop; a warehouse given one anyway names it, never hangs."""
    measures = [count("a"), derived("x", "a + y"), derived("y", "x - a")]
    with pytest.raises(ValidationFailed) as refused:
        project(tmp_path, measures)
    assert any("x -> y -> x" in f.message for f in refused.value.findings)
    cat = load_catalogue(tmp_path, raise_on_error=False)
    with pytest.raises(KpiboardError, match=r"x -> y -> x"):
        with_records(obs(ab_rows()), None, cat)


def test_provisional_if_any_part_is_and_the_source_is_the_formula(tmp_path: Path) -> None:
    rows = monthly("A", "a", "2018-01", [1.0]) + monthly("A", "b", "2018-01", [2.0])
    rows[1]["provisional"] = True
    cat = project(tmp_path, [count("a"), count("b"), derived("s", "a + b")])
    got = with_records(obs(rows), None, cat).to_pyarrow().to_pylist()
    (s,) = [r for r in got if r["measure"] == "s"]
    assert (s["numerator"], s["provisional"], s["source"], s["note"]) == (3, True, "formula", None)


def test_a_window_whose_denominator_sums_to_zero_has_no_figure_and_says_why(
    tmp_path: Path,
) -> None:
    measures = [
        count("solved"),
        count("crimes"),
        derived("rate", "solved / crimes", "proportion", window="quarter", unit="%"),
        derived("per", "solved / crimes", "mean", window="quarter"),
    ]
    rows = monthly("A", "solved", "2017-04", [0.0, 0.0, 0.0]) + monthly(
        "A", "crimes", "2017-04", [0.0, 0.0, 0.0]
    )
    ev = evaluator(tmp_path, measures, rows)
    quarter = win(WindowKind.QUARTER, "2017-06")
    assert ev.evaluate("rate", "A", quarter) is None  # never a ZeroDivisionError
    assert ev.evaluate("per", "A", quarter) is None
    assert ev.zero_denominator("rate", "A", quarter) == (
        "the denominator (crimes) is 0 over Apr - Jun 2017"
    )
    cat = project(tmp_path / "card", measures)
    card = assemble_scorecard(cat, with_records(obs(rows), None, cat), parse_month("2017-06"))
    rows_by_id = {r.measure: r for r in card.all_rows()}
    for mid in ("rate", "per"):
        assert rows_by_id[mid].status_reason == (
            "No figure for Q1 2017/18: the denominator (crimes) is 0 over Apr - Jun 2017: no status"
        )


def test_a_zero_month_inside_a_window_with_a_denominator_is_no_obstacle(tmp_path: Path) -> None:
    ev = evaluator(
        tmp_path,
        [count("a"), count("b"), derived("share", "b / a", "proportion")],
        ab_rows(a=[0.0, 20.0, 30.0, 40.0], b=[0.0, 2.0, 3.0, 4.0]),
    )
    assert value(ev, "share", WindowKind.MONTH, "2018-01") is None
    assert value(ev, "share", WindowKind.ROLLING_3, "2018-03") == pytest.approx(10.0)
    assert ev.zero_denominator("share", "A", win(WindowKind.ROLLING_3, "2018-03")) is None


def data_project(root: Path, csv: str, measures: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True)
    (root / "measures").mkdir()
    (root / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "t",
                "organisation": "A",
                "organisations": [{"id": "A", "name": "Force A"}],
                "data": ["data.csv"],
            }
        )
    )
    (root / "measures" / "m.yaml").write_text(yaml.safe_dump({"measures": measures}))
    (root / "data.csv").write_text(
        "org,measure,period_end,months,numerator,denominator,value,sample_size,provisional,note\n"
        + csv
    )
    return root


def test_data_rows_for_a_derived_measure_are_an_error_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    root = data_project(
        tmp_path / "p",
        "A,a,2018-01,1,5,,,,,\nA,s,2018-01,1,7,,,,,\n",
        [count("a"), derived("s", "a + a")],
    )
    cat = load_catalogue(root)
    with pytest.raises(ValidationFailed) as info:
        ingest_project(cat)
    (error,) = [f for f in info.value.findings if f.level == "error"]
    assert (error.file, error.line, error.subject) == ("data.csv", 3, "s")
    assert "measure 's' is derived from its formula (a + a)" in error.message
    assert "remove its rows, or its formula" in (error.hint or "")
    with Warehouse.open(cat) as wh:
        assert wh.observations().count().to_pyarrow().as_py() == 0
        assert wh.latest_vintage() is None


def test_parts_of_different_frequencies_are_named_after_the_load(tmp_path: Path) -> None:
    root = data_project(
        tmp_path / "p",
        "A,a,2018-01,1,5,,,,,\nA,a,2018-02,1,5,,,,,\nA,a,2018-03,1,5,,,,,\nA,b,2018-03,3,9,,,,,\n",
        [count("a"), count("b"), derived("s", "a + b")],
    )
    cat = load_catalogue(root)
    summary = ingest_project(cat)
    (warning,) = [w for w in summary.warnings if w.subject == "s"]
    assert warning.file == "measures/m.yaml" and warning.line is not None
    assert "a (monthly), b (quarterly)" in warning.message
    assert "s will have no data" in warning.message
    # parts of one frequency: no warning
    (root / "data.csv").write_text(
        (root / "data.csv").read_text().replace("A,b,2018-03,3,9", "A,b,2018-03,1,9")
    )
    assert not [w for w in ingest_project(load_catalogue(root)).warnings if w.subject == "s"]
