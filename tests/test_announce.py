"""Announcements (docs/VINTAGES.md): what a vintage brings against the one before, each kind
with a known answer on a small project loaded twice (real DuckDB files), and as `ingest`
lists them (`--check` too, inside the load it rolls back)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from announce_project import (
    SECOND_TEXTS,
    figures,
    first_rows,
    second_rows,
    write_project,
    write_rows,
)
from typer.testing import CliRunner

from kpiboard.announce import Pin, announcements
from kpiboard.announcements import Announcement
from kpiboard.announcements import AnnouncementKind as K
from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.errors import KpiboardError
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project

runner = CliRunner()

SECOND = [
    (K.STATUS_CHANGED, "A", "burglary", "Burglary: now Red (Jul-18)", None, "Red"),
    (K.STATUS_CHANGED, "A", "robbery", "Robbery: Green → Amber (Jul-18)", "Green", "Amber"),
    (
        K.NEW_SIGNAL,
        "A",
        "burglary",
        "Burglary: new special cause concern, above the upper process limit (Jul-18)",
        None,
        "above the upper process limit",
    ),
    (
        K.NEW_SIGNAL,
        "A",
        "robbery",
        "Robbery: new special cause concern, above the upper process limit (Jul-18)",
        None,
        "above the upper process limit",
    ),
    (
        K.ASSURANCE_CHANGED,
        "A",
        "robbery",
        "Robbery: Consistently meets the target → Inconsistently meets the target (hit and "
        "miss) (Jul-18)",
        "Consistently meets the target",
        "Inconsistently meets the target (hit and miss)",
    ),
]
STALE = (
    K.GONE_STALE,
    "A",
    "vehicle",
    "Vehicle crime: stale at Jul-18, last figure Jun-18 (latency 0 months)",
    None,
    "2018-06",
)
TEXTS = [s[3] for s in [*SECOND, STALE]]
assert TEXTS == SECOND_TEXTS


def said(news: Sequence[Announcement]) -> list[tuple[object, ...]]:
    return [(a.kind, a.organisation, a.measure, a.text, a.before, a.after) for a in news]


@pytest.fixture
def loaded_twice(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "p")
    ingest_project(load_catalogue(root))
    write_rows(root, second_rows())
    assert ingest_project(load_catalogue(root)).vintage == 2
    return root


def test_each_kind_has_its_known_answer(loaded_twice: Path) -> None:
    cat = load_catalogue(loaded_twice)
    pins = [Pin("A", "2018-06", 1), Pin("Beta", "2018-06", 1)]
    with Warehouse.open(cat) as wh:
        news = announcements(cat, wh, 2, pins)
        first = announcements(cat, wh, 1, pins)
    revised = [
        (
            K.PUBLISHED_REVISED,
            org,
            measure,
            f"{title} in the published Jun-18 pack: {a} → {b}",
            a,
            b,
        )
        for org, measure, title, a, b in [
            ("A", "robbery", "Robbery", "840", "1,140"),
            ("A", "cases", "Cases", "95", "99"),
            ("B", "cases", "Cases", "95", "99"),
        ]
    ]
    # kind by kind; within one, the home organisation's before the pins', section and row order
    assert said(news) == [*SECOND, *revised, STALE]
    assert {(a.vintage, a.month) for a in news if a.kind != K.PUBLISHED_REVISED} == {(2, "2018-07")}
    assert {a.month for a in news if a.kind == K.PUBLISHED_REVISED} == {"2018-06"}
    assert news[0].organisation_name == "Alpha" and news[0].section == "Crime"
    assert first == []  # vintage 1: nothing before it, and nothing stale in June


def test_without_pins_no_pack_is_revised(loaded_twice: Path) -> None:
    cat = load_catalogue(loaded_twice)
    with Warehouse.open(cat) as wh:
        assert said(announcements(cat, wh, 2)) == [*SECOND, STALE]


def test_the_first_vintage_announces_only_what_is_stale(tmp_path: Path) -> None:
    # vehicle's figures stop at May-18, a month behind the others: stale at once
    rows = [r for r in first_rows() if not r.startswith("A,vehicle,2018-06")]
    root = write_project(tmp_path / "p", rows)
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        news = announcements(cat, wh, 1)
    assert said(news) == [
        (
            K.GONE_STALE,
            "A",
            "vehicle",
            "Vehicle crime: stale at Jun-18, last figure May-18 (latency 0 months)",
            None,
            "2018-05",
        )
    ]  # robbery is Green and its assurance known, but there was nothing before to differ from


def test_a_revised_pack_figure_is_said_from_the_pack_and_not_when_revised_back(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path / "p")
    cat = load_catalogue(root)
    ingest_project(cat)  # 1: cases Jun-18 95, as the pack pinned at 1 shows it
    for june in (99, 101, 95):  # 2, 3, 4
        rows = [r for r in first_rows() if not r.startswith("A,cases,2018-06")]
        write_rows(root, [*rows, *figures("A", "cases", [june], (2018, 6))])
        ingest_project(cat)
    pin = [Pin("A", "2018-06", 1)]
    with Warehouse.open(cat) as wh:
        by_vintage = {v: [a.text for a in announcements(cat, wh, v, pin)] for v in (2, 3, 4)}
    assert by_vintage == {
        2: ["Cases in the published Jun-18 pack: 95 → 99"],
        3: ["Cases in the published Jun-18 pack: 95 → 101"],  # before: as the pack showed it
        4: [],  # back to what the pack showed: no news
    }


def test_an_unknown_vintage_is_an_error_listing_them(loaded_twice: Path) -> None:
    cat = load_catalogue(loaded_twice)
    with Warehouse.open(cat) as wh, pytest.raises(KpiboardError, match=r"vintages: 1, 2"):
        announcements(cat, wh, 3)


def test_ingest_lists_them_after_the_vintage_made(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    first = runner.invoke(app, ["ingest", str(root)])
    assert first.exit_code == 0, first.output
    assert "since the last load" not in first.stdout  # nothing to announce
    write_rows(root, second_rows())
    result = runner.invoke(app, ["ingest", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "vintage 2 made"
    block = lines[lines.index("since the last load:") + 1 :]
    assert block == [f"  {t}" for t in TEXTS]


def test_ingest_check_shows_what_would_be_announced_and_writes_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    assert runner.invoke(app, ["ingest", str(root)]).exit_code == 0
    write_rows(root, second_rows())
    checked = runner.invoke(app, ["ingest", str(root), "--check"])
    assert checked.exit_code == 0, checked.output
    lines = checked.stdout.splitlines()
    assert lines[0] == "check: this would be vintage 2; nothing written"
    assert lines[lines.index("would be announced:") + 1 :] == [f"  {t}" for t in TEXTS]
    as_json = json.loads(
        runner.invoke(app, ["ingest", str(root), "--check", "--format", "json"]).stdout
    )
    assert [a["text"] for a in as_json["announcements"]] == TEXTS
    assert as_json["announcements"][0] == {
        "kind": "status_changed",
        "vintage": 2,
        "organisation": "A",
        "organisation_name": "Alpha",
        "month": "2018-07",
        "measure": "burglary",
        "section": "Crime",
        "title": "Burglary",
        "text": "Burglary: now Red (Jul-18)",
        "before": None,
        "after": "Red",
    }
    cat = load_catalogue(root)
    with Warehouse.open(cat) as wh:
        assert wh.latest_vintage() == 1  # both checks rolled back
    made = json.loads(runner.invoke(app, ["ingest", str(root), "--format", "json"]).stdout)
    assert made["vintage"] == 2 and made["announcements"] == as_json["announcements"]
    again = json.loads(runner.invoke(app, ["ingest", str(root), "--format", "json"]).stdout)
    assert again["vintage"] is None and again["announcements"] == []


def test_check_on_postgresql_reads_inside_the_load_it_rolls_back(
    tmp_path: Path, postgres_url: str
) -> None:
    with Warehouse.from_url(postgres_url) as wh:  # start from empty tables
        wh.backend.raw_sql(
            "DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads, kpiboard_records, "
            "kpiboard_vintages"
        ).close()
    root = write_project(tmp_path / "p")
    with (root / "kpiboard.yaml").open("a") as f:
        f.write(f"warehouse: {postgres_url}\n")
    assert runner.invoke(app, ["ingest", str(root)]).exit_code == 0
    write_rows(root, second_rows())
    checked = runner.invoke(app, ["ingest", str(root), "--check", "--format", "json"])
    assert checked.exit_code == 0, checked.output
    assert [a["text"] for a in json.loads(checked.stdout)["announcements"]] == TEXTS
    made = runner.invoke(app, ["ingest", str(root), "--format", "json"])
    assert [a["text"] for a in json.loads(made.stdout)["announcements"]] == TEXTS


CHILDREN_YAML = """\
measures:
  - id: sac
    title: Serious acquisitive crime
    kind: composite
    polarity: lower_is_better
    tracking: true
    window: month
  - id: rob
    title: Robbery
    kind: count
    parent: sac
    tracking: true
    window: month
  - id: veh
    title: Vehicle crime
    kind: count
    parent: sac
    tracking: true
    window: month
    latency: 0
"""


def test_a_child_row_is_announced_as_its_parents_are(tmp_path: Path) -> None:
    rows = figures("A", "rob", [10.0] * 24) + figures("A", "veh", [10.0] * 23)  # veh to May-18
    root = write_project(tmp_path / "p", rows)
    (root / "measures" / "m.yaml").write_text(CHILDREN_YAML)
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        news = announcements(cat, wh, 1)
        card = assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month("2018-06"))
    assert [c.measure for r in card.rows for c in r.children] == ["rob", "veh"]
    assert [(a.measure, a.text) for a in news] == [
        ("veh", "Vehicle crime: stale at Jun-18, last figure May-18 (latency 0 months)")
    ]
