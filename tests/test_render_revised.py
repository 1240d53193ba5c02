"""The "revised since published / first reported" mark in every format, on the fixture's
2a (published at 77.1%, 77.3% since vintage 3) and an unrevised row."""

from __future__ import annotations

import csv
import io
import json

from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render import render

MARK = "revised since published: 77.1% → 77.3% (vintage 3)"


def test_json_carries_the_revision_or_null() -> None:
    rows = {r["id"]: r for r in json.loads(render(sample_scorecard(), "json"))["rows"]}
    assert rows["2a"]["revised"] == {
        "since": "published",
        "since_vintage": 1,
        "before": {
            "text": "77.1%",
            "value": 77.1,
            "period": "12 months to Jun-09",
            "period_end": "2009-06",
            "unit": None,  # the fixture's figures say no unit; the engine's do
            "decimals": None,
        },
        "after": {
            "text": "77.3%",
            "value": 77.3,
            "period": "12 months to Jun-09",
            "period_end": "2009-06",
            "unit": None,  # the fixture's figures say no unit; the engine's do
            "decimals": None,
        },
        "vintage": 3,
        "text": MARK,
    }
    assert rows["2b"]["revised"] is None
    assert all(c["revised"] is None for c in rows["4a"]["children"])


def test_csv_has_a_revised_column() -> None:
    text = render(sample_scorecard(), "csv").decode()
    by_id = {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert by_id["2a"]["revised"] == MARK
    assert by_id["2b"]["revised"] == ""


def test_markdown_and_table_say_it_beside_the_figure() -> None:
    md = render(sample_scorecard(), "md").decode()
    [line] = [x for x in md.splitlines() if x.startswith("| **2a**")]
    assert f"12 months to Jun-09<br>**({MARK})**" in line
    table = render(sample_scorecard(), "table", width=80).decode()
    assert f"({MARK})" in table
    assert table.count("revised since") == 1
