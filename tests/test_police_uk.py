"""The police.uk street-level reader: counts equal a plain count of the CSV rows, zips read like
CSVs, and every kind of bad input is reported with its file, line, column and a hint."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import shutil
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pytest

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.police_uk import COLUMNS, CRIME_TYPES, read_police_uk
from kpiboard.ingest.records import RECORD_SCHEMA, RecordRead, SourceSpec

FIXTURES = Path(__file__).parent / "data" / "police-uk"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "police-uk"
NAMES = ["2016-07-west-yorkshire-street.csv", "2017-07-west-yorkshire-street.csv"]
HEADER = ",".join(COLUMNS)

PROJECT_YAML = """\
title: Street crime
organisation: WYP
organisations:
  - id: WYP
    name: West Yorkshire
    aliases: [West Yorkshire Police]
  - id: NYP
    name: North Yorkshire
    aliases: [North Yorkshire Police]
"""
MEASURES_YAML = "measures:\n  - id: burglary\n    title: Burglary\n    kind: count\n"

Project = Callable[[dict[str, str | bytes]], Catalogue]


@pytest.fixture(
    autouse=True,
    params=[(1, True), (3, True), (1, False)],
    ids=["one-file-at-a-time", "three-files-at-once", "streamed"],
)
def workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Every test runs with files read one after another, several at once, and streamed rather
    than read whole: the same outcome."""
    from kpiboard.ingest.police_uk import reader

    workers, whole = request.param
    monkeypatch.setattr(reader, "DEFAULT_WORKERS", workers)
    if not whole:
        monkeypatch.setattr(reader, "WHOLE_FILE", 0)
    return int(workers)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with two forces; ``files`` maps project-relative paths to their contents."""

    def make(files: dict[str, str | bytes]) -> Catalogue:
        root = tmp_path / "project"
        (root / "measures").mkdir(parents=True, exist_ok=True)
        (root / "kpiboard.yaml").write_text(PROJECT_YAML, encoding="utf-8")
        (root / "measures" / "crime.yaml").write_text(MEASURES_YAML, encoding="utf-8")
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return load_catalogue(root)

    return make


def spec(files: Sequence[str] = ("data/*.csv",), set_aside: Sequence[str] = ()) -> SourceSpec:
    return SourceSpec("street", "police_uk_street", list(files), list(set_aside))


def row(
    n: int = 1,
    month: str = "2017-07",
    force: str = "West Yorkshire Police",
    crime_type: str = "Burglary",
    outcome: str = "Under investigation",
    crime_id: str | None = None,
) -> str:
    """One police.uk line; the Crime ID is made from ``n`` unless given."""
    if crime_id is None:
        crime_id = "" if crime_type == "Anti-social behaviour" else f"{n:064x}"
    return (
        f"{crime_id},{month},{force},{force},-1.550626,53.597400,On or near Swithen Hill,"
        f"E01007359,Barnsley 005C,{crime_type},{outcome},"
    )


def street(*rows: str, header: str = HEADER, end: str = "\r\n") -> str:
    return end.join([header, *rows]) + end


def rows(count: int, start: int = 1, **kwargs: str) -> list[str]:
    return [row(n, **kwargs) for n in range(start, start + count)]


def findings(
    catalogue: Catalogue, source: SourceSpec | None = None, **kwargs: int
) -> list[Finding]:
    with pytest.raises(ValidationFailed) as info:
        read_police_uk(catalogue, source or spec(), **kwargs).read_all()
    return list(info.value.findings)


def errors(catalogue: Catalogue, source: SourceSpec | None = None, **kwargs: int) -> list[Finding]:
    return [f for f in findings(catalogue, source, **kwargs) if f.level == "error"]


def the_error(catalogue: Catalogue, source: SourceSpec | None = None, **kwargs: int) -> Finding:
    found = errors(catalogue, source, **kwargs)
    assert len(found) == 1, [f.render() for f in found]
    return found[0]


def plain_counts(paths: Sequence[Path]) -> collections.Counter[tuple[str, str]]:
    """(month, crime type) -> rows, counted with the csv module: the independent check."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for path in paths:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for record in csv.DictReader(fh):
                counts[record["Month"], record["Crime type"]] += 1
    return counts


def reader_counts(table: pa.Table) -> collections.Counter[tuple[str, str]]:
    grouped = table.group_by(["period_end", "crime_type"]).aggregate([("weight", "sum")])
    return collections.Counter(
        {
            (r["period_end"].strftime("%Y-%m"), r["crime_type"]): int(r["weight_sum"])
            for r in grouped.to_pylist()
        }
    )


# --- counts -----------------------------------------------------------------------------------


