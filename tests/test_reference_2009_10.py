"""The reference document reproduced: `kpiboard report examples/met-cpa-2009-10 --as-of 2009-08
--format json` gives every row's published status and figures (issue table, DESIGN.md).

Runs the real CLI against a copy of the example with its own DuckDB warehouse file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kpiboard.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("met") / "met-cpa-2009-10"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    result = CliRunner().invoke(
        app, ["report", str(root), "--as-of", "2009-08", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert (root / ".kpiboard" / "warehouse.duckdb").is_file()  # a real DuckDB file was used
    return json.loads(result.stdout)


def rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def visit(r: dict[str, Any]) -> None:
        out[r["id"]] = r
        for c in r["children"]:
            visit(c)

    for r in report["rows"]:
        visit(r)
    return out


def r1(x: float | None) -> float | None:
    return None if x is None else round(x + 1e-9, 1)


def ranks(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {k["group"]: (k["rank"], k["of"]) for k in row["ranks"]}


EW, MSF = "England & Wales", "MSF group"


def test_header(report: dict[str, Any]) -> None:
    assert report["title"] == "2009/10 Critical Performance Areas"
    assert report["organisation"] == {"id": "metropolitan", "name": "Metropolitan Police Service"}
    assert report["as_of"] == "2009-08" and report["financial_year"] == "2009/10"
    assert [r["section"] for r in report["rows"]][:1] == ["Confidence"]
    ids = [r["id"] for r in report["rows"]]
    assert ids == [
        "1a",
        "1b",
        "2a",
        "2b",
        "2c",
        "3a",
        "3b",
        "3c",
        "3d",
        "4a",
        "4b",
        "4c",
        "4d",
        "4e",
        "5a",
        "5b",
        "6a",
        "6b",
        "6c",
    ]


def test_1a_confidence_predates_the_target_year(report: dict[str, Any]) -> None:
    r = rows(report)["1a"]
    assert r["status"] is None and "predate the 2009/10 target" in r["status_reason"]
    assert (
        r["latest"]["value"] == pytest.approx(49.3)
        and r["latest"]["period"] == "12 months to Mar-09"
    )
    assert r["target"]["value"] == 51.4
    assert [(m["value"], m["by_text"]) for m in r["milestones"]] == [
        (55.4, "Mar 2011"),
        (59.4, "Mar 2012"),
    ]
    assert ranks(r) == {EW: (14, 42), MSF: (2, 4)}


def test_1b_tracking(report: dict[str, Any]) -> None:
    r = rows(report)["1b"]
    assert r["status"] is None and r["tracking"] and r["target"]["text"] == "Tracking measure"
    assert r["latest"]["text"] == "55.1%"
    assert ranks(r) == {EW: (14, 42), MSF: (1, 4)}


def test_2a_user_satisfaction(report: dict[str, Any]) -> None:
    r = rows(report)["2a"]
    assert r["status"] == "amber"
    assert r1(r["latest"]["value"]) == 77.3 and r["latest"]["period"] == "12 months to Jun-09"
    assert r1(r["comparator"]["value"]) == 77.7 and r["comparator"]["period"] == "2008/09"
    assert r["facts"][0].startswith("Down marginally from 77.7% for 2008/09")
    assert ranks(r) == {EW: (42, 42), MSF: (4, 4)}


def test_2b_gap_beyond_its_margin_of_error(report: dict[str, Any]) -> None:
    r = rows(report)["2b"]
    assert r["status"] == "red"
    assert r1(r["latest"]["value"]) == 5.5 and r["target"]["value"] == 3.8
    moe = r["margin_of_error"]
    assert (
        r1(moe["shortfall"]) == 1.7 and r1(moe["value"]) == 1.6 and moe["shortfall"] > moe["value"]
    )
    ew = next(k for k in r["ranks"] if k["group"] == EW)
    assert r1(ew["group_value"]) == 5.7  # pooled England & Wales gap


def test_2c_respect(report: dict[str, Any]) -> None:
    r = rows(report)["2c"]
    assert r["status"] == "amber"
    assert r["latest"]["text"] == "77%" and r["target"]["text"] == "79%"
    assert ranks(r) == {EW: (41, 42), MSF: (4, 4)}


def test_3a_most_serious_violence_and_its_child(report: dict[str, Any]) -> None:
    r = rows(report)["3a"]
    assert r["status"] == "amber"
    assert r["latest"]["text"] == "+0.5%" and r["latest"]["period"] == "Apr - Aug 2009"
    assert r["target"]["value"] == -4.3
    assert ranks(r) == {MSF: (4, 4)} and r["ranks"][0]["period"] == "3 months to Jul-09"
    (child,) = r["children"]
    assert child["title"].startswith("Most serious violence (MSV) and assault with injury")
    assert (
        child["latest"]["text"] == "+1.7%" and child["status"] is None and child["target"] is None
    )
    assert ranks(child) == {MSF: (3, 4)}


def test_3b_knife_crime_rate(report: dict[str, Any]) -> None:
    r = rows(report)["3b"]
    assert (
        r["status"] == "green"
        and r1(r["latest"]["value"]) == -11.9
        and r["target"]["value"] == -5.6
    )
    assert ranks(r) == {MSF: (4, 4)} and r["ranks"][0]["period"] == "12 months to Mar-09"


def test_3c_and_3d_sanction_detection_rates(report: dict[str, Any]) -> None:
    c = rows(report)["3c"]
    assert c["status"] == "green" and c["latest"]["text"] == "32%" and c["target"]["text"] == "32%"
    assert c["latest"]["period"] == "Apr - Aug 2009"
    assert ranks(c) == {MSF: (4, 4)} and c["ranks"][0]["period"] == "12 months to Jul-09"
    d = rows(report)["3d"]
    assert (
        d["status"] == "amber" and r1(d["latest"]["value"]) == 28.1 and d["target"]["value"] == 31
    )
    assert r1(d["fytd"]["value"]) == 23.7 and d["fytd"]["period"] == "Apr - Aug 2009"
    assert ranks(d) == {MSF: (3, 4)}


def test_4a_serious_acquisitive_crime_and_contributions(report: dict[str, Any]) -> None:
    r = rows(report)["4a"]
    assert (
        r["status"] == "green" and r1(r["latest"]["value"]) == -5.1 and r["target"]["value"] == -2
    )
    got = {
        c["measure"]: (r1(c["change"]["percent"]), c["change"]["absolute"]) for c in r["children"]
    }
    assert got == {
        "res_burglary": (2.6, 1573),
        "robbery": (-4.4, -1527),
        "mv_crime": (-9.3, -10748),
    }
    assert ranks(r) == {MSF: (4, 4)}
    assert any("up 2.6% (+1,573)" in f and "down 9.3% (-10,748)" in f for f in r["facts"])


def test_4b_networks_disrupted(report: dict[str, Any]) -> None:
    r = rows(report)["4b"]
    assert r["status"] == "amber" and r["latest"]["value"] == 386 and r["target"]["value"] == 425
    avg = r["monthly_average"]
    assert (
        r1(avg["value"]) == 31.8 and r1(avg["target"]) == 35.4 and avg["period"] == "Apr - Aug 2009"
    )


def test_4c_assets_recovered(report: dict[str, Any]) -> None:
    r = rows(report)["4c"]
    assert (
        r["status"] == "amber" and r1(r["latest"]["value"]) == 43.8 and r["target"]["value"] == 45
    )
    drop = r["drop_off"]
    assert drop["dropped_period"] == "Aug-08" and drop["dropped_value"] == pytest.approx(12.0)
    avg = r["monthly_average"]
    assert r1(avg["value"]) == 2.6 and avg["target"] == pytest.approx(3.75)
    rng = r["range_12"]
    assert (rng["low"], rng["high"]) == (pytest.approx(1.3), pytest.approx(9.6))
    fc = r["forecast"]
    assert fc["financial_year"] == "2009/10" and fc["value"] == pytest.approx(13.0 / 5 * 12)
    assert any("Aug-08 (£12.0m) dropped out of the rolling 12-month total" in f for f in r["facts"])


def test_4d_class_a_drugs_and_its_breakdown(report: dict[str, Any]) -> None:
    r = rows(report)["4d"]
    children = {c["measure"]: c for c in r["children"]}
    expected = {  # figure, threshold, monthly average, target monthly average, status
        None: (2500, 2516, 216, 210, "amber"),
        "classa_cocaine": (1595, 1636, 141, 136, "amber"),
        "classa_heroin": (755, 697, 66, 58, "green"),
    }
    for key, (figure, threshold, avg, target_avg, status) in expected.items():
        row = r if key is None else children[key]
        assert row["status"] == status, key
        assert row["latest"]["value"] == figure and row["target"]["value"] == threshold
        assert row["target"]["text"].startswith("> ")
        assert round(row["monthly_average"]["value"]) == avg
        assert round(row["monthly_average"]["target"]) == target_avg


def test_4e_road_casualties_against_a_baseline(report: dict[str, Any]) -> None:
    r = rows(report)["4e"]
    assert r["status"] == "green"
    assert r["latest"]["value"] == 3294 and r["latest"]["period"] == "12 months to Mar-09"
    assert r["target"]["value"] == pytest.approx(3320) and r["target"]["text"].startswith("< 3,320")
    assert r["provisional"] and any("provisional" in f for f in r["facts"])


def test_5a_5b_in_development(report: dict[str, Any]) -> None:
    for rid in ("5a", "5b"):
        r = rows(report)[rid]
        assert r["status"] is None and r["in_development"] and r["latest"] is None


def test_6a_efficiency_forecast(report: dict[str, Any]) -> None:
    r = rows(report)["6a"]
    assert r["status"] == "green" and r["latest"]["value"] == pytest.approx(113.9)
    assert r["target"]["value"] == pytest.approx(113.3) and r["target"]["text"] == "£113.3m"
    assert "forecast" in r["latest"]["period"]


def test_6b_recruits_ratio(report: dict[str, Any]) -> None:
    r = rows(report)["6b"]
    assert r["status"] == "red" and r1(r["latest"]["value"]) == 14.9 and r["target"]["value"] == 20
    assert r["ratio"]["text"] == "0.6 : 1" and r["ratio"]["target_text"] == "0.8 : 1"
    assert r["ratio"]["target"] == pytest.approx(20 / r["ratio"]["reference"])
    assert r1(r["comparator"]["value"]) == 16.2 and r["comparator"]["period"] == "2008/09"
    assert ranks(r) == {EW: (40, 43)}


def test_6c_ict_systems(report: dict[str, Any]) -> None:
    r = rows(report)["6c"]
    assert (
        r["status"] == "green"
        and r["latest"]["text"] == "8/8"
        and r["latest"]["period"] == "Q1 2009/10"
    )
    assert r["target"]["value"] == 8


def test_every_status_has_a_reason(report: dict[str, Any]) -> None:
    for rid, r in rows(report).items():
        assert r["status_reason"], rid


MONTHLY = {"2a", "2b", "2c", "3a", "3b", "3c", "3d", "4a", "4b", "4c", "4d", "4e", "6b"}


def test_spc_for_every_row_with_a_monthly_series(report: dict[str, Any]) -> None:
    for rid, r in rows(report).items():
        if rid in MONTHLY:
            spc = r["spc"]
            assert spc is not None, rid
            assert {"variation", "assurance", "rule", "mean", "lpl", "upl"} <= spc.keys()
            assert spc["points"][-1]["period"] == r["latest"]["period_end"], rid
        elif rid in {"1a", "1b", "5a", "5b", "6c"}:  # rolling-year surveys, no data, quarterly
            assert r["spc"] is None, rid
    # 2a's 80% target sits above what the monthly survey results ever reach
    assert rows(report)["2a"]["spc"]["assurance"] == "consistent_fail"


def test_changes_carry_their_significance(report: dict[str, Any]) -> None:
    r = rows(report)
    assert r["2a"]["significance"]["verdict"] == "within normal variation"
    assert "two-sample z-test" in r["2a"]["significance"]["method"]
    assert r["2b"]["significance"]["tested"] == "gap between the two groups"
    assert r["4c"]["significance"] is None  # money is not a count of events
    assert "exact Poisson" in r["3a"]["significance"]["method"]
    lo, hi = r["1a"]["interval"]["low"], r["1a"]["interval"]["high"]
    assert lo < 49.3 < hi
