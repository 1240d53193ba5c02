"""The monthly cycle's files: a new month dropped into the West Yorkshire example as police.uk
publishes it (a plain CSV in a YYYY-MM/ folder) is read and counted exactly; every file under
data/ is read or named in a warning; a month found plain and zipped is read once, or refused
when the copies differ; a truncated or unreadable month loads nothing."""

from __future__ import annotations

import collections
import csv
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.errors import ValidationFailed
from kpiboard.ingest.police_uk import COLUMNS, CRIME_TYPES, read_police_uk
from kpiboard.ingest.records import SourceSpec
from kpiboard.ingest.unread import unread_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "west-yorkshire-police-uk"
NEW_MONTH = "2017-08"
NEW_FILE = f"data/{NEW_MONTH}/{NEW_MONTH}-west-yorkshire-street.csv"
FORCE = "West Yorkshire Police"


def line(n: int, crime_type: str, month: str = NEW_MONTH) -> str:
    """One line in the published layout (Crime ID blank for anti-social behaviour, as published)."""
    crime_id = "" if crime_type == "Anti-social behaviour" else f"{n:064x}"
    return (
        f"{crime_id},{month},{FORCE},{FORCE},-1.550626,53.597400,On or near Swithen Hill,"
        f"E01007359,Barnsley 005C,{crime_type},Under investigation,"
    )


def month_file(month: str = NEW_MONTH, extra: int = 0) -> str:
    """A month of every crime type, the i-th type (sorted) with i + 1 rows (+ ``extra`` more
    burglaries), with CRLF line ends as police.uk writes them."""
    lines, n = [",".join(COLUMNS)], 0
    for i, crime_type in enumerate(sorted(CRIME_TYPES)):
        for _ in range(i + 1 + (extra if crime_type == "Burglary" else 0)):
            n += 1
            lines.append(line(n, crime_type, month))
    return "\r\n".join(lines) + "\r\n"


def plain_count(text: str) -> collections.Counter[str]:
    return collections.Counter(r["Crime type"] for r in csv.DictReader(io.StringIO(text)))


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "west-yorkshire-police-uk"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return root


def records_in_warehouse(root: Path) -> int:
    with duckdb.connect(str(root / ".kpiboard" / "warehouse.duckdb"), read_only=True) as con:
        found = con.execute("select count(*) from kpiboard_records").fetchone()
    assert found is not None
    return int(found[0])


# --- the bar: a held-back month as published ------------------------------------------------


def test_a_new_month_as_the_plain_csv_police_uk_publishes_is_counted_exactly(
    example: Path,
) -> None:
    text = month_file()
    (example / NEW_FILE).parent.mkdir()
    (example / NEW_FILE).write_bytes(text.encode("utf-8"))
    (example / "data" / "notes.xlsx").write_bytes(b"not data")  # a stray file
    ingested = invoke("ingest", str(example))
    assert ingested.exit_code == 0, ingested.output
    assert (
        "WARNING data/notes.xlsx: matches no source; source `street` reads data/*.zip, "
        "data/**/*-street.csv" in ingested.stderr
    )
    assert NEW_FILE in ingested.stderr  # the summary names the file read
    result = invoke("report", str(example), "--as-of", NEW_MONTH, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["title"]: r for r in json.loads(result.stdout)["rows"]}
    counts = plain_count(text)
    assert set(rows) == set(counts) == CRIME_TYPES
    for crime_type, row in rows.items():
        assert row["latest"]["value"] == counts[crime_type], crime_type
        assert row["latest"]["period"] == "Aug-17"


# --- no file left unread ----------------------------------------------------------------------


def test_every_file_under_data_is_read_or_named(example: Path) -> None:
    data = example / "data"
    (data / "2018-07-west-yorkshire-street.csv").write_text(month_file("2018-07"))
    (data / "old").mkdir()
    (data / "old" / "2015.zip").write_bytes(b"")
    for note in ("README.md", "LICENCE", "provenance.txt", ".DS_Store", "sources.pdf"):
        (data / note).write_text("about the data")
    (data / ".git").mkdir()
    (data / ".git" / "HEAD").write_text("ref")
    found = unread_files(load_catalogue(example))
    # a plain CSV straight in data/ is read (data/**/ matches no folder as well)
    assert [(f.level, f.file) for f in found] == [("warning", "data/old/2015.zip")]
    assert found[0].message == (
        "matches no source; source `street` reads data/*.zip, data/**/*-street.csv"
    )
    yaml = example / "kpiboard.yaml"
    yaml.write_text(yaml.read_text() + 'ignore: ["data/old/**"]\n')
    assert unread_files(load_catalogue(example)) == []


def test_validate_names_a_file_nothing_reads(example: Path) -> None:
    yaml = example / "kpiboard.yaml"
    yaml.write_text(yaml.read_text().replace('"data/**/*-street.csv"', '"data/2016-*/*.csv"'))
    (example / "data" / "2018-07-west-yorkshire-street.csv").write_text(month_file("2018-07"))
    result = invoke("validate", str(example))
    assert result.exit_code == 0, result.output
    assert (
        "WARNING data/2018-07-west-yorkshire-street.csv: matches no source; source `street` "
        "reads data/*.zip, data/2016-*/*.csv (add a pattern that matches it"
    ) in result.stderr
    assert "0 error(s), 1 warning(s)" in result.stdout


