"""``--format json``: the contract in docs/DESIGN.md, byte for byte a dump of to_dict()."""

from __future__ import annotations

import json
from typing import Any

from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render

TOP_LEVEL = {"title", "organisation", "as_of", "financial_year", "rows"}
ROW = {
    "id", "section", "title", "reference", "status", "status_reason", "target", "latest",
    "comparator", "ranks", "facts", "children",
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
    assert TOP_LEVEL <= set(data)
    assert set(data["organisation"]) >= {"id", "name"}
    assert data["as_of"] == "2009-08"
    assert data["financial_year"] == "2009/10"
    rows = _rows(data["rows"])
    assert len(rows) == len(sample_scorecard().all_rows())
    for row in rows:
        assert ROW <= set(row), row["id"]
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
    assert by_id["4a"]["status"] == "green"
    assert by_id["1a"]["status"] is None
    assert by_id["5a"]["latest"] is None and by_id["5a"]["target"] is None
    assert (by_id["1a"]["ranks"][0]["rank"], by_id["1a"]["ranks"][0]["of"]) == (14, 42)
    assert [c["id"] for c in by_id["4a"]["children"]] == [
        "residential_burglary", "robbery", "vehicle_crime",
    ]
