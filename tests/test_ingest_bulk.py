"""The bulk reader of tidy CSV files (``ingest.bulk``) against the row-by-row reader.

Its contract: it returns exactly what the row-by-row reader returns (rows, values, order,
``source``, file stamps and warnings), or it is not sure (NotSure) and the row-by-row reader
decides. It must never accept a file the row-by-row reader refuses. Each test reads the same
files both ways.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import GOOD_CSV, ProjectFactory

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.ingest import read_observations
from kpiboard.ingest.bulk import WHITESPACE, NotSure, _number, read_bulk
from kpiboard.ingest.files import data_files
from kpiboard.ingest.schema import ReadResult
from kpiboard.warehouse import Warehouse, ingest_project

EXAMPLES = sorted(p for p in (Path(__file__).parent.parent / "examples").iterdir() if p.is_dir())
HEADER = "org,measure,period_end,months,numerator,denominator,value,sample_size,provisional,note"


def both(root: Path) -> tuple[ReadResult | ValidationFailed, ReadResult | NotSure]:
    """What the row-by-row reader and the bulk reader make of the project's data files."""
    cat = load_catalogue(root)
    old: ReadResult | ValidationFailed
    new: ReadResult | NotSure
    try:
        old = read_observations(cat, bulk=False)
    except ValidationFailed as exc:
        old = exc
    paths, _ = data_files(cat)
    try:
        new = read_bulk(cat, paths)
    except NotSure as exc:
        new = exc
    return old, new


def assert_same(old: ReadResult | ValidationFailed, new: ReadResult | NotSure) -> None:
    assert isinstance(old, ReadResult), f"bulk accepted what the row reader refuses: {old}"
    assert isinstance(new, ReadResult)
    assert new.table.schema == old.table.schema
    assert new.table.to_pylist() == old.table.to_pylist()
    assert new.files == old.files
    assert new.warnings == old.warnings


def test_whitespace_is_what_str_strip_removes() -> None:
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == WHITESPACE


def test_a_clean_project_is_read_in_bulk_exactly_as_row_by_row(
    make_project: ProjectFactory,
) -> None:
    old, new = both(
        make_project(
            {
                "data/a.csv": GOOD_CSV,
                "data/b.csv": "\n".join(GOOD_CSV.replace("2009", "2008").splitlines()[:2]) + "\n",
            }
        )
    )
    assert not isinstance(new, NotSure), new
    assert_same(old, new)
    assert isinstance(new, ReadResult) and new.rows == 9


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_read_alike(example: Path) -> None:
    old, new = both(example)
    if isinstance(new, ReadResult):
        assert_same(old, new)
    else:  # not sure: then the row reader decides, and read_observations says the same
        cat = load_catalogue(example)
        assert read_observations(cat).table.equals(read_observations(cat, bulk=False).table)


@pytest.mark.parametrize(
    "text",
    [
        # cells with whitespace at their edges (ASCII and not), trimmed as str.strip does
        GOOD_CSV.replace("MPS,burglary,2009-07", " MPS\t,burglary\u00a0,\u30002009-07 "),
        GOOD_CSV.replace(",overspend", ",  over spend \u2003"),
        # quoted cells, a comma inside one; Windows line ends; a byte-order mark
        GOOD_CSV.replace(",overspend", ',"over, spend"').replace("MPS,", '"MPS",', 1),
        GOOD_CSV.replace("\n", "\r\n"),
        GOOD_CSV.replace(",overspend", ',"the ""big"" one"'),  # a quote in a value
        GOOD_CSV.replace("\n", "\r\n").replace(",overspend", ',"a, b"'),
        "\ufeff" + GOOD_CSV,
        GOOD_CSV.rstrip("\n"),  # no line end after the last row
        # columns in another order, a blank-named column (a warning), spelling of the header
        "Note,Period End,ORG,measure,numerator,,provisional\n"
        "x,2009-08,MPS,burglary,12,,Yes\n,2009-09,gmp,burglary,1e3,,TRUE\n"
        ",2009-10,Metropolitan Police Service,burglary,+5,,0\n",
        # number spellings Python and DuckDB both read, negatives where allowed
        HEADER + "\nMPS,response_time,2009-08,1,,,-0,,,\nMPS,budget,2009-08,3,,,.5,,n,\n"
        "MPS,confidence,2009-08,1,5.,10.0,,,,\nMPS,confidence,2009-09,12,,,99.9,0012,,\n",
        # a row of empty cells (skipped, as a spreadsheet leaves them), blank lines
        GOOD_CSV + ",,,,,,,,,\n",
        GOOD_CSV + "\n",
        GOOD_CSV.replace("GMP,", "\n\r\nGMP,"),
    ],
)
def test_unusual_but_good_files_read_alike(make_project: ProjectFactory, text: str) -> None:
    old, new = both(make_project({"data/a.csv": text}))
    assert not isinstance(new, NotSure), new
    assert_same(old, new)


