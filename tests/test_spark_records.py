"""police.uk files read by Spark's own reader into a Spark warehouse (docs/SPARK.md): the same
records, stamps and set-aside counts as the Python reader gives, unchanged files not written
again, and any file with something to say about it read by the Python reader instead, with
exactly its findings and outcome (real local Spark, one session for the module)."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import Finding, ValidationFailed
from kpiboard.ingest.police_uk import COLUMNS, read_police_uk
from kpiboard.ingest.records import RECORD_SCHEMA, RecordRead, SourceSpec
from kpiboard.warehouse import Warehouse, ingest_project, spark_records
from kpiboard.warehouse.ingest_run import IngestSummary
from kpiboard.warehouse.spark_records import READ_BY, STAGING

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "west-yorkshire-police-uk"
FIXTURES = Path(__file__).resolve().parent / "data" / "police-uk"
HEADER = ",".join(COLUMNS)
BTP = "British Transport Police"

Project = Callable[[dict[str, str | bytes]], Catalogue]


def row(
    n: int,
    month: str = "2017-07",
    force: str = "West Yorkshire Police",
    crime_type: str = "Burglary",
    crime_id: str | None = None,
    location: str = "On or near Swithen Hill",
) -> str:
    if crime_id is None:
        crime_id = "" if crime_type == "Anti-social behaviour" else f"{n:064x}"
    return (
        f"{crime_id},{month},{force},{force},-1.550626,53.597400,{location},"
        f"E0100{n % 7}359,Barnsley 005C,{crime_type},Under investigation,"
    )


def street(*rows: str, end: str = "\n", bom: bool = False) -> str:
    return ("\ufeff" if bom else "") + end.join([HEADER, *rows]) + end


def month_rows(
    month: str, start: int, count: int, force: str = "West Yorkshire Police"
) -> list[str]:
    kinds = ["Burglary", "Anti-social behaviour", "Vehicle crime", "Drugs"]
    return [row(n, month, force, kinds[n % 4]) for n in range(start, start + count)]


def write_project(root: Path, files: dict[str, str | bytes]) -> None:
    """A project of two forces whose one police.uk source reads ``data/*.csv`` and
    ``data/*.zip`` (British Transport Police set aside)."""
    (root / "measures").mkdir(parents=True, exist_ok=True)
    orgs = [
        {"id": "WYP", "name": "West Yorkshire", "aliases": ["West Yorkshire Police"]},
        {"id": "NYP", "name": "North Yorkshire", "aliases": ["North Yorkshire Police"]},
    ]
    source = {
        "id": "street",
        "type": "police_uk_street",
        "files": ["data/*.csv", "data/*.zip"],
        "set_aside": [BTP],
    }
    (root / "kpiboard.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "Street crime",
                "organisation": "WYP",
                "organisations": orgs,
                "data": [],
                "sources": [source],
            }
        )
    )
    (root / "measures" / "crime.yaml").write_text(
        "measures:\n  - id: burglary\n    title: Burglary\n    kind: count\n    window: month\n"
        "    polarity: lower_is_better\n"
        "    records: {source: street, where: {crime_type: [Burglary]}}\n"
    )
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@pytest.fixture
def project(tmp_path: Path, spark_master: str) -> Project:
    """A project (write_project) on the module's Spark; ``files`` maps project-relative paths
    to their contents."""

    def make(files: dict[str, str | bytes]) -> Catalogue:
        write_project(tmp_path / "project", files)
        return load_catalogue(tmp_path / "project").with_warehouse(spark_master)

    return make


def python_read(cat: Catalogue) -> tuple[RecordRead, pa.Table]:
    spec = SourceSpec("street", "police_uk_street", ["data/*.csv", "data/*.zip"], [BTP])
    read = read_police_uk(cat, spec)
    return read, read.read_all()


def python_findings(cat: Catalogue) -> list[Finding]:
    with pytest.raises(ValidationFailed) as info:
        python_read(cat)
    return list(info.value.findings)


def stored(cat: Catalogue) -> pa.Table:
    """The current records, in RECORD_SCHEMA and one order."""
    with Warehouse.open(cat) as wh:
        table = wh.records().to_pyarrow().select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)
    return table.sort_by([(c, "ascending") for c in RECORD_SCHEMA.names])


def in_order(table: pa.Table) -> pa.Table:
    return table.sort_by([(c, "ascending") for c in RECORD_SCHEMA.names])


def ingest(cat: Catalogue, by: str) -> IngestSummary:
    """Ingest, checking which reader read the source."""
    before = READ_BY[by]
    summary = ingest_project(cat)
    assert READ_BY[by] == before + 1, dict(READ_BY)
    return summary


def assert_read_alike(cat: Catalogue, summary: IngestSummary) -> None:
    read, table = python_read(cat)
    assert stored(cat).equals(in_order(table))
    assert list(summary.files) == read.files  # the stamps, in month order
    assert summary.records == read.rows == table.num_rows
    assert dict(summary.set_aside) == read.set_aside
    staged = list((cat.root / ".kpiboard" / "spark").rglob(STAGING))
    assert staged == []  # the staging folder is gone once the rows are written


def test_the_west_yorkshire_zip_reads_as_with_the_python_reader(
    tmp_path: Path, spark_master: str
) -> None:
    root = tmp_path / "wy"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    cat = load_catalogue(root).with_warehouse(spark_master)
    summary = ingest(cat, "spark")
    assert summary.records == 27_176 + 28_537 - sum(n for _, n in summary.set_aside)
    spec = SourceSpec("street", "police_uk_street", ["data/*.zip"], [BTP])
    read = read_police_uk(cat, spec)
    assert stored(cat).equals(in_order(read.read_all()))
    assert list(summary.files) == read.files
    assert [f.path for f in summary.files] == [
        "data/west-yorkshire-street-2016-07-and-2017-07.zip:2016-07-west-yorkshire-street.csv",
        "data/west-yorkshire-street-2016-07-and-2017-07.zip:2017-07-west-yorkshire-street.csv",
    ]
    assert not list(root.rglob(STAGING))
    assert ingest(cat, "spark").vintage is None  # the same zip again: nothing changed


def test_spark_s_reader_tells_its_steps(tmp_path: Path, spark_master: str) -> None:
    # a national volume takes minutes in Spark's jobs: the progress names each step
    root = tmp_path / "wy"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    cat = load_catalogue(root).with_warehouse(spark_master)
    told: list[tuple[int, int, str]] = []
    ingest_project(cat, lambda done, total, label: told.append((done, total, label)))
    spark = [t for t in told if t[2].startswith("Spark: ")]
    assert spark == [
        (0, 3, "Spark: stamping and checking the police.uk files (street, 2 files)"),
        (1, 3, "Spark: writing the records of the new and changed files (street, 2 files)"),
        (2, 3, "Spark: looking for Crime IDs repeated in a month (street, 2 files)"),
        (3, 3, "Spark: read (street, 2 files)"),
    ]


def test_made_up_files_of_several_months_and_set_aside_names(project: Project) -> None:
    zipped = Path("zipped.zip")
    files: dict[str, str | bytes] = {
        "data/2017-07-west-yorkshire-street.csv": street(
            *month_rows("2017-07", 1, 30), *month_rows("2017-07", 31, 4, BTP), "", end="\r\n"
        ),
        # a byte-order mark, a space in the name, no line break after the last line
        "data/2017-07-north yorkshire-street.csv": street(
            *month_rows("2017-07", 100, 12, "North Yorkshire Police"), bom=True
        ).rstrip("\n"),
        "data/2017-08-west-yorkshire-street.csv": street(
            *month_rows("2017-08", 1, 20), ",,,,,,,,,,,", *month_rows("2017-08", 21, 3, BTP)
        ),
        # a name Spark would read as a pattern: read from a staged copy
        "data/2017-08-north [1].csv": street(
            *month_rows("2017-08", 200, 5, "North Yorkshire Police")
        ),
    }
    cat = project(files)
    member = street(*month_rows("2017-09", 1, 9), *month_rows("2017-09", 10, 2, BTP))
    with zipfile.ZipFile(cat.root / "data" / zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2017-09/2017-09-west-yorkshire-street.csv", member)
        z.writestr("2017-09/2017-09-west-yorkshire-outcomes.csv", "not read")
    first = ingest(cat, "spark")
    assert dict(first.set_aside) == {BTP: 4 + 3 + 2}
    assert first.records == 30 + 12 + 20 + 5 + 9
    assert_read_alike(cat, first)

    # one file changed: its rows are closed and read again, the others' kept as they were
    (cat.root / "data/2017-08-west-yorkshire-street.csv").write_text(
        street(*month_rows("2017-08", 1, 25))
    )
    second = ingest(cat, "spark")
    assert second.vintage == 2
    assert_read_alike(cat, second)
    with Warehouse.open(cat) as wh:
        table = wh.backend.table("kpiboard_records").to_pyarrow()
    files, known = table["file"].to_pylist(), table["vintage_from"].to_pylist()
    closed = table["vintage_to"].to_pylist()
    assert {(f, v) for f, v, to in zip(files, known, closed, strict=True) if to is None} == {
        ("data/2017-07-west-yorkshire-street.csv", 1),
        ("data/2017-07-north yorkshire-street.csv", 1),
        ("data/2017-08-west-yorkshire-street.csv", 2),
        ("data/2017-08-north [1].csv", 1),
        ("data/zipped.zip:2017-09/2017-09-west-yorkshire-street.csv", 1),
    }
    # the old rows of the changed file closed by the second vintage
    assert {(f, v) for f, v, to in zip(files, known, closed, strict=True) if to == 2} == {
        ("data/2017-08-west-yorkshire-street.csv", 1)
    }


def zipped(member: str, content: str, damage: bool = False) -> bytes:
    """A zip of one member; with ``damage``, a byte of its compressed data changed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, content)
    data = bytearray(buffer.getvalue())
    if damage:
        data[60] ^= 0xFF  # (past the member's 30-byte header and name)
    return bytes(data)


GOOD = street(*month_rows("2017-07", 1, 10))  # (the bad files' Crime IDs are others)
# each: the file's content, and whether the Python reader accepts it (with warnings)
BAD: dict[str, tuple[str | bytes, bool]] = {
    "wrong header": (street(row(1001), row(1002)).replace("Crime type", "Crime kind"), False),
    "too many fields": (street(row(1001), row(1002) + ",extra", row(1003)), False),
    "too few fields": (street(row(1001), "a,b,c", row(1003)), False),
    "last line cut": (HEADER + "\n" + row(1001) + "\n" + row(1002)[:40], False),
    "another month": (street(row(1001), row(1002, month="2017-06"), row(1003)), False),
    "month not YYYY-MM": (street(row(1001, month="2017-7"), row(1002, month="2017-7")), False),
    "blank month": (street(row(1001), row(1002, month="")), False),
    "blank Crime ID": (street(row(1001), row(1002, crime_id=""), row(1003)), False),
    "blank crime type": (street(row(1001), row(1002, crime_type=""), row(1003)), False),
    "unknown force": (street(row(1001), row(1002, force="Gotham Police")), False),
    "blank force": (street(row(1001), row(1002, force="")), False),
    "a Crime ID of the unchanged file": (street(row(1001), row(2)), False),
    "repeated Crime ID": (street(row(1001), row(1002), row(1001)), False),
    "mixed encodings": (
        street(row(1001, location="Caf\u00e9")).encode()
        + row(1002, location="Caf\xe9").encode("cp1252")
        + b"\n",
        False,
    ),
    "not a zip": (b"PK\x03\x04 this is not a zip", False),
    "a damaged zip member": (
        zipped(
            "2017-07/2017-07-north-street.csv", street(*[row(n) for n in range(1001, 1100)]), True
        ),
        False,
    ),
    "a month plain and zipped, different": (
        zipped("2017-07/2017-07-west-yorkshire-street.csv", street(row(1001))),
        False,
    ),
    "a crime type not published": (street(row(1001), row(1002, crime_type="Cybercrime")), True),
    "Windows-1252": (street(row(1001), row(1002, location="Caf\xe9")).encode("cp1252"), True),
    "quoted comma": (street(row(1001), row(1002, location='"On or near A, B"')), True),
    "quoted line break": (street(row(1001), row(1002, location='"On or near\nA"')), True),
    "header only": (HEADER + "\n", True),
    "blank lines only": (HEADER + "\n\n,,,,,,,,,,,\n", True),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, spark_master: str) -> Catalogue:
    """A project loaded once, by Spark's reader, for the bad files' tests to add a file to."""
    root = tmp_path_factory.mktemp("bad") / "project"
    write_project(root, {"data/2017-07-west-yorkshire-street.csv": GOOD})
    cat = load_catalogue(root).with_warehouse(spark_master)
    ingest(cat, "spark")
    return cat


@pytest.mark.parametrize("kind", list(BAD))
def test_a_file_with_something_to_say_is_read_by_the_python_reader(
    kind: str, loaded: Catalogue
) -> None:
    content, accepted = BAD[kind]
    cat = loaded
    is_zip = isinstance(content, bytes) and content.startswith(b"PK")
    path = cat.root / ("data/bad.zip" if is_zip else "data/2017-07-north-street.csv")
    before = stored(cat)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    try:
        if not accepted:
            expected = python_findings(cat)
            with pytest.raises(ValidationFailed) as info:
                ingest(cat, "kpiboard")
            assert list(info.value.findings) == expected
            assert stored(cat).equals(before)  # the warehouse is unchanged
            return
        summary = ingest(cat, "kpiboard")
        read, _ = python_read(cat)
        assert list(summary.warnings) == read.warnings
        assert bool(read.warnings) == (kind != "quoted comma")
        assert_read_alike(cat, summary)
    finally:
        path.unlink()


def test_the_python_reader_reads_every_source_when_told(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_records, "ENABLED", False)
    cat = project({"data/2017-07-west-yorkshire-street.csv": GOOD})
    before = dict(READ_BY)
    assert_read_alike(cat, ingest_project(cat))
    assert dict(READ_BY) == before  # (Spark's reader not even asked)