def check_counts(catalogue: Catalogue, paths: list[Path]) -> RecordRead:
    read = read_police_uk(catalogue, spec(["data/police-uk/*.csv"]))
    table = read.read_all()
    assert table.schema == RECORD_SCHEMA
    assert reader_counts(table) == plain_counts(paths)
    assert read.rows == table.num_rows == sum(plain_counts(paths).values())
    assert read.warnings == [] and read.set_aside == {}
    assert set(table["org"].to_pylist()) == {"WYP"}
    assert set(table["months"].to_pylist()) == {1} and set(table["weight"].to_pylist()) == {1.0}
    assert set(table["source"].to_pylist()) == {"street"}
    # Crime IDs: blank exactly for anti-social behaviour
    for r in table.select(["record_id", "crime_type"]).to_pylist():
        assert (r["record_id"] is None) == (r["crime_type"] == "Anti-social behaviour")
    assert [(s.path, s.rows) for s in read.files] == [
        (f"data/police-uk/{p.name}", sum(1 for _ in p.open(encoding="utf-8")) - 1) for p in paths
    ]
    for stamp, path in zip(read.files, paths, strict=True):
        assert stamp.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert stamp.size == path.stat().st_size
    return read


def test_counts_per_crime_type_equal_a_plain_count_of_the_fixture_rows(project: Project) -> None:
    paths = [FIXTURES / name for name in NAMES]
    catalogue = project({f"data/police-uk/{p.name}": p.read_bytes() for p in paths})
    read = check_counts(catalogue, [catalogue.root / "data/police-uk" / n for n in NAMES])
    assert {t for _, t in plain_counts(paths)} == CRIME_TYPES  # the fixtures cover every type
    assert read.files[0].rows == 43


@pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the shared police.uk files are not here ({SHARED})"
)
def test_counts_per_crime_type_equal_a_plain_count_of_the_shared_files(project: Project) -> None:
    catalogue = project({})
    target = catalogue.root / "data" / "police-uk"
    target.mkdir(parents=True)
    for name in NAMES:
        shutil.copy(SHARED / name, target / name)
    read = check_counts(catalogue, [target / n for n in NAMES])
    assert [s.rows for s in read.files] == [27176, 28537]


def test_a_record_in_the_schema(project: Project) -> None:
    asb = row(8, crime_type="Anti-social behaviour")
    catalogue = project({"data/a.csv": street(row(7, outcome=""), asb)})
    first, second = read_police_uk(catalogue, spec()).read_all().to_pylist()
    assert first == {
        "source": "street",
        "org": "WYP",
        "period_end": dt.date(2017, 7, 1),
        "months": 1,
        "record_id": f"{7:064x}",
        "crime_type": "Burglary",
        "outcome": None,
        "lsoa_code": "E01007359",
        "offence_code": None,
        "offence_group": None,
        "offence_subgroup": None,
        "weight": 1.0,
        "file": "data/a.csv",
    }
    assert second["record_id"] is None and second["crime_type"] == "Anti-social behaviour"


# --- zips -----------------------------------------------------------------------------------


def test_a_zip_reads_like_its_csv_files(project: Project, tmp_path: Path) -> None:
    archive = tmp_path / "2017.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in NAMES:
            z.write(FIXTURES / name, f"{name[:7]}/{name}")
        z.writestr("2017-07/2017-07-west-yorkshire-outcomes.csv", "Crime ID,Month,Outcome type\n")
        z.writestr("__MACOSX/2017-07/._2017-07-west-yorkshire-street.csv", b"\x00\x05\x16\x07")
    catalogue = project(
        {"csv/" + n: (FIXTURES / n).read_bytes() for n in NAMES}
        | {"zips/2017.zip": archive.read_bytes()}
    )
    from_csv = read_police_uk(catalogue, spec(["csv/*.csv"])).read_all()
    read = read_police_uk(catalogue, spec(["zips/*.zip"]))
    from_zip = read.read_all()
    assert from_zip.drop_columns(["file"]).equals(from_csv.drop_columns(["file"]))
    assert set(from_zip["file"].to_pylist()) == {f"zips/2017.zip:{n[:7]}/{n}" for n in NAMES}
    assert [s.path for s in read.files] == [f"zips/2017.zip:{n[:7]}/{n}" for n in NAMES]
    assert [s.sha256 for s in read.files] == [
        hashlib.sha256((FIXTURES / n).read_bytes()).hexdigest() for n in NAMES
    ]