@pytest.mark.parametrize(
    "text",
    [
        GOOD_CSV.replace(",overspend", ',"over\nspend"'),  # a note over two lines
        GOOD_CSV.replace(",overspend", ',"open'),  # a quote left open at the end
        GOOD_CSV.replace(",overspend", ',"over"spend'),  # text after a closing quote
        GOOD_CSV.replace(",overspend", ',over"spend'),  # a quote inside an unquoted value
        GOOD_CSV.replace("\n", "\r", 2),  # old Mac line ends
        GOOD_CSV.encode("cp1252").replace(b"overspend", b"\xa3overspend"),  # a warning
        GOOD_CSV.encode("utf-16"),
        HEADER + "\n",  # header only: a warning the row reader words
    ],
)
def test_unusual_files_are_left_to_the_row_reader(
    make_project: ProjectFactory, text: str | bytes
) -> None:
    root = make_project({"data/a.csv": text})
    _old, new = both(root)
    assert isinstance(new, NotSure)
    cat = load_catalogue(root)
    assert outcome(cat, bulk=True) == outcome(cat, bulk=False)


def outcome(cat: Catalogue, *, bulk: bool) -> object:
    """What read_observations makes of a project: its rows, or its findings."""
    try:
        return read_observations(cat, bulk=bulk).table.to_pylist()
    except ValidationFailed as exc:
        return exc.findings


# cells that each break a rule or sit at its edge; a project of a few rows with a few of them
# is read both ways: the bulk reader must refuse (NotSure) whatever the row reader refuses
CELLS = {
    "org": ["MPS", "Met", "gmp", "WMP", "", "XYZ", "West Midlands Police", " MPS", "M P S"],
    "measure": ["burglary", "confidence", "budget", "response_time", "sac", "Burglary", "", "x"],
    "period_end": [
        "2009-08",
        "2009-8",
        "2009-13",
        "Aug-09",
        "",
        "0000-01",
        "2009-08-01",
        "2010-01",
    ],
    "months": ["", "1", "3", "12", "0", "-1", "1.0", "1201", "x", "\u00b2", "01"],
    "numerator": [
        "5",
        "",
        "7000",
        "-3",
        "1,000",
        "1_000",
        "nan",
        "inf",
        "1e400",
        "0x10",
        "5%",
        "+-1",
        "Infinity",
        "1d",
        "e5",
        " 7 ",
    ],
    "denominator": ["", "10", "0", "4", "-1", "1e2", "abc"],
    "value": ["", "77.3", "-1.5", "101", "-0", "1e-3", "\u0661"],
    "sample_size": ["", "9800", "-5", "x"],
    "provisional": ["", "yes", "No", "TRUE", "1", "0", "maybe", "Y"],
    "note": ["", "a note", "x y", '"a, b"', '"open', '"x""y"', " pad\u00a0", 'a"b'],
}


def _row(rng: random.Random, tricky: float) -> str:
    cells = []
    for pool in CELLS.values():
        cells.append(rng.choice(pool) if rng.random() < tricky else pool[0])
    if cells[1] == "confidence" and rng.random() < 0.5:
        cells[4], cells[5] = "5", "10"
    return ",".join(cells)


