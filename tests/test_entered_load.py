"""Approved entered figures in the warehouse: their own source (the pseudo-file
``dashboard:entered``) loaded as a new vintage that leaves the data files' rows alone, and a
file ingest that leaves them alone in turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_CSV, ProjectFactory

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import ValidationFailed
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse
from kpiboard.warehouse.entered import ENTERED, EnteredFigure, entered_table, load_entered
from kpiboard.warehouse.ingest_run import ingest_project, needs_ingest

# the data file has a budget figure for MPS in Aug-09: the entered ones are other months
JUL, SEP = parse_month("2009-07"), parse_month("2009-09")


def _current(wh: Warehouse) -> dict[tuple[str, str, str], tuple[float | None, str]]:
    got = wh.observations().to_pyarrow().to_pylist()
    return {
        (r["org"], r["measure"], r["period_end"].isoformat()[:7]): (r["value"], r["source"])
        for r in got
    }


def test_entered_figures_make_a_vintage_of_their_own_and_survive_file_ingests(
    make_project: ProjectFactory,
) -> None:
    root = make_project()
    cat = load_catalogue(root)
    ingest_project(cat)
    figures = [
        EnteredFigure("MPS", "budget", JUL, step=7, value=-1.5, note="overspend"),
        EnteredFigure("GMP", "budget", JUL, step=9, value=0.25, provisional=True),
    ]
    with Warehouse.open(cat) as wh:
        files_before = dict(wh.recorded_files())
        data_rows = _current(wh)
        done = load_entered(wh, figures, who="approver")
        assert (done.vintage, done.new_keys, done.removed_rows) == (2, 2, 0)
        now = _current(wh)
        assert now[("MPS", "budget", "2009-07")] == (-1.5, f"{ENTERED}:7")
        assert now[("GMP", "budget", "2009-07")] == (0.25, f"{ENTERED}:9")
        assert {k: v for k, v in now.items() if not v[1].startswith(ENTERED)} == data_rows
        assert wh.recorded_files() == {**files_before, ENTERED: entered_table(figures)[1].sha256}
        assert [v.who for v in wh.vintages()][-1] == "approver"
        # the same figures again: nothing changed, no vintage
        assert load_entered(wh, figures).vintage is None
        # an entered source is no data file: the project is not stale because of it
        assert not needs_ingest(cat, wh)
    # a file ingest (the data changed) closes none of the entered rows and keeps their stamp
    (root / "data" / "crime.csv").write_text(GOOD_CSV + "MPS,burglary,2009-09,,5,,,,,\n")
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert wh.latest_vintage() == 3
        now = _current(wh)
        assert now[("MPS", "budget", "2009-07")] == (-1.5, f"{ENTERED}:7")
        assert ENTERED in wh.recorded_files()
        # a revision and a withdrawal: one figure changed, one no longer approved
        revised = [EnteredFigure("MPS", "budget", JUL, step=12, value=-1.25)]
        done = load_entered(wh, revised)
        assert (done.vintage, done.replaced_keys, done.removed_rows) == (4, 1, 1)
        now = _current(wh)
        assert now[("MPS", "budget", "2009-07")] == (-1.25, f"{ENTERED}:12")
        assert ("GMP", "budget", "2009-07") not in now
        assert ("MPS", "burglary", "2009-09") in now  # the file's new row is untouched
        # what vintage 2 held is still there to read
        with wh.at(2) as then:
            assert _current(then)[("GMP", "budget", "2009-07")][0] == 0.25


def test_the_stamp_is_the_hash_of_the_figures_whatever_their_order() -> None:
    a = EnteredFigure("MPS", "budget", JUL, step=1, value=1.0)
    b = EnteredFigure("MPS", "budget", SEP, step=2, value=2.0)
    (t1, s1), (t2, s2) = entered_table([a, b]), entered_table([b, a])
    assert s1 == s2 and t1.equals(t2)
    assert (s1.path, s1.rows) == (ENTERED, 2)
    assert entered_table([a, b.__class__(**{**b.__dict__, "value": 2.5})])[1].sha256 != s1.sha256


def test_no_entered_figures_is_an_empty_load(tmp_path: Path, make_project: ProjectFactory) -> None:
    cat = load_catalogue(make_project())
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        done = load_entered(wh, [])
        assert done.vintage == 2  # the pseudo-file is logged, empty
        assert wh.recorded_files()[ENTERED] == entered_table([])[1].sha256


def test_a_data_row_for_an_entered_month_is_an_ingest_error(make_project: ProjectFactory) -> None:
    """From entry: since on, a measure's figures come from the dashboard only; a data file's
    row for such a month is refused with its file and line, and nothing is loaded."""
    root = make_project()
    measures = (root / "measures" / "crime.yaml").read_text()
    entered = measures.replace(
        '    kind: snapshot\n    unit: "£m"\n',
        '    kind: snapshot\n    unit: "£m"\n    entry: {enter: ["role:editor"], since: 2009-08}\n',
    )
    assert entered != measures
    (root / "measures" / "crime.yaml").write_text(entered)
    cat = load_catalogue(root)
    with pytest.raises(ValidationFailed) as refused:
        ingest_project(cat)
    lines = GOOD_CSV.splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if ",budget,2009-08," in text)
    [found] = [f for f in refused.value.findings if f.subject == "budget"]
    assert (found.file, found.line) == ("data/crime.csv", line)
    assert "'budget' is entered on the dashboard from 2009-08" in found.message
    assert "since: later" in (found.hint or "")
    # a month before since is still read from the file
    (root / "measures" / "crime.yaml").write_text(
        entered.replace("since: 2009-08", "since: 2009-09")
    )
    assert ingest_project(load_catalogue(root)).vintage == 1