def test_a_zip_with_no_csv_is_an_error_naming_the_zip(project: Project, tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "nothing here")
    error = the_error(project({"data/2017-07.zip": archive.read_bytes()}), spec(["data/*.zip"]))
    assert (error.file, error.line) == ("data/2017-07.zip", None)
    assert error.message == "the zip has no CSV file in it (1 other file(s))"
    assert error.hint is not None and "YYYY-MM-<force>-street.csv" in error.hint


def test_a_zip_of_outcome_files_only_is_an_error(project: Project, tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2017-07/2017-07-west-yorkshire-outcomes.csv", "Crime ID,Month\n")
    error = the_error(project({"data/x.zip": archive.read_bytes()}), spec(["data/*.zip"]))
    assert error.file == "data/x.zip" and "no *street.csv file" in error.message
    assert error.hint is not None and "outcomes" in error.hint


def test_a_file_that_is_not_a_zip(project: Project) -> None:
    error = the_error(project({"data/x.zip": b"not a zip"}), spec(["data/*.zip"]))
    assert error.file == "data/x.zip" and error.message.startswith("not a readable zip archive")


def test_a_pattern_matching_nothing(project: Project) -> None:
    error = the_error(project({}), spec(["data/police-uk/*.csv"]))
    assert (error.file, error.subject) == ("kpiboard.yaml", "street")
    assert error.message == "source 'street': files: 'data/police-uk/*.csv' matches no files"


# --- headers --------------------------------------------------------------------------------

EXPECTED = "expected the 12 police.uk street columns in this order: " + ", ".join(COLUMNS)


@pytest.mark.parametrize(
    "header,detail",
    [
        (HEADER.replace(",Context", ""), "missing 'Context'"),
        (HEADER + ",Notes", "unexpected 'Notes'"),
        (
            HEADER.replace("Crime type", "Crime Type"),
            "unexpected 'Crime Type' (did you mean 'Crime type'?)",
        ),
        (
            HEADER.replace("Crime ID,Month", "Month,Crime ID"),
            "the same columns in another order ('Month' is column 1, not 2)",
        ),
        ("crime_id,month,force", "unexpected 'crime_id'"),
    ],
)
def test_wrong_headers_list_the_expected_columns(
    project: Project, header: str, detail: str
) -> None:
    error = the_error(project({"data/a.csv": street(row(), header=header)}))
    assert (error.file, error.line, error.subject) == ("data/a.csv", 1, "street")
    assert error.message.startswith(f"wrong header: {EXPECTED}; found ")
    assert ", ".join(c.strip() for c in header.split(",")) in error.message
    assert detail in error.message
    assert error.hint == "the first line of a police.uk street file is exactly: " + HEADER


def test_an_outcomes_file_is_named_as_such(project: Project) -> None:
    header = HEADER.replace("Crime type,Last outcome category,Context", "Outcome type")
    error = the_error(project({"data/a.csv": street("x", header=header)}))
    assert (
        error.line == 1
        and "missing 'Crime type', 'Last outcome category', 'Context'" in error.message
    )
    assert error.hint is not None and "outcomes file" in error.hint


def test_a_quoted_header_and_a_bom_are_fine(project: Project) -> None:
    header = ",".join(f'"{c}"' for c in COLUMNS)
    data = b"\xef\xbb\xbf" + street(row(1), row(2), header=header).encode()
    read = read_police_uk(project({"data/a.csv": data}), spec())
    assert read.read_all().num_rows == 2 and read.warnings == []


# --- months ---------------------------------------------------------------------------------


def test_mixed_months_name_the_first_line_of_the_second_month(project: Project) -> None:
    catalogue = project({"data/a.csv": street(*rows(3), *rows(2, 10, month="2017-08"), row(20))})
    error = the_error(catalogue)
    assert (error.file, error.line) == ("data/a.csv", 5)
    assert error.message == (
        "Month: 2017-08 in a file of 2017-07 (the month from line 2); "
        "a police.uk file holds one month"
    )
    assert error.hint is not None and "one file per force and month" in error.hint


@pytest.mark.parametrize("month", ["2017-7", "Jul-17", "2017-13", "2017/07", "2017-07-01"])
def test_a_month_not_written_yyyy_mm(project: Project, month: str) -> None:
    error = the_error(project({"data/a.csv": street(row(1), row(2, month=month))}))
    assert (error.line, error.message) == (3, f"Month: {month!r} is not a month written YYYY-MM")
    assert error.hint is not None and "YYYY-MM" in error.hint


def test_a_blank_month(project: Project) -> None:
    error = the_error(project({"data/a.csv": street(row(1), row(2, month=""))}))
    assert (error.line, error.message) == (3, "Month: is blank")


# --- organisations ----------------------------------------------------------------------------


def test_an_unknown_force_names_the_first_line_and_the_nearest_names(project: Project) -> None:
    lines = [
        *rows(3),
        *rows(2, 10, force="West Yorkshre Police"),
        *rows(2, 20, force="Narnia Police"),
    ]
    found = errors(project({"data/a.csv": street(*lines)}))
    assert [(f.file, f.line) for f in found] == [("data/a.csv", 5), ("data/a.csv", 7)]
    typo, narnia = found
    assert typo.message == "Falls within: unknown organisation 'West Yorkshre Police'"
    assert typo.hint is not None and typo.hint.startswith("did you mean ") and "WYP" in typo.hint
    assert typo.hint.endswith(
        "? If not, add the name to the organisation's aliases in kpiboard.yaml, "
        "or to the source's set_aside to skip its rows"
    )
    assert narnia.hint is not None and "NYP" in narnia.hint and "WYP" in narnia.hint


def test_other_forces_resolve_through_aliases(project: Project) -> None:
    catalogue = project({"data/a.csv": street(row(1), row(2, force="north yorkshire police"))})
    assert read_police_uk(catalogue, spec()).read_all()["org"].to_pylist() == ["WYP", "NYP"]


def test_set_aside_rows_are_dropped_and_counted(project: Project) -> None:
    lines = [*rows(3), *rows(4, 10, force="British Transport Police"), *rows(2, 20)]
    other = street(*rows(1, 30, force="BRITISH TRANSPORT POLICE"))
    catalogue = project({"data/a.csv": street(*lines), "data/b.csv": other})
    read = read_police_uk(catalogue, spec(set_aside=["British Transport Police"]))
    table = read.read_all()
    assert table.num_rows == 5 and set(table["org"].to_pylist()) == {"WYP"}
    assert read.set_aside == {"British Transport Police": 5}
    assert [s.rows for s in read.files] == [5, 0]


# --- Crime IDs --------------------------------------------------------------------------------


def test_a_duplicate_crime_id_in_a_file_names_both_lines(project: Project) -> None:
    error = the_error(project({"data/a.csv": street(row(1), row(2), row(3), row(2))}))
    assert (error.file, error.line) == ("data/a.csv", 5)
    assert error.message == f"Crime ID: {2:064x} appears again in 2017-07 (first at data/a.csv:3)"
    assert error.hint is not None and "given twice" in error.hint


def test_duplicates_across_files_of_a_month_whatever_the_file_order(project: Project) -> None:
    # b-2016 sorts between the two July 2017 files: files are read in month order
    catalogue = project(
        {
            "data/a.csv": street(*rows(5)),
            "data/b-2016.csv": street(*rows(5, month="2016-07")),
            "data/c.csv": street(row(100), row(4)),
        }
    )
    error = the_error(catalogue)
    assert (error.file, error.line) == ("data/c.csv", 3)
    assert error.message == f"Crime ID: {4:064x} appears again in 2017-07 (first at data/a.csv:5)"


@pytest.mark.parametrize(
    "ids", [["X1", "X2", "X3"], ["ABCDEFGH", "X2", "ABCDEFGH" * 2]], ids=["short", "mixed-widths"]
)
def test_duplicates_of_ids_of_any_width_are_caught(project: Project, ids: list[str]) -> None:
    # (IDs of one width, a multiple of 8 bytes, are compared by fingerprint first; these are not)
    catalogue = project(
        {
            "data/a.csv": street(*(row(crime_id=i) for i in ids)),
            "data/b.csv": street(row(crime_id="Y"), row(crime_id=ids[2])),
        }
    )
    error = the_error(catalogue)
    assert (error.file, error.line) == ("data/b.csv", 3)
    assert error.message == f"Crime ID: {ids[2]} appears again in 2017-07 (first at data/a.csv:4)"


def test_fingerprints_are_equal_for_equal_ids_wherever_they_sit() -> None:
    from kpiboard.ingest.police_uk.crime_ids import fingerprints

    ids = pa.array(["abc", *(f"{n:064x}" for n in range(1000)), f"{7:064x}", "ABCDEFGH" * 8])
    prints = fingerprints(ids.slice(1))  # (its text starts 3 bytes into the buffer)
    assert prints is not None and len(prints) == 1002
    assert len(set(prints.tolist())) == 1001 and prints[7] == prints[1000]
    assert fingerprints(ids) is None  # widths differ
    assert fingerprints(pa.array(["ab"] * 3)) is None  # not a multiple of 8 bytes
    assert fingerprints(pa.array([f"{1:064x}", None])) is None


def test_the_same_rows_as_a_csv_and_in_a_zip_are_caught(project: Project, tmp_path: Path) -> None:
    # under another name: the same police.uk month file in both is read once
    # (tests/test_monthly_files.py), so the Crime IDs catch copies under other names
    archive = tmp_path / "x.zip"
    copy = "copy-of-street.csv"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(FIXTURES / NAMES[1], copy)
    catalogue = project(
        {f"data/{NAMES[1]}": (FIXTURES / NAMES[1]).read_bytes(), "data/x.zip": archive.read_bytes()}
    )
    found = errors(catalogue, spec(["data/*.csv", "data/*.zip"]))
    with (FIXTURES / NAMES[1]).open(newline="") as fh:
        with_id = sum(1 for r in csv.DictReader(fh) if r["Crime ID"])
    assert len(found) == with_id  # every row with a Crime ID (anti-social behaviour rows have none)
    assert {f.file for f in found} == {f"data/x.zip:{copy}"}
    assert f"(first at data/{NAMES[1]}:" in found[0].message


def test_a_blank_crime_id_is_an_error_except_for_anti_social_behaviour(project: Project) -> None:
    lines = [
        row(1),
        row(2, crime_type="Anti-social behaviour"),
        row(3, crime_id=""),
        row(4, crime_type="Robbery", crime_id=""),
    ]
    found = errors(project({"data/a.csv": street(*lines)}))
    assert [(f.line, f.message) for f in found] == [
        (4, "Crime ID: is blank on a 'Burglary' record"),
        (5, "Crime ID: is blank on a 'Robbery' record"),
    ]
    assert (
        found[0].hint is not None and "only Anti-social behaviour rows have none" in found[0].hint
    )


# --- crime types -----------------------------------------------------------------------------


def test_a_new_crime_type_is_a_warning_and_is_read(project: Project) -> None:
    lines = [
        row(1),
        row(2, crime_type="Fraud"),
        row(3, crime_type="Fraud"),
        row(4, crime_type="Burglery"),
    ]
    read = read_police_uk(project({"data/a.csv": street(*lines)}), spec())
    assert read.read_all()["crime_type"].to_pylist() == ["Burglary", "Fraud", "Fraud", "Burglery"]
    fraud, typo = read.warnings
    assert (fraud.level, fraud.file, fraud.line) == ("warning", "data/a.csv", 3)
    assert fraud.message == (
        "Crime type: 'Fraud' is not one of the 14 published police.uk crime types; "
        "it is read as it is"
    )
    assert (
        typo.line == 5
        and typo.hint is not None
        and typo.hint.startswith("did you mean 'Burglary'?")
    )


def test_a_blank_crime_type(project: Project) -> None:
    error = the_error(project({"data/a.csv": street(row(1), row(2, crime_type=""))}))
    assert (error.line, error.message) == (3, "Crime type: is blank")


# --- lines ----------------------------------------------------------------------------------


def test_a_truncated_last_line(project: Project) -> None:
    text = street(*rows(3)) + row(4)[:90]  # cut in the third field, no line break at the end
    error = the_error(project({"data/a.csv": text}))
    assert (error.file, error.line) == ("data/a.csv", 5)
    assert error.message == (
        "the last line is cut short: 3 of 12 fields and no line break at the end "
        "(the file looks truncated)"
    )
    assert error.hint == "download or copy the file again"


def test_a_short_line_and_the_lines_after_it(project: Project) -> None:
    lines = [row(1), "a,b,c,d,e", row(3), row(4, force="Narnia Police")]
    found = errors(project({"data/a.csv": street(*lines)}))
    assert [(f.line, f.message) for f in found] == [
        (5, "Falls within: unknown organisation 'Narnia Police'"),
        (3, "the line has 5 fields but the header has 12"),
    ]


def test_blank_lines_are_skipped_and_lines_still_count(project: Project) -> None:
    text = street(row(1), "", row(2), ",,,,,,,,,,,", row(3, crime_id=""))
    error = the_error(project({"data/a.csv": text}))
    assert (error.line, error.message) == (6, "Crime ID: is blank on a 'Burglary' record")


def test_a_value_with_a_line_break_is_read_and_said(project: Project) -> None:
    quoted = row(2) + '"a note\r\nover two lines"'  # in the Context column
    catalogue = project({"data/a.csv": street(row(1), quoted, row(3), row(4, crime_id=""))})
    found = findings(catalogue)
    assert [(f.level, f.line) for f in found] == [("error", 6), ("warning", 3)]
    assert found[1].message.startswith(
        "1 row(s) have a line break inside a quoted value (the first on lines 3-4)"
    )
    fine = project({"data/a.csv": street(row(1), quoted, row(3))})
    read = read_police_uk(fine, spec())
    assert read.read_all().num_rows == 3 and [w.line for w in read.warnings] == [3]


def test_checking_stops_after_50_errors_and_the_lines_stay_exact(project: Project) -> None:
    lines = [row(1), "a,b,c", *rows(60, 10, crime_id="")]
    found = errors(project({"data/a.csv": street(*lines)}), block_size=1024)
    assert len(found) == 51 and [f.line for f in found[:2]] == [4, 5] and found[49].line == 53
    assert (found[-1].line, found[-1].message) == (
        None,
        "stopped checking this file after 50 errors",
    )


def test_a_damaged_zip_member(project: Project, tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.write(FIXTURES / NAMES[1], NAMES[1])
    damaged = archive.read_bytes().replace(b"Burglary", b"Burglarz", 1)
    error = the_error(project({"data/x.zip": damaged}), spec(["data/*.zip"]))
    assert error.file == f"data/x.zip:{NAMES[1]}"
    assert error.message.startswith("cannot read the file: Bad CRC-32")


def test_a_long_damaged_zip_member_read_whole_or_streamed(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpiboard.ingest.police_uk import reader

    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:  # ~3 MiB: several chunks
        z.writestr("a-street.csv", street(row(1), row(2, crime_id=""), *rows(15000, 3)))
    data = archive.read_bytes()
    at = data.rindex(b"Burglary")  # the CRC fails once the member has been read to its end
    catalogue = project({"data/x.zip": data[:at] + b"Burglarz" + data[at + 8 :]})
    found = [f.render() for f in findings(catalogue, spec(["data/*.zip"]), block_size=1 << 16)]
    monkeypatch.setattr(reader, "WHOLE_FILE", 0)
    assert [
        f.render() for f in findings(catalogue, spec(["data/*.zip"]), block_size=1 << 16)
    ] == found
    assert any("Bad CRC-32" in f for f in found)


def test_empty_and_header_only_files(project: Project) -> None:
    catalogue = project(
        {"data/a.csv": b"", "data/b.csv": HEADER + "\n", "data/c.csv": HEADER + "\r\n\r\n"}
    )
    found = findings(catalogue)
    assert [(f.level, f.file, f.message) for f in found] == [
        ("error", "data/a.csv", "the file is empty"),
        ("warning", "data/b.csv", "no data rows under the header"),
        ("warning", "data/c.csv", "no data rows under the header"),
    ]


# --- encodings ------------------------------------------------------------------------------


def test_a_windows_1252_file_is_decoded_with_a_warning(project: Project) -> None:
    text = street(row(1), row(2), row(3, outcome="Résolution locale"), row(4))
    read = read_police_uk(project({"data/a.csv": text.encode("cp1252")}), spec())
    assert read.read_all()["outcome"].to_pylist()[2] == "Résolution locale"
    [warning] = read.warnings
    assert (warning.file, warning.line) == ("data/a.csv", 4)
    assert (
        warning.message
        == "not UTF-8 (byte 0xE9 is the first that is not); read as Windows-1252 (cp1252)"
    )
    assert warning.hint is not None and "CSV UTF-8" in warning.hint


def test_a_windows_1252_byte_far_into_a_file_read_in_small_chunks(project: Project) -> None:
    text = street(*rows(300), row(301, outcome="Caf\xe9"), *rows(10, 400))
    read = read_police_uk(project({"data/a.csv": text.encode("cp1252")}), spec(), block_size=2048)
    assert read.read_all()["outcome"].to_pylist()[300] == "Café"
    assert [w.line for w in read.warnings] == [302]


def test_utf8_with_and_without_bom_read_the_same(project: Project) -> None:
    text = street(row(1), row(2, outcome="Résolution locale"))
    plain = read_police_uk(project({"data/a.csv": text}), spec()).read_all()
    read = read_police_uk(project({"data/a.csv": b"\xef\xbb\xbf" + text.encode()}), spec())
    assert read.read_all().equals(plain) and read.warnings == []


def test_utf16_with_bom_is_read(project: Project) -> None:
    text = street(row(1), row(2, outcome="Résolution locale"))
    read = read_police_uk(project({"data/a.csv": text.encode("utf-16")}), spec())
    assert read.read_all()["outcome"].to_pylist() == ["Under investigation", "Résolution locale"]


def test_utf8_mixed_with_windows_1252_is_an_error(project: Project) -> None:
    data = street(row(1, outcome="Résolution"), row(2)).encode() + row(3, outcome="Caf\xe9").encode(
        "cp1252"
    )
    error = the_error(project({"data/a.csv": data}))
    assert (error.file, error.line) == ("data/a.csv", 4)
    assert error.message == (
        "the file mixes UTF-8 text (from line 2) with bytes that are not UTF-8 "
        "(0xE9 on line 4); it cannot be decoded reliably"
    )


# --- batches and progress ---------------------------------------------------------------------


def test_batches_are_streamed_and_progress_is_reported(project: Project) -> None:
    catalogue = project({f"data/{n}": (FIXTURES / n).read_bytes() for n in NAMES})
    calls: list[tuple[int, int, str]] = []
    read = read_police_uk(
        catalogue,
        spec(),
        lambda done, total, label: calls.append((done, total, label)),
        block_size=1024,
    )
    sizes = []
    for batch in read:
        assert batch.schema == RECORD_SCHEMA
        sizes.append(batch.num_rows)
    assert len(sizes) > 10 and max(sizes) < 10 and sum(sizes) == 85
    total = sum((FIXTURES / n).stat().st_size for n in NAMES)
    assert len(calls) > len(sizes) and all(t == total for _, t, _ in calls)
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls) and calls[-1][0] == total
    assert {label for _, _, label in calls} == {f"data/{n}" for n in NAMES}


def test_line_numbers_are_exact_across_small_batches(project: Project) -> None:
    lines = [*rows(40), row(41, crime_id=""), "", *rows(10, 50), row(60, force="Narnia Police")]
    found = errors(project({"data/a.csv": street(*lines)}), block_size=1024)
    assert [f.line for f in found] == [42, 54]


def test_no_batch_after_an_error_and_the_error_comes_from_the_iteration(project: Project) -> None:
    lines = [*rows(60), row(61, crime_id="")]
    read = read_police_uk(project({"data/a.csv": street(*lines)}), spec(), block_size=1024)
    seen = 0
    with pytest.raises(ValidationFailed):
        for batch in read:
            seen += batch.num_rows
    assert 0 < seen < 60  # batches before the bad one came out; none after
    stream = read_police_uk(project({"data/a.csv": street(*lines)}), spec()).reader()
    with pytest.raises(ValidationFailed):
        stream.read_all()


def test_a_source_of_another_type_is_refused(project: Project) -> None:
    with pytest.raises(KpiboardError, match="not 'police_uk_street'"):
        read_police_uk(project({}), SourceSpec("prc", "home_office_prc", ["x.csv"]))


# --- several files at once ----------------------------------------------------------------------


def several_files() -> dict[str, str | bytes]:
    """Eight files over three months, with findings in several of them (in every kind of place:
    a new crime type in two files, rows set aside, a Crime ID repeated across files, a blank
    Crime ID in the second file, a Windows-1252 file, a short line)."""
    return {
        "data/2017-06-a.csv": street(
            *rows(30, month="2017-06"), row(31, month="2017-06", crime_type="Fraud")
        ),
        "data/2017-06-b.csv": street(
            *rows(20, 100, month="2017-06"), row(120, month="2017-06", crime_id="")
        ),
        "data/2017-06-c.csv": street(
            *rows(20, 200, month="2017-06", force="British Transport Police")
        ),
        "data/2017-07-a.csv": street(
            *rows(40, month="2017-07"), row(41, month="2017-07", crime_type="Fraud")
        ),
        "data/2017-07-b.csv": street(
            *rows(10, 35, month="2017-07", force="North Yorkshire Police")
        ),
        "data/2017-07-c.csv": street(
            *rows(15, 300, month="2017-07"), row(1, month="2017-07"), "a,short,line"
        )
        .replace("Swithen", "Swithén")
        .encode("cp1252"),
        "data/2017-08-a.csv": street(
            *rows(25, month="2017-08", crime_type="Anti-social behaviour")
        ),
        "data/2017-08-b.csv": street(
            *rows(25, 500, month="2017-08"), row(530, month="2017-08", force="Narnia")
        ),
        "data/2017-08-c.csv": street(
            *rows(30, 600, month="2017-08"),
            row(630, month="2017-08").replace("On or near Swithen Hill", '"Swithen\nHill, Upper"'),
            *rows(5, 640, month="2017-08"),
            row(650, month="2017-08", crime_id=""),
        ),
    }


def read_everything(catalogue: Catalogue, workers: int, block_size: int) -> tuple[object, ...]:
    """All a read gives: its batches, every finding in order, stamps, warnings, counts, progress."""
    calls: list[tuple[int, int, str]] = []
    read = read_police_uk(
        catalogue,
        spec(set_aside=["British Transport Police"]),
        lambda done, total, label: calls.append((done, total, label)),
        block_size=block_size,
        workers=workers,
    )
    batches: list[pa.RecordBatch] = []
    found: list[Finding] = []
    try:
        for batch in read:
            batches.append(batch)
    except ValidationFailed as exc:
        found = list(exc.findings)
    return batches, found, read.files, read.warnings, read.set_aside, read.rows, calls


@pytest.mark.parametrize("block_size", [1024, 1 << 20])
def test_several_files_at_once_give_what_one_at_a_time_gives(
    project: Project, block_size: int
) -> None:
    catalogue = project(several_files())
    one = read_everything(catalogue, 1, block_size)
    found = one[1]
    assert isinstance(found, list) and len(found) >= 6  # the case has findings of every kind
    assert sum(1 for f in found if "'Fraud'" in f.message) == 1  # a new type: once a read
    for workers in (2, 3, 8):
        assert read_everything(catalogue, workers, block_size) == one


@pytest.mark.parametrize("block_size", [1024, 4096, 1 << 20])
def test_files_read_whole_give_what_streamed_files_give(
    project: Project, block_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpiboard.ingest.police_uk import reader

    catalogue = project(several_files())
    whole = read_everything(catalogue, 1, block_size)
    monkeypatch.setattr(reader, "WHOLE_FILE", 0)
    streamed = read_everything(catalogue, 1, block_size)
    assert whole[:-1] == streamed[:-1]  # (progress: once a batch, but the bytes read differ)
    assert any("line break inside a quoted value" in f.message for f in whole[1])  # type: ignore[attr-defined]


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r"])
def test_pyarrow_splits_quote_free_text_the_same_whether_or_not_told_it_has_no_line_breaks_in_values(
    end: str,
) -> None:
    # What reading a quote-free file whole and parsing it the quick way relies on: the same
    # batches (so the same findings in the same order) at every block size.
    import pyarrow.csv as pv

    text = street(*(row(n, outcome="x" * (n % 37)) for n in range(200)), end=end).encode()
    names = [f"c{i}" for i in range(len(COLUMNS))]
    for block_size in range(700, 1100, 7):
        counts = []
        for quotes in (True, False):
            batches = pv.open_csv(
                pa.BufferReader(text),
                pv.ReadOptions(column_names=names, block_size=block_size),
                pv.ParseOptions(newlines_in_values=quotes, ignore_empty_lines=False),
                pv.ConvertOptions(column_types={c: pa.string() for c in names}),
            )
            counts.append([b.num_rows for b in batches])
        assert counts[0] == counts[1] and len(counts[0]) > 10, block_size


def test_several_good_files_at_once_give_the_same_batches(project: Project) -> None:
    files = {
        f"data/2017-{m:02d}-{x}.csv": street(*rows(50, 100 * i, month=f"2017-{m:02d}"))
        for m in (5, 6, 7)
        for i, x in enumerate("abcd")
    }
    catalogue = project(files)
    one = read_everything(catalogue, 1, 1024)
    assert one[1] == [] and one[5] == 600 and len(one[2]) == 12  # type: ignore[arg-type]
    assert read_everything(catalogue, 4, 1024) == one


def test_an_abandoned_read_of_several_files_stops_its_threads(project: Project) -> None:
    import threading

    catalogue = project({f"data/2017-07-{i}.csv": street(*rows(200, 1000 * i)) for i in range(6)})
    before = threading.active_count()
    batches = iter(read_police_uk(catalogue, spec(), block_size=1024, workers=3))
    next(batches)
    batches.close()  # type: ignore[attr-defined]
    assert threading.active_count() == before


def test_workers_must_be_positive(project: Project) -> None:
    with pytest.raises(ValueError, match="workers"):
        read_police_uk(project({}), spec(), workers=0)


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's"
)
def test_files_read_at_once_are_read_below_the_loaders_priority(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warehouse's insert (the caller's priority) must win the cores over the readers."""
    import os
    import threading

    from kpiboard.ingest.police_uk import ahead, reader

    seen: list[tuple[int, int]] = []
    plain_file = reader._Reader._file

    def file_noting_priority(self: object, f: object) -> object:
        tid = threading.get_native_id()
        seen.append((tid, os.getpriority(os.PRIO_PROCESS, tid)))
        return plain_file(self, f)  # type: ignore[arg-type]

    monkeypatch.setattr(reader._Reader, "_file", file_noting_priority)
    catalogue = project({f"data/2017-07-{i}.csv": street(*rows(50, 1000 * i)) for i in range(4)})
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert read_police_uk(catalogue, spec(), workers=2).read_all().num_rows == 200
    assert (
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
    )  # the caller's is kept
    assert len(seen) == 4 and all(tid != threading.get_native_id() for tid, _ in seen)
    assert {nice for _, nice in seen} == {min(19, mine + ahead.READER_NICENESS)}
