"""Headings built from the data (issue 15 item 6): the title's and subtitle's placeholders are
filled from the report month, the same in every output, never fixed text right for one month."""

from __future__ import annotations

import json
from pathlib import Path

from obs import monthly, obs, project

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue.placeholders import timeless
from kpiboard.periods import parse_month
from kpiboard.render import render

M = {"id": "c", "title": "Crimes", "kind": "count", "window": "rolling_12", "tracking": True}


def test_the_headings_state_the_report_months_period_in_every_output(tmp_path: Path) -> None:
    cat = project(
        tmp_path,
        [M],
        title="{financial_year} Critical Performance Areas",
        subtitle="Performance for rolling year to {month} ({rolling_year}), {{as published}}",
    )
    data = obs(monthly("A", "c", "2008-04", [10] * 24))
    for month, title, subtitle in (
        (
            "2009-08",
            "2009/10 Critical Performance Areas",
            "Performance for rolling year to Aug-09 (Sep-08 to Aug-09), {as published}",
        ),
        (
            "2010-03",
            "2009/10 Critical Performance Areas",
            "Performance for rolling year to Mar-10 (Apr-09 to Mar-10), {as published}",
        ),
    ):
        card = assemble_scorecard(cat, data, parse_month(month))
        assert (card.title, card.subtitle) == (title, subtitle)
        got = json.loads(render(card, "json"))
        assert (got["title"], got["subtitle"]) == (title, subtitle)
        for fmt in ("table", "md", "html"):
            text = render(card, fmt, width=200).decode()
            assert title in text and subtitle in text and "{month}" not in text, fmt
    april = assemble_scorecard(cat, data, parse_month("2010-04"))
    assert april.title == "2010/11 Critical Performance Areas"
    assert timeless(cat.project.title) == "Critical Performance Areas"  # the dashboard's name


def test_a_part_is_said_to_be_part_of_its_parents_title_not_its_id(tmp_path: Path) -> None:
    """Screen readers hear "Part of Serious crime", never the parent's measure id."""
    parent = {"id": "serious_crime", "title": "Serious crime", "kind": "composite"}
    parts = [
        {"id": f"p{i}", "title": f"Part {i}", "kind": "count", "parent": "serious_crime"}
        for i in (1, 2)
    ]
    for m in (parent, *parts):
        m.update(window="month", tracking=True)
    cat = project(tmp_path, [parent, *parts])
    rows = monthly("A", "p1", "2009-08", [5]) + monthly("A", "p2", "2009-08", [7])
    card = assemble_scorecard(cat, obs(rows), parse_month("2009-08"))
    html = render(card, "html").decode()
    assert "Part of Serious crime" in html and "Part of serious_crime" not in html
