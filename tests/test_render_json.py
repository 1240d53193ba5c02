"""``--format json``: the contract in docs/DESIGN.md, byte for byte a dump of to_dict()."""

from __future__ import annotations

import json
from typing import Any

from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render

TOP_LEVEL = {"title", "organisation", "as_of", "financial_year", "rows"}
ROW = {
    "id",
    "section",
    "title",
    "reference",
    "status",
    "status_reason",
    "target",
    "latest",
    "comparator",
    "ranks",
    "facts",
    "children",
}


def _load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(sample_scorecard(), "json"))
    return data


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        out.append(row)
        out.extend(_rows(row["children"]))
    return out


def test_round_trips_to_the_scorecard_dict() -> None:
    assert _load() == sample_scorecard().to_dict()


def test_is_indented_utf8_with_a_trailing_newline() -> None:
    out = render(sample_scorecard(), "json")
    assert out.endswith(b"}\n")
    assert b'\n  "title": ' in out
    assert "£45m total".encode() in out  # not "\u00a345m"
    assert b"\\u00a3" not in out


def test_keeps_the_contract_field_names() -> None:
    data = _load()
    assert set(data) >= TOP_LEVEL
    assert set(data["organisation"]) >= {"id", "name"}
    assert data["as_of"] == "2009-08"
    assert data["financial_year"] == "2009/10"
    rows = _rows(data["rows"])
    assert len(rows) == len(sample_scorecard().all_rows())
    for row in rows:
        assert set(row) >= ROW, row["id"]
        if row["target"] is not None:
            assert {"text", "value"} <= set(row["target"])
        if row["latest"] is not None:
            assert {"text", "value", "period", "period_end"} <= set(row["latest"])
        if row["comparator"] is not None:
            assert {"text", "value", "period"} <= set(row["comparator"])
        for rank in row["ranks"]:
            assert {"group", "rank", "of"} <= set(rank)


def test_statuses_are_strings_or_null() -> None:
    by_id = {row["id"]: row for row in _rows(_load()["rows"])}
    assert by_id["2a"]["status"] == "amber"
    assert by_id["2b"]["status"] == "red"
    assert by_id["6c"]["status"] == "green"
    # 4a's headline status is SPC's (hit and miss: amber); the target alone says green
    assert (by_id["4a"]["status"], by_id["4a"]["rag_status"]) == ("amber", "green")
    assert by_id["4a"]["status_from"] == "spc"
    assert by_id["1a"]["status"] is None
    assert by_id["5a"]["latest"] is None and by_id["5a"]["target"] is None
    assert (by_id["1a"]["ranks"][0]["rank"], by_id["1a"]["ranks"][0]["of"]) == (14, 42)
    assert [c["id"] for c in by_id["4a"]["children"]] == [
        "residential_burglary",
        "robbery",
        "vehicle_crime",
    ]


def test_spc_block_is_carried_with_its_points() -> None:
    by_id = {row["id"]: row for row in _rows(_load()["rows"])}
    spc = by_id["residential_burglary"]["spc"]
    assert {"variation", "assurance", "rule", "mean", "lpl", "upl", "points"} <= set(spc)
    assert (spc["variation"], spc["assurance"], spc["rule"]) == (
        "concern_high",
        None,
        "outside_limits_above",
    )
    assert len(spc["points"]) == 24
    assert spc["points"][-1] == {
        "period": "2009-08",
        "label": "Aug-09",
        "value": 6000.0,
        "mean": 5107.0,
        "lpl": 4717.1,
        "upl": 5496.8,
        "point_type": "special_cause_concern",
        "rule": "outside_limits_above",
        "rebase_group": 0,
    }
    assert by_id["robbery"]["spc"] is None and by_id["1a"]["spc"] is None
