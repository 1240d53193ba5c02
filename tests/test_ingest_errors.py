"""Bad data -> every problem reported with file, line, field, and a hint saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_CSV, ProjectFactory

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import Finding, ValidationFailed
from kpiboard.ingest import MAX_ERRORS_PER_FILE, read_observations

HEADER = "org,measure,period_end,months,numerator,denominator,value,sample_size,provisional,note\n"


def findings_for(root: Path) -> list[Finding]:
    with pytest.raises(ValidationFailed) as info:
        read_observations(load_catalogue(root))
    return list(info.value.findings)


def errors_for(
    make_project: ProjectFactory, rows: str, header: str = HEADER, name: str = "data/crime.csv"
) -> list[Finding]:
    return [f for f in findings_for(make_project({name: header + rows})) if f.level == "error"]


def the_error(make_project: ProjectFactory, rows: str, header: str = HEADER) -> Finding:
    errors = errors_for(make_project, rows, header)
    assert len(errors) == 1, [e.render() for e in errors]
    return errors[0]


# (row after the header, subject, message, text in the hint)
ROW_CASES = [
    (
        "MPS,burglary,2009-08,1,abc,,,,,",
        "burglary",
        "numerator: 'abc' is not a number",
        "plain number",
    ),
    (
        'MPS,burglary,2009-08,1,"1,234",,,,,',
        "burglary",
        "numerator: '1,234' is not a number",
        "'1234' without the thousands separator",
    ),
    (
        "MPS,confidence,2009-08,12,,,77.3%,1000,,",
        "confidence",
        "value: '77.3%' is not a number",
        "without the % sign",
    ),
    (
        "MPS,burglary,2009-08,1,nan,,,,,",
        "burglary",
        "numerator: 'nan' is not a number",
        "plain number",
    ),
    (
        "MPS,burglary,2009-08,1,-5,,,,,",
        "burglary",
        "numerator: -5 is negative",
        "cannot be negative",
    ),
    (
        "MPS,confidence,2009-08,12,5,-10,,,,",
        "confidence",
        "denominator: -10 is negative",
        "check the sign",
    ),
    (
        "MPS,confidence,2009-08,12,,,50,-3,,",
        "confidence",
        "sample_size: -3 is negative",
        "check the sign",
    ),
    (
        "MPS,burglary,2009-08,1,,,-4,,,",
        "burglary",
        "value: -4 is negative, but a count cannot be",
        "only snapshot and mean",
    ),
    (
        "MPS,confidence,2009-08,12,,,-4,100,,",
        "confidence",
        "value: -4 is negative, but a proportion cannot be",
        "only snapshot and mean",
    ),
    (
        "MPS,burglary_rate,2009-08,1,,,-0.5,,,",
        "burglary_rate",
        "value: -0.5 is negative, but a per_population cannot be",
        "only snapshot and mean",
    ),
    ("MPS,confidence,2009-08,12,0,0,,,,", "confidence", "denominator: is zero", "above zero"),
    (
        "MPS,confidence,2009-08,12,120,100,,,,",
        "confidence",
        "numerator: 120 is more than the denominator 100",
        "swapped",
    ),
    (
        "MPS,confidence,2009-08,12,,,120,1000,,",
        "confidence",
        "value: 120 is outside 0-100",
        "percentage",
    ),
    (
        "MPS,confidence,2009-08,12,50,,,,,",
        "confidence",
        "denominator: is blank, but a proportion needs one",
        "give the denominator",
    ),
    (
        "MPS,burglary,2009-13,1,5,,,,,",
        "burglary",
        "period_end: '2009-13' has no month 13",
        "YYYY-MM",
    ),
    (
        "MPS,burglary,Aug-09,1,5,,,,,",
        "burglary",
        "period_end: 'Aug-09' is not a month",
        "YYYY-MM: 2009-08 for 'Aug-09'",
    ),
    (
        "MPS,burglary,2009/08/31,1,5,,,,,",
        "burglary",
        "period_end: '2009/08/31' is not a month",
        "YYYY-MM",
    ),
    ("MPS,burglary,,1,5,,,,,", "burglary", "period_end: is blank", "YYYY-MM"),
    (
        "MPS,burglary,2009-08,0,5,,,,,",
        "burglary",
        "months: '0' is not a positive whole number",
        "12 for a rolling",
    ),
    (
        "MPS,burglary,2009-08,1.5,5,,,,,",
        "burglary",
        "months: '1.5' is not a positive whole number",
        "1 for a month",
    ),
    (
        "MPS,burglary,2009-08,-3,5,,,,,",
        "burglary",
        "months: '-3' is not a positive whole number",
        "3 for a quarter",
    ),
    (
        "MPS,burglry,2009-08,1,5,,,,,",
        None,
        "measure: unknown measure 'burglry'",
        "did you mean 'burglary'",
    ),
    (
        "MPS,Burglary,2009-08,1,5,,,,,",
        None,
        "measure: unknown measure 'Burglary'",
        "did you mean 'burglary'?",
    ),
    (
        "MPS,shoplifting,2009-08,1,5,,,,,",
        None,
        "measure: unknown measure 'shoplifting'",
        "measures/*.yaml",
    ),
    (
        "Metropolitn,burglary,2009-08,1,5,,,,,",
        "burglary",
        "org: unknown organisation 'Metropolitn'",
        "did you mean 'MPS'?",
    ),
    (
        "Kent,burglary,2009-08,1,5,,,,,",
        "burglary",
        "org: unknown organisation 'Kent'",
        "organisations in kpiboard.yaml",
    ),
    (",burglary,2009-08,1,5,,,,,", "burglary", "org: is blank", "organisation's id"),
    (
        "MPS,sac,2009-08,1,5,,,,,",
        "sac",
        "measure: 'sac' is a composite measure; kpiboard computes it",
        "give data for 'robbery' and 'vehicle'",
    ),
    (
        "MPS,confidence_gap,2009-08,12,,,3,,,",
        "confidence_gap",
        "measure: 'confidence_gap' is a difference measure",
        "'confidence' and 'confidence_bme'",
    ),
    (
        "MPS,burglary,2009-08,1,,,,,,a note",
        "burglary",
        "numerator: numerator and value are both blank",
        "give the count in numerator",
    ),
    (
        "MPS,confidence,2009-08,12,,100,,500,,",
        "confidence",
        "numerator: numerator and value are both blank",
        "figure in value",
    ),
    (
        "MPS,burglary,2009-08,1,5,,,,maybe,",
        "burglary",
        "provisional: 'maybe' is not yes or no",
        "yes/no",
    ),
]


@pytest.mark.parametrize("row,subject,message,hint", ROW_CASES, ids=[c[2][:40] for c in ROW_CASES])
def test_bad_row(
    make_project: ProjectFactory, row: str, subject: str | None, message: str, hint: str
) -> None:
    good = "MPS,burglary,2009-01,1,1,,,,,\n"
    err = the_error(make_project, good + row + "\n")
    assert (err.level, err.file, err.line, err.subject) == ("error", "data/crime.csv", 3, subject)
    assert err.message.startswith(message), err.message
    assert err.hint and hint in err.hint, err.hint


def test_all_problems_of_a_row_and_of_a_file_are_reported(make_project: ProjectFactory) -> None:
    errors = errors_for(
        make_project, "MPS,burglary,2009-13,x,abc,,,,,\nMPS,burglary,2009-08,1,-1,,,,,\n"
    )
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [
        (2, "period_end"),
        (2, "months"),
        (2, "numerator"),
        (3, "numerator"),
    ]


def test_misspelled_column_suggests_the_nearest(make_project: ProjectFactory) -> None:
    header = "org,measure,peroid_end,numerator\n"
    err = the_error(make_project, "MPS,burglary,2009-08,5\n", header)
    assert (err.file, err.line) == ("data/crime.csv", 1)
    assert err.message == "unknown column 'peroid_end' (did you mean 'period_end'?)"
    assert err.hint == "rename the column to 'period_end'"


def test_missing_and_unknown_columns(make_project: ProjectFactory) -> None:
    errors = errors_for(make_project, "MPS,2009-08,5,x\n", "org,period_end,numerator,colour\n")
    assert [(e.line, e.message) for e in errors] == [
        (1, "unknown column 'colour'"),
        (1, "missing required column 'measure'"),
    ]
    assert "the columns are org, measure" in (errors[0].hint or "")
    assert "org, measure, period_end" in (errors[1].hint or "")


def test_repeated_column(make_project: ProjectFactory) -> None:
    err = the_error(
        make_project, "MPS,burglary,2009-08,5,6\n", "org,measure,period_end,numerator,numerator\n"
    )
    assert (err.line, err.message) == (1, "column 'numerator' appears twice")


def test_wrong_number_of_fields(make_project: ProjectFactory) -> None:
    err = the_error(
        make_project,
        "MPS,burglary,2009-08,5,note, with comma\n",
        "org,measure,period_end,numerator,note\n",
    )
    assert (err.line, err.message) == (2, "the line has 6 fields but the header has 5")
    assert "double quotes" in (err.hint or "")


def test_duplicate_key_across_files_names_both_lines(make_project: ProjectFactory) -> None:
    root = make_project(
        {
            "data/a.csv": HEADER + "MPS,burglary,2009-07,1,5,,,,,\nMPS,burglary,2009-08,1,5,,,,,\n",
            # the alias and a blank months column make this the same key as a.csv:3
            "data/b.csv": HEADER + "GMP,burglary,2009-08,1,5,,,,,\nMet,burglary,2009-08,,6,,,,,\n",
        }
    )
    [err] = [f for f in findings_for(root) if f.level == "error"]
    assert (err.file, err.line, err.subject) == ("data/b.csv", 3, "burglary")
    assert (
        err.message
        == "period_end: duplicate row: MPS burglary 2009-08 (months 1) is also at data/a.csv:3"
    )
    assert "keep one row per org, measure, period_end and months" in (err.hint or "")


def test_same_month_with_a_different_window_is_not_a_duplicate(
    make_project: ProjectFactory,
) -> None:
    root = make_project(
        {"data/a.csv": HEADER + "MPS,burglary,2009-08,1,5,,,,,\nMPS,burglary,2009-08,12,60,,,,,\n"}
    )
    assert read_observations(load_catalogue(root)).rows == 2


def test_empty_file_is_an_error(make_project: ProjectFactory) -> None:
    root = make_project({"data/a.csv": GOOD_CSV, "data/empty.csv": b""})
    [err] = findings_for(root)
    assert (err.level, err.file, err.line, err.message) == (
        "error",
        "data/empty.csv",
        None,
        "the file is empty",
    )
    assert "header line" in (err.hint or "") and "remove the file" in (err.hint or "")


def test_glob_matching_no_files(make_project: ProjectFactory) -> None:
    root = make_project(
        {"data/a.csv": GOOD_CSV}, project_extra="data: [data/*.csv, exports/*.csv]\n"
    )
    [err] = findings_for(root)
    assert (err.level, err.file, err.message) == (
        "error",
        "kpiboard.yaml",
        "data: 'exports/*.csv' matches no files",
    )
    assert "change `data:` in kpiboard.yaml" in (err.hint or "")


def test_errors_are_capped_per_file(make_project: ProjectFactory) -> None:
    rows = "".join(f"MPS,burglary,2009-08,{i + 1},x,,,,,\n" for i in range(200))
    errors = errors_for(make_project, rows)
    assert len(errors) == MAX_ERRORS_PER_FILE + 1
    assert errors[-1].message == f"stopped checking this file after {MAX_ERRORS_PER_FILE} errors"


def test_unterminated_quote_is_reported_with_its_line(make_project: ProjectFactory) -> None:
    errors = errors_for(make_project, 'MPS,burglary,2009-08,1,5,,,,,"open\n', HEADER)
    assert errors and errors[0].file == "data/crime.csv"
    assert "cannot be parsed" in errors[0].message or "fields" in errors[0].message


def test_unterminated_quote_in_the_header_is_reported_not_raised(
    make_project: ProjectFactory,
) -> None:
    errors = errors_for(make_project, "", '"org,measure\n')
    assert [(e.file, e.line) for e in errors] == [("data/crime.csv", 1)]
    assert errors[0].message == "the CSV cannot be parsed: unexpected end of data"


def test_rendered_finding_reads_like_the_cli_prints_it(make_project: ProjectFactory) -> None:
    err = the_error(make_project, "MPS,burglary,2009-08,1,abc,,,,,\n")
    assert err.render() == (
        "ERROR data/crime.csv:2 burglary: numerator: 'abc' is not a number "
        "(write a plain number such as 1234 or 77.3 (no thousands separators, units or %))"
    )
