"""Measures counted from record sources: police.uk files through the real warehouse, the
counts equal to a plain count of the CSV rows, and a bad file changing nothing."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import ValidationFailed
from kpiboard.ingest.records import RECORD_COLUMNS
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project

FIXTURES = Path(__file__).resolve().parent / "data" / "police-uk"
TYPES = ["Burglary", "Vehicle crime", "Anti-social behaviour"]


def make_project(root: Path) -> Path:
    (root / "data" / "police-uk").mkdir(parents=True)
    for f in FIXTURES.glob("*.csv"):
        shutil.copy(f, root / "data" / "police-uk" / f.name)
    (root / "measures").mkdir()
    (root / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "West Yorkshire from police.uk",
                "organisation": "West Yorkshire Police",
                "builtin_organisations": "england-wales",
                "data": [],
                "sources": [
                    {
                        "id": "street",
                        "type": "police_uk_street",
                        "files": ["data/police-uk/*.csv"],
                        "set_aside": ["British Transport Police"],
                    }
                ],
            }
        )
    )
    (root / "measures" / "crime.yaml").write_text(
        yaml.safe_dump(
            {
                "measures": [
                    {
                        "id": t.lower().replace(" ", "_").replace("-", "_"),
                        "title": t,
                        "kind": "count",
                        "window": "month",
                        "polarity": "lower_is_better",
                        "records": {"source": "street", "where": {"crime_type": [t]}},
                    }
                    for t in TYPES
                ]
            }
        )
    )
    return root


def plain_counts(month: str) -> Counter[str]:
    path = FIXTURES / f"{month}-west-yorkshire-street.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return Counter(row["Crime type"] for row in csv.DictReader(fh))


def test_counts_from_records_equal_a_plain_count_of_the_rows(tmp_path: Path) -> None:
    cat = load_catalogue(make_project(tmp_path / "p"))
    summary = ingest_project(cat)
    assert summary.rows == 0  # no tidy observations: everything comes from records
    with Warehouse.open(cat) as wh:
        card = assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month("2017-07"))
    by_title = {r.title: r for r in card.rows}
    july17, july16 = plain_counts("2017-07"), plain_counts("2016-07")
    for t in TYPES:
        row = by_title[t]
        assert row.latest is not None and row.latest.value == july17[t], t
        assert row.comparator is not None and row.comparator.value == july16[t], t
        assert row.comparator.period == "Jul-16"


def test_a_measure_counted_from_records_names_its_record_files_as_its_source(
    tmp_path: Path,
) -> None:
    """The KPI page's Source line: the files the records came from, not "records:street"
    (nor "no data loaded")."""
    cat = load_catalogue(make_project(tmp_path / "p"))
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert wh.measure_sources(cat, "burglary") == [
            "data/police-uk/2016-07-west-yorkshire-street.csv",
            "data/police-uk/2017-07-west-yorkshire-street.csv",
        ]
        assert wh.measure_sources(cat, "burglary", "no-such-force") == []


def test_a_bad_record_file_changes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        before = wh.records().count().to_pyarrow().as_py()
    bad = root / "data" / "police-uk" / "2017-07-west-yorkshire-street.csv"
    bad.write_text(bad.read_text().replace("Crime ID,", "Crime Id,", 1))
    with pytest.raises(ValidationFailed):
        ingest_project(load_catalogue(root))
    with Warehouse.open(cat) as wh:
        assert wh.records().count().to_pyarrow().as_py() == before


@pytest.mark.parametrize(
    ("records", "kind", "message", "hint"),
    [
        (
            {"source": "stret", "where": {}},
            "count",
            "records: unknown source 'stret'",
            "did you mean 'street'?",
        ),
        (
            {"source": "street", "where": {"crime_typ": ["Burglary"]}},
            "count",
            "records: cannot filter on 'crime_typ'",
            "did you mean 'crime_type'?",
        ),
        (
            {"source": "street"},
            "proportion",
            "a proportion measure cannot be counted from records",
            "kind count",
        ),
    ],
)
def test_record_measures_are_checked(
    tmp_path: Path, records: dict, kind: str, message: str, hint: str
) -> None:
    from obs import project

    with pytest.raises(ValidationFailed) as exc:
        project(
            tmp_path,
            [{"id": "m", "title": "M", "kind": kind, "records": records}],
            sources=[{"id": "street", "type": "police_uk_street", "files": ["data/*.csv"]}],
        )
    found = [f for f in exc.value.findings if f.subject == "m"]
    assert found and found[0].message == message and hint in (found[0].hint or "")
    assert found[0].line is not None


def test_a_zipped_source_is_not_stale_after_its_ingest(tmp_path: Path) -> None:
    import zipfile

    from kpiboard.warehouse.ingest_run import source_files

    root = make_project(tmp_path / "p")
    police = root / "data" / "police-uk"
    archive = police / "street.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(police.glob("*.csv")):
            z.write(f, f"{f.name[:7]}/{f.name}")
            f.unlink()
    config = root / "kpiboard.yaml"
    config.write_text(config.read_text().replace("data/police-uk/*.csv", "data/police-uk/*.zip"))
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert not wh.is_stale(source_files(cat))  # the members' hashes match what was loaded
    with zipfile.ZipFile(archive) as z:  # one member's content changes
        members = {name: z.read(name) for name in z.namelist()}
    name = next(n for n in members if n.startswith("2017-07"))
    members[name] = members[name].replace(b"Burglary", b"Robbery", 1)
    with zipfile.ZipFile(archive, "w") as z:
        for member, data in members.items():
            z.writestr(member, data)
    with Warehouse.open(cat) as wh:
        assert wh.is_stale(source_files(cat))


def _rows(table: Any) -> list[tuple[object, ...]]:
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def _records(cat: Catalogue) -> list[tuple[object, ...]]:
    with Warehouse.open(cat) as wh:
        return _rows(wh.records().select(*RECORD_COLUMNS).to_pyarrow())


def test_records_are_the_same_whatever_the_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpiboard.warehouse import load

    whole = load_catalogue(make_project(tmp_path / "whole"))
    assert ingest_project(whole).records == 85
    monkeypatch.setattr(load, "RECORD_CHUNK_ROWS", 10)  # several chunks, written while reading
    chunked = load_catalogue(make_project(tmp_path / "chunked"))
    assert ingest_project(chunked).records == 85
    rows = _records(whole)  # (file names are project-relative: the same in both)
    assert len(rows) == 85 and _records(chunked) == rows


def test_a_bad_file_after_chunks_were_written_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpiboard.warehouse import load

    monkeypatch.setattr(load, "RECORD_CHUNK_ROWS", 10)
    root = make_project(tmp_path / "p")
    cat = load_catalogue(root)
    ingest_project(cat)
    before = _records(cat)
    # July 2016 is read (and its chunks inserted) before July 2017, whose last row is bad
    bad = root / "data" / "police-uk" / "2017-07-west-yorkshire-street.csv"
    bad.write_text(
        bad.read_text().rstrip("\n") + "\n,2017-07,West Yorkshire Police,West Yorkshire Police,"
        ",,On or near Nowhere,E01007426,Barnsley 027D,Burglary,,\n"
    )
    (root / "data" / "police-uk" / "2016-07-west-yorkshire-street.csv").write_text(
        (FIXTURES / "2016-07-west-yorkshire-street.csv").read_text().replace("Burglary", "Robbery")
    )
    with pytest.raises(ValidationFailed) as exc:
        ingest_project(load_catalogue(root))
    assert any("Crime ID" in f.message for f in exc.value.findings)
    assert _records(cat) == before


def test_a_records_table_with_its_columns_in_another_order_still_loads(tmp_path: Path) -> None:
    import duckdb

    from kpiboard.warehouse.tables import RECORD_SQL_TYPES, RECORDS

    root = make_project(tmp_path / "p")
    cat = load_catalogue(root)
    ingest_project(cat)
    before = _records(cat)
    # a new warehouse whose records table (vintage columns included) is in another order
    (root / ".kpiboard" / "warehouse.duckdb").unlink()
    Warehouse.open(cat).close()
    con = duckdb.connect(str(root / ".kpiboard" / "warehouse.duckdb"))
    con.execute(f"DROP TABLE {RECORDS}")
    columns = [f"{c} {RECORD_SQL_TYPES[c]}" for c in RECORD_COLUMNS]
    columns += ["vintage_from INTEGER NOT NULL", "vintage_to INTEGER"]
    con.execute(f"CREATE TABLE {RECORDS} (" + ", ".join(reversed(columns)) + ")")
    con.close()
    assert ingest_project(cat).records == 85
    assert _records(cat) == before


def _months_of_files(root: Path) -> None:
    """Six files: the two fixtures plus copies as other months (Crime IDs stay unique a month)."""
    folder = root / "data" / "police-uk"
    for month in ("2016-08", "2016-09", "2017-08", "2017-09"):
        source = "2016-07" if month.startswith("2016") else "2017-07"
        text = (FIXTURES / f"{source}-west-yorkshire-street.csv").read_text()
        (folder / f"{month}-west-yorkshire-street.csv").write_text(
            text.replace(f",{source},", f",{month},")
        )


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_files_read_at_once_load_the_same_and_an_error_in_the_second_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    from kpiboard.ingest.police_uk import reader
    from kpiboard.warehouse import load

    one = make_project(tmp_path / "one")
    _months_of_files(one)
    monkeypatch.setattr(reader, "DEFAULT_WORKERS", 1)
    assert ingest_project(load_catalogue(one)).records == 255
    expected = _records(load_catalogue(one))

    monkeypatch.setattr(reader, "DEFAULT_WORKERS", workers)
    monkeypatch.setattr(load, "RECORD_CHUNK_ROWS", 10)  # chunks written while later files are read
    root = make_project(tmp_path / "p")
    _months_of_files(root)
    cat = load_catalogue(root)
    assert ingest_project(cat).records == 255
    assert _records(cat) == expected
    # the second file in month order (2016-08) gets a blank Crime ID on its last row
    bad = root / "data" / "police-uk" / "2016-08-west-yorkshire-street.csv"
    bad.write_text(
        bad.read_text().rstrip("\n") + "\n,2016-08,West Yorkshire Police,West Yorkshire Police,"
        ",,On or near Nowhere,E01007426,Barnsley 027D,Burglary,,\n"
    )
    (root / "data" / "police-uk" / "2017-09-west-yorkshire-street.csv").write_text(
        (root / "data" / "police-uk" / "2017-09-west-yorkshire-street.csv")
        .read_text()
        .replace("Burglary", "Robbery")
    )
    with pytest.raises(ValidationFailed) as exc:
        ingest_project(load_catalogue(root))
    assert [(f.file, f.line) for f in exc.value.findings if f.level == "error"] == [
        ("data/police-uk/2016-08-west-yorkshire-street.csv", 45)
    ]
    assert _records(cat) == expected


def test_duckdb_threads_are_restored_after_a_record_load_good_or_bad(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    cat = load_catalogue(root)
    with Warehouse.open(cat) as wh:
        raw = wh.backend.con  # type: ignore[attr-defined]
        raw.execute("SET threads = 3")
        assert ingest_project(cat, warehouse=wh).records == 85
        assert raw.execute("SELECT current_setting('threads')").fetchall() == [(3,)]
        bad = root / "data" / "police-uk" / "2017-07-west-yorkshire-street.csv"
        bad.write_text(
            bad.read_text().rstrip("\n") + "\n,2017-07,West Yorkshire Police,West Yorkshire Police,"
            ",,On or near Nowhere,E01007426,Barnsley 027D,Burglary,,\n"
        )
        with pytest.raises(ValidationFailed):
            ingest_project(load_catalogue(root), warehouse=wh)
        assert raw.execute("SELECT current_setting('threads')").fetchall() == [(3,)]
