"""Vintages of records (police.uk street files) and on PostgreSQL: a file whose SHA-256 is
unchanged keeps its rows untouched, a changed file's rows are closed and read again, and every
vintage reads back as it was (real DuckDB files, a real PostgreSQL server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_CSV, ProjectFactory
from test_records_warehouse import FIXTURES, make_project

from kpiboard.catalogue import load_catalogue
from kpiboard.vocabulary import ChangeKind
from kpiboard.warehouse import Warehouse, ingest_project

STREET = "data/police-uk"


def stored_records(wh: Warehouse) -> int:
    """Every row of the records table, closed ones included."""
    return int(wh.backend.table("kpiboard_records").count().to_pyarrow().as_py())


def current(wh: Warehouse) -> int:
    return int(wh.records().count().to_pyarrow().as_py())


def add_month(root: Path, month: str) -> int:
    """A copy of the July 2017 file as another month; its rows."""
    text = (FIXTURES / "2017-07-west-yorkshire-street.csv").read_text()
    path = root / STREET / f"{month}-west-yorkshire-street.csv"
    path.write_text(text.replace(",2017-07,", f",{month},"))
    return len(text.splitlines()) - 1


def drop_last_row(root: Path, month: str) -> None:
    path = root / STREET / f"{month}-west-yorkshire-street.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


@pytest.mark.parametrize("hash_here", [False, True])
def test_unchanged_files_keep_their_rows_and_old_vintages_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hash_here: bool
) -> None:
    if hash_here:  # a file's rows past this are decided by hashing it, not by its reader's stamp
        from kpiboard.warehouse import load

        monkeypatch.setattr(load, "RECORD_CHUNK_ROWS", 5)
    root = make_project(tmp_path / "p")
    cat = load_catalogue(root)
    first = ingest_project(cat)
    assert (first.vintage, first.records) == (1, 85)
    assert ingest_project(cat).vintage is None  # the same files: nothing changed
    with Warehouse.open(cat) as wh:
        assert stored_records(wh) == current(wh) == 85

    added = add_month(root, "2017-08")
    second = ingest_project(cat)
    assert second.vintage == 2
    [street] = second.changes
    assert (street.subject, street.of) == ("street", "source")
    assert [(m.month, m.kind) for m in street.months] == [("2017-08", ChangeKind.ADDED)]
    with Warehouse.open(cat) as wh:
        # the two files already loaded were not written again
        assert stored_records(wh) == current(wh) == 85 + added

    drop_last_row(root, "2017-07")
    third = ingest_project(cat)
    assert third.vintage == 3
    [street] = third.changes
    [july] = street.months
    assert (july.month, july.kind, july.largest) == ("2017-07", ChangeKind.REVISED, 1.0)
    with Warehouse.open(cat) as wh:
        july_rows = (
            wh.at(2).records().filter(lambda t: t.file.contains("2017-07")).count().to_pyarrow()
        ).as_py()
        assert current(wh) == 85 + added - 1
        # only the changed file's rows were added again; the old ones are kept for vintage 2
        assert stored_records(wh) == 85 + added + july_rows - 1
        assert current(wh.at(1)) == 85 and current(wh.at(2)) == 85 + added
        assert current(wh.at(3)) == current(wh)
        burglary = [wh.at(v).months_with_data(cat) for v in (1, 2, 3)]
    assert len(burglary[0]) + 1 == len(burglary[1]) == len(burglary[2])

    (root / STREET / "2017-08-west-yorkshire-street.csv").unlink()
    fourth = ingest_project(cat)
    [street] = fourth.changes
    assert [(m.month, m.kind) for m in street.months] == [("2017-08", ChangeKind.REMOVED)]
    with Warehouse.open(cat) as wh:
        assert current(wh) == 85 - 1
        assert [v.id for v in wh.vintages()] == [1, 2, 3, 4]
        assert [len(v.files) for v in wh.vintages()] == [2, 3, 3, 2]


def test_a_view_of_an_old_vintage_cannot_be_loaded_into(make_project: ProjectFactory) -> None:
    from kpiboard.errors import KpiboardError
    from kpiboard.ingest import read_observations

    cat = load_catalogue(make_project())
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        view = wh.at(1)
        with pytest.raises(KpiboardError, match="vintage 1 is read-only"):
            view.load(read_observations(cat).table, [])
        view.close()  # a view leaves the connection to its warehouse
        assert wh.observations().count().to_pyarrow().as_py() == 8


def test_vintages_on_postgresql(make_project: ProjectFactory, postgres_url: str) -> None:
    with Warehouse.from_url(postgres_url) as wh:  # start from empty tables
        wh.backend.raw_sql(
            "DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads, kpiboard_records, "
            "kpiboard_vintages"
        ).close()
    root = make_project(project_extra=f"warehouse: {postgres_url}\n")
    cat = load_catalogue(root)
    assert ingest_project(cat).vintage == 1
    assert ingest_project(cat).vintage is None
    (root / "data" / "crime.csv").write_text(
        GOOD_CSV.replace("MPS,burglary,2009-08,1,6543", "MPS,burglary,2009-08,1,6600")
    )
    checked = ingest_project(cat, check=True)
    assert (checked.checked_only, checked.vintage, checked.changed) == (True, None, True)
    second = ingest_project(cat, who="pg")
    assert second.vintage == 2
    [burglary] = second.changes
    assert burglary.subject == "burglary"
    assert [(m.month, m.kind, m.figures, m.largest) for m in burglary.months] == [
        ("2009-08", ChangeKind.REVISED, 1, 57.0)
    ]
    with Warehouse.open(cat) as wh:

        def mps_august(w: Warehouse) -> float:
            o = w.observations()
            got = o.filter(
                (o.org == "MPS") & (o.measure == "burglary") & (o.period_end.month() == 8)
            )
            return float(got.numerator.max().to_pyarrow().as_py())

        assert mps_august(wh.at(1)) == 6543.0 and mps_august(wh) == 6600.0
        assert [(v.id, v.who) for v in wh.vintages()][1] == (2, "pg")


def test_the_gate_writes_new_and_changed_files_and_waits_for_a_known_files_stamp() -> None:
    """A batch may hold rows of several files: each part goes its own way."""
    import pyarrow as pa

    from kpiboard.ingest import FileStamp
    from kpiboard.warehouse.vintage_write import RecordGate

    stamps: list[FileStamp] = []
    gate = RecordGate({"same.csv": "s1", "changed.csv": "c1"}, stamps, None, 1_000)

    def files(parts: list[pa.Table]) -> list[str]:
        return [f for t in parts for f in t.column("file").to_pylist()]

    batch = pa.table({"file": ["new.csv", "same.csv", "changed.csv", "new.csv"]})
    assert files(list(gate.add(batch))) == ["new.csv", "new.csv"]  # the others wait
    stamps += [FileStamp("same.csv", "s1", 1, 1), FileStamp("changed.csv", "c2", 1, 1)]
    assert files(list(gate.add(pa.table({"file": ["changed.csv"]})))) == [
        "changed.csv",  # the waiting part, once its stamp says it changed
        "changed.csv",
    ]
    assert files(list(gate.finish())) == []
    assert gate.write == {"new.csv": True, "same.csv": False, "changed.csv": True}
