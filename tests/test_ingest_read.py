"""Reading observation CSVs: the happy paths, encodings, defaults and progress."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import GOOD_CSV, ProjectFactory

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import ValidationFailed
from kpiboard.ingest import OBSERVATION_SCHEMA, check_data, read_observations


def read(root: Path):  # type: ignore[no-untyped-def]
    return read_observations(load_catalogue(root))


def test_reads_good_csv_into_the_observation_schema(make_project: ProjectFactory) -> None:
    result = read(make_project())
    assert result.table.schema == OBSERVATION_SCHEMA
    assert result.rows == 8 and result.warnings == []
    rows = result.table.to_pylist()
    first = rows[0]
    assert first == {
        "org": "MPS",
        "measure": "burglary",
        "period_end": dt.date(2009, 7, 1),
        "months": 1,
        "numerator": 7000.0,
        "denominator": None,
        "value": None,
        "sample_size": None,
        "provisional": False,
        "note": None,
        "source": "data/crime.csv:2",
    }
    assert rows[1]["provisional"] is True and rows[1]["note"] == "provisional figure"
    # aliases are canonicalised, blank months mean one month
    assert (rows[2]["org"], rows[2]["months"]) == ("MPS", 1)
    assert rows[4]["months"] == 12 and rows[4]["denominator"] == 10000.0
    # negative values are fine for snapshot and mean measures
    assert [r["value"] for r in rows[6:]] == [-1.5, -0.5]
    [stamp] = result.files
    assert stamp.path == "data/crime.csv" and stamp.rows == 8 and len(stamp.sha256) == 64
    assert stamp.size == len(GOOD_CSV.encode())


def test_columns_in_any_order_and_only_the_required_ones(make_project: ProjectFactory) -> None:
    csv = "note,period_end,numerator,measure,org\nhello,2009-08,12,burglary,GMP\n"
    rows = read(make_project({"data/x.csv": csv})).table.to_pylist()
    assert rows[0]["org"] == "GMP" and rows[0]["numerator"] == 12.0 and rows[0]["note"] == "hello"
    assert rows[0]["months"] == 1 and rows[0]["provisional"] is False


@pytest.mark.parametrize(
    "text,expected",
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("FALSE", False),
        ("no", False),
        ("0", False),
        ("", False),
    ],
)
def test_provisional_spellings(make_project: ProjectFactory, text: str, expected: bool) -> None:
    csv = f"org,measure,period_end,numerator,provisional\nMPS,burglary,2009-08,1,{text}\n"
    assert read(make_project({"data/x.csv": csv})).table.to_pylist()[0]["provisional"] is expected


def test_utf8_bom_loads_without_warning(make_project: ProjectFactory) -> None:
    data = (
        b"\xef\xbb\xbf"
        + "org,measure,period_end,numerator,note\nMPS,burglary,2009-08,5,£12m\n".encode()
    )
    result = read(make_project({"data/bom.csv": data}))
    assert result.warnings == []
    assert result.table.to_pylist()[0]["note"] == "£12m"


def test_cp1252_file_loads_with_a_warning_naming_file_and_line(
    make_project: ProjectFactory,
) -> None:
    data = (
        "org,measure,period_end,numerator,note\n"
        "MPS,burglary,2009-07,5,plain\n"
        "MPS,burglary,2009-08,6,cost \u00a312m \u2013 est.\n"
    ).encode("cp1252")
    result = read(make_project({"data/old.csv": data}))
    assert result.table.to_pylist()[1]["note"] == "cost £12m – est."
    [warning] = result.warnings
    assert (warning.level, warning.file, warning.line) == ("warning", "data/old.csv", 3)
    assert "not UTF-8" in warning.message and "0xA3" in warning.message
    assert "UTF-8" in (warning.hint or "")


def test_header_only_file_is_a_warning_not_an_error(make_project: ProjectFactory) -> None:
    result = read(
        make_project({"data/a.csv": GOOD_CSV, "data/empty.csv": "org,measure,period_end\n"})
    )
    assert result.rows == 8
    [warning] = result.warnings
    assert (warning.level, warning.file, warning.line) == ("warning", "data/empty.csv", None)
    assert "no data rows" in warning.message and "remove the file" in (warning.hint or "")


def test_blank_lines_and_quoted_multiline_notes_keep_physical_line_numbers(
    make_project: ProjectFactory,
) -> None:
    csv = (
        "org,measure,period_end,numerator,note\n"
        'MPS,burglary,2009-06,1,"two\nlines"\n'
        "\n"
        ",,,,\n"
        "MPS,burglary,2009-07,2,\n"
    )
    result = read(make_project({"data/x.csv": csv}))
    assert [r["source"] for r in result.table.to_pylist()] == ["data/x.csv:2", "data/x.csv:6"]
    assert result.table.to_pylist()[0]["note"] == "two\nlines"


def test_files_are_read_from_all_globs_once(make_project: ProjectFactory) -> None:
    root = make_project(
        {"data/a.csv": GOOD_CSV, "more/b.csv": GOOD_CSV.replace("2009", "2008")},
        project_extra="data: [data/*.csv, more/*.csv, data/a.csv]\n",
    )
    result = read(root)
    assert [f.path for f in result.files] == ["data/a.csv", "more/b.csv"]
    assert result.rows == 16


def test_explicit_files_relative_to_the_project(make_project: ProjectFactory) -> None:
    root = make_project({"data/a.csv": GOOD_CSV, "data/b.csv": "not,a,header\n"})
    result = read_observations(load_catalogue(root), files=["data/a.csv"])
    assert [f.path for f in result.files] == ["data/a.csv"]


def test_progress_reports_lines_up_to_the_total(make_project: ProjectFactory) -> None:
    calls: list[tuple[int, int, str]] = []
    root = make_project({"data/a.csv": GOOD_CSV, "data/b.csv": GOOD_CSV.replace("2009", "2008")})
    read_observations(
        load_catalogue(root), progress=lambda d, t, label: calls.append((d, t, label))
    )
    assert calls, "progress was never called"
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and calls[-1][0] == calls[-1][1]
    assert {label for _, _, label in calls} == {"data/a.csv", "data/b.csv"}


def test_check_data_returns_findings_instead_of_raising(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "data/a.csv": "org,measure,period_end,numerator\nMPS,burglary,2009-08,x\n",
            "data/b.csv": "org,measure,period_end\n",
        }
    )
    findings = check_data(load_catalogue(root))
    assert [(f.level, f.file) for f in findings] == [
        ("error", "data/a.csv"),
        ("warning", "data/b.csv"),
    ]
    assert (
        check_data(load_catalogue(make_project({"data/a.csv": GOOD_CSV}, root=root.parent / "p2")))
        == []
    )


def test_validation_failed_carries_warnings_too(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "data/a.csv": "org,measure,period_end,numerator\nMPS,burglary,2009-08,x\n",
            "data/b.csv": "org,measure,period_end\n",
        }
    )
    with pytest.raises(ValidationFailed) as info:
        read(root)
    assert {f.level for f in info.value.findings} == {"error", "warning"}
    assert "1 error(s)" in info.value.message
