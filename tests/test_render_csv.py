"""``--format csv``: one line per row (children included), fixed columns, proper quoting."""

from __future__ import annotations

import csv
import dataclasses
import io

from fixtures.scorecard_fixture import BURGLARY_SPC, sample_scorecard

from kpiboard.render import render
from kpiboard.render.csvout import COLUMNS
from kpiboard.scorecard import Scorecard

EXPECTED_COLUMNS = [
    "section",
    "id",
    "parent",
    "measure",
    "title",
    "reference",
    "target",
    "target_value",
    "status",
    "status_reason",
    "latest",
    "latest_value",
    "latest_period",
    "latest_period_end",
    "comparator",
    "comparator_value",
    "comparator_period",
    "change",
    "ranks",
    "facts",
    "spc_variation",
    "spc_assurance",
    "spc_rule",
    "spc_mean",
    "spc_lpl",
    "spc_upl",
    "stale_since",  # added with the stale marks: the month of a stale figure's last period
    "revised",  # added with vintages: "revised since published: X → Y (vintage N)", else empty
]


def _records(scorecard: Scorecard | None = None) -> list[dict[str, str]]:
    text = render(scorecard or sample_scorecard(), "csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _by_id() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in _records()}


def test_header_is_the_contract() -> None:
    first = render(sample_scorecard(), "csv").decode().split("\n", 1)[0]
    assert first.split(",") == EXPECTED_COLUMNS
    assert list(COLUMNS) == EXPECTED_COLUMNS


def test_one_line_per_row_children_included() -> None:
    records = _records()
    assert [r["id"] for r in records] == [r.id for r in sample_scorecard().all_rows()]
    children = [r for r in records if r["parent"]]
    assert {r["parent"] for r in children} == {"4a"}
    assert all(r["section"] == "Safety" for r in children)


def test_line_ends_are_newlines_and_text_is_utf8() -> None:
    out = render(sample_scorecard(), "csv")
    assert b"\r" not in out
    assert out.endswith(b"\n")
    assert "£43.8m".encode() in out


def test_cells() -> None:
    rows = _by_id()
    assert rows["2a"]["status"] == "amber"
    assert rows["2a"]["target"] == "80%"
    assert float(rows["2a"]["target_value"]) == 80.0
    assert rows["2a"]["latest_period"] == "12 months to Jun-09"
    assert rows["2a"]["latest_period_end"] == "2009-06"
    assert rows["2a"]["comparator"] == "77.7%"
    assert rows["2a"]["comparator_period"] == "2008/09"
    assert rows["2a"]["change"] == "-0.4 pts"
    assert rows["residential_burglary"]["change"] == "+1,573 (+2.6%)"
    assert rows["1a"]["ranks"] == "England & Wales 14th/42; MSF 2nd/4"
    assert rows["4a"]["facts"].count(" | ") == 2
    assert rows["4a"]["measure"] == "serious_acquisitive_crime"


def test_none_is_an_empty_cell() -> None:
    row = _by_id()["5a"]
    for column in (
        "status",
        "target",
        "target_value",
        "latest",
        "latest_value",
        "parent",
        "comparator",
        "change",
        "ranks",
        "facts",
        "reference",
        *SPC_COLUMNS,
    ):
        assert row[column] == "", column


SPC_COLUMNS = ("spc_variation", "spc_assurance", "spc_rule", "spc_mean", "spc_lpl", "spc_upl")


def test_spc_columns() -> None:
    rows = _by_id()
    assert [rows["4c"][c] for c in SPC_COLUMNS] == [
        "common_cause",
        "inconsistent",
        "common_cause",
        "3470833.3",
        "-1063833.3",
        "8005500.0",
    ]
    burglary = rows["residential_burglary"]
    assert (burglary["spc_variation"], burglary["spc_assurance"], burglary["spc_rule"]) == (
        "concern_high",
        "",
        "outside_limits_above",
    )
    assert float(burglary["spc_upl"]) == 5496.8
    assert rows["vehicle_crime"]["spc_rule"] == "trend_decreasing"
    for ref in ("1a", "2a", "robbery", "6c"):  # no monthly series: every SPC cell empty
        assert [rows[ref][c] for c in SPC_COLUMNS] == [""] * len(SPC_COLUMNS), ref


def test_undefined_limits_are_empty_cells() -> None:
    base = sample_scorecard()
    row = base.rows[-1]
    spc = dataclasses.replace(BURGLARY_SPC, lpl=None, upl=None)
    scorecard = dataclasses.replace(base, rows=(*base.rows[:-1], dataclasses.replace(row, spc=spc)))
    record = {r["id"]: r for r in _records(scorecard)}["6c"]
    assert (record["spc_mean"], record["spc_lpl"], record["spc_upl"]) == ("5107.0", "", "")


def test_awkward_text_is_quoted_and_survives() -> None:
    awkward = 'Crime, "serious" | acquisitive\nsecond line'
    base = sample_scorecard()
    first = dataclasses.replace(base.rows[0], title=awkward, facts=("a | b", 'say "hi"'))
    scorecard = dataclasses.replace(base, rows=(first, *base.rows[1:]))
    records = _records(scorecard)
    assert records[0]["title"] == awkward
    assert records[0]["facts"] == 'a | b | say "hi"'
    assert len(records) == len(base.all_rows())