def test_the_data_globs_count_as_readers(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "measures").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "kpiboard.yaml").write_text(
        "title: t\norganisation: A\norganisations: [{id: A, name: A}]\n"
    )
    (root / "measures" / "m.yaml").write_text("measures: []\n")
    (root / "data" / "a.csv").write_text("org,measure,period_end\n")
    (root / "data" / "b.tsv").write_text("x")
    found = unread_files(load_catalogue(root))
    assert [(f.file, f.message) for f in found] == [
        ("data/b.tsv", "matches no source; `data:` reads data/*.csv")
    ]


# --- one month, plain and zipped ----------------------------------------------------------------


def street_project(tmp_path: Path, files: dict[str, bytes]) -> Any:
    root = tmp_path / "street"
    (root / "measures").mkdir(parents=True)
    (root / "kpiboard.yaml").write_text(
        "title: t\norganisation: E23000010\nbuiltin_organisations: england-wales\n"
    )
    (root / "measures" / "m.yaml").write_text("measures: []\n")
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return load_catalogue(root)


SPEC = SourceSpec("street", "police_uk_street", ["data/*.zip", "data/**/*-street.csv"])


def zipped(name: str, text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(f"{NEW_MONTH}/{name}", text)
    return out.getvalue()


def test_the_same_month_plain_and_zipped_is_read_once(tmp_path: Path) -> None:
    text = month_file()
    name = f"{NEW_MONTH}-west-yorkshire-street.csv"
    cat = street_project(
        tmp_path, {NEW_FILE: text.encode(), "data/police-uk.zip": zipped(name, text)}
    )
    read = read_police_uk(cat, SPEC)
    table = read.read_all()
    assert table.num_rows == sum(plain_count(text).values())
    assert [s.path for s in read.files] == [f"data/police-uk.zip:{NEW_MONTH}/{name}"]


def test_the_same_month_with_different_contents_is_an_error_naming_both(tmp_path: Path) -> None:
    name = f"{NEW_MONTH}-west-yorkshire-street.csv"
    cat = street_project(
        tmp_path,
        {NEW_FILE: month_file(extra=1).encode(), "data/p.zip": zipped(name, month_file())},
    )
    with pytest.raises(ValidationFailed) as info:
        read_police_uk(cat, SPEC).read_all()
    [error] = [f for f in info.value.findings if f.level == "error"]
    assert error.message == (
        f"data/p.zip:{NEW_MONTH}/{name} and {NEW_FILE} are both {name}, with different "
        "contents: the month would be counted twice"
    )
    assert error.hint is not None and "keep the one you mean" in error.hint


def test_one_pattern_of_several_may_match_nothing(tmp_path: Path) -> None:
    cat = street_project(tmp_path, {NEW_FILE: month_file().encode()})
    assert read_police_uk(cat, SPEC).read_all().num_rows == sum(plain_count(month_file()).values())
    none = street_project(tmp_path / "empty", {})
    with pytest.raises(ValidationFailed) as info:
        read_police_uk(none, SPEC).read_all()
    assert [f.message for f in info.value.findings] == [
        "source 'street': files: 'data/*.zip', 'data/**/*-street.csv' match no files"
    ]


# --- bad months load nothing ------------------------------------------------------------------


def test_a_month_cut_short_loads_nothing(example: Path) -> None:
    assert invoke("ingest", str(example)).exit_code == 0
    before = records_in_warehouse(example)
    text = month_file()
    (example / NEW_FILE).parent.mkdir()
    (example / NEW_FILE).write_text(text[: text.rindex("\r\n", 0, -2) + 60])  # mid-line, no EOL
    result = invoke("ingest", str(example))
    assert result.exit_code == 1
    last = len(text[: text.rindex("\r\n", 0, -2)].split("\r\n")) + 1
    assert f"ERROR {NEW_FILE}:{last} street: the last line is cut short" in result.stderr
    assert records_in_warehouse(example) == before


def test_an_unreadable_month_loads_nothing(example: Path) -> None:
    assert invoke("ingest", str(example)).exit_code == 0
    before = records_in_warehouse(example)
    name = f"{NEW_MONTH}-west-yorkshire-street.csv"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{NEW_MONTH}/{name}", month_file())
    damaged = out.getvalue().replace(b"Burglary", b"Burglarz", 1)  # the CRC no longer holds
    (example / "data" / "2017-08.zip").write_bytes(damaged)
    result = invoke("ingest", str(example))
    assert result.exit_code == 1
    assert (
        f"ERROR data/2017-08.zip:{NEW_MONTH}/{name} street: cannot read the file: Bad CRC-32"
        in result.stderr
    )
    assert records_in_warehouse(example) == before