def test_random_projects_the_bulk_reader_never_accepts_what_the_row_reader_refuses(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    rng = random.Random(17)
    agreed = refused = 0
    for n in range(80):
        files = {}
        for f in range(rng.choice((1, 2))):
            rows = [_row(rng, rng.choice((0.0, 0.05, 0.15))) for _ in range(rng.randint(1, 6))]
            # distinct months keep most keys apart; some projects repeat one on purpose
            rows = [
                r.replace("2009-08", f"{2000 + i % 9}-{f * 6 + i % 6 + 1:02d}", 1)
                if rng.random() < 0.9
                else r
                for i, r in enumerate(rows)
            ]
            files[f"data/f{f}.csv"] = HEADER + "\n" + "\n".join(rows) + "\n"
        old, new = both(make_project(files, root=tmp_path / f"p{n}"))
        if isinstance(new, ReadResult):
            assert_same(old, new)
            agreed += 1
        elif isinstance(old, ValidationFailed):
            refused += 1
    # both kinds of project came up, so the test can fail either way
    assert agreed >= 15 and refused >= 15, (agreed, refused)


def test_errors_still_name_file_line_and_field(make_project: ProjectFactory) -> None:
    bad = GOOD_CSV.replace("GMP,burglary,2009-08,1,1200", "GMP,burglary,2009-08,1,12oo")
    root = make_project({"data/a.csv": GOOD_CSV.replace("2009", "2008"), "data/b.csv": bad})
    with pytest.raises(ValidationFailed) as got:
        read_observations(load_catalogue(root))
    [error] = [f for f in got.value.findings if f.level == "error"]
    assert (error.file, error.line) == ("data/b.csv", 5)
    assert error.message == "numerator: '12oo' is not a number"


def test_a_warehouse_loaded_in_bulk_holds_what_the_row_reader_loads(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    files = {"data/a.csv": GOOD_CSV, "data/b.csv": GOOD_CSV.replace("2009", "2007")}
    bulk_root = make_project(files, root=tmp_path / "bulk")
    rows_root = make_project(files, root=tmp_path / "rows")
    summary = ingest_project(load_catalogue(bulk_root))
    cat = load_catalogue(rows_root)
    old = read_observations(cat, bulk=False)
    with Warehouse.open(cat) as wh:
        wh.load(old.table, old.files, complete=True)
        by_rows = wh.observations().order_by(["source"]).to_pyarrow()
    with Warehouse.open(load_catalogue(bulk_root)) as wh:
        by_bulk = wh.observations().order_by(["source"]).to_pyarrow()
    assert summary.rows == 16 and by_bulk.num_rows == 16
    assert by_bulk.equals(by_rows)


def test_a_superscript_month_count_is_an_error_not_a_crash(make_project: ProjectFactory) -> None:
    # "²".isdigit() is true but int("²") fails: the row reader once crashed on it
    root = make_project({"data/a.csv": HEADER + "\nMPS,burglary,2009-08,\u00b2,5,,,,,\n"})
    with pytest.raises(ValidationFailed) as got:
        read_observations(load_catalogue(root))
    [error] = got.value.findings
    assert (error.file, error.line) == ("data/a.csv", 2)
    assert error.message == "months: '\u00b2' is not a positive whole number"


def test_a_repeated_key_given_straight_to_the_load_is_refused_whole(
    make_project: ProjectFactory,
) -> None:
    # the observations table has no primary key: the load's own check refuses a repeated key
    cat = load_catalogue(make_project())
    ingest_project(cat)
    table = read_observations(cat).table
    with Warehouse.open(cat) as wh:
        before = wh.observations().order_by(["source"]).to_pyarrow()
        changed = table.set_column(0, "org", pa.array(["GMP"] * table.num_rows))
        with pytest.raises(KpiboardError, match=r"rolled back.*more than once"):
            wh.load(pa.concat_tables([changed, changed.slice(0, 1)]), [])
        assert wh.observations().order_by(["source"]).to_pyarrow().equals(before)


def test_numbers_arrow_reads_are_read_alike_by_python() -> None:
    # the bulk reader relies on Arrow's cast reading a subset of float()'s spellings, alike
    rng = random.Random(9)
    chars = "0123456789+-.eE_ xinfaINFApd\u0661"
    texts = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 7))) for _ in range(20000)]
    texts += ["1e400", "-0", ".5", "5.", "+.5", "1e-400", "00012", "0x10", "1_000", "+-1"]
    accepted = 0
    for text in texts:
        try:
            got = _number(pa.chunked_array([pa.array([text])]))[0].as_py()
        except NotSure:
            continue
        accepted += 1
        assert "_" not in text and float(text) == got, text
        assert str(float(text)) == str(got), text  # -0.0 stays -0.0
    assert accepted > 1000


def test_a_key_repeated_across_files_is_named_with_both_lines(
    make_project: ProjectFactory,
) -> None:
    # "Met" and "MPS" are one organisation, "" and "1" one length: the same key
    root = make_project(
        {
            "data/a.csv": HEADER + "\nMPS,burglary,2009-08,,5,,,,,\n",
            "data/b.csv": HEADER
            + "\nGMP,burglary,2009-08,1,5,,,,,\nMet,burglary,2009-08,1,6,,,,,\n",
        }
    )
    _old, new = both(root)
    assert isinstance(new, NotSure)
    with pytest.raises(ValidationFailed) as got:
        read_observations(load_catalogue(root))
    [error] = got.value.findings
    assert (error.file, error.line) == ("data/b.csv", 3)
    assert error.message == (
        "period_end: duplicate row: MPS burglary 2009-08 (months 1) is also at data/a.csv:2"
    )


@pytest.mark.parametrize(("since", "bulk"), [("2009-09", True), ("2009-08", False)])
def test_a_measure_entered_on_the_dashboard_takes_rows_before_its_first_month(
    make_project: ProjectFactory, since: str, bulk: bool
) -> None:
    root = make_project()
    measures = (root / "measures" / "crime.yaml").read_text()
    entered = measures.replace(
        '    kind: snapshot\n    unit: "£m"\n',
        f'    kind: snapshot\n    unit: "£m"\n    entry: {{enter: ["role:editor"], since: {since}}}\n',
    )
    assert entered != measures
    (root / "measures" / "crime.yaml").write_text(entered)
    old, new = both(root)
    if bulk:  # the budget row is for 2009-08, before the first month entered
        assert_same(old, new)
    else:
        assert isinstance(new, NotSure) and isinstance(old, ValidationFailed)
