"""The warehouse on real DuckDB files: where it lives, atomic and idempotent loads, staleness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import GOOD_CSV, ProjectFactory

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.ingest import KEY_COLUMNS, OBSERVATION_COLUMNS, data_files, read_observations
from kpiboard.periods import format_month
from kpiboard.warehouse import DEFAULT_DUCKDB, Warehouse, ingest_if_stale, ingest_project
from kpiboard.warehouse.tables import OBSERVATIONS_IBIS_SCHEMA

HEADER = "org,measure,period_end,months,numerator,denominator,value,sample_size,provisional,note\n"


def snapshot(wh: Warehouse) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = (
        wh.observations().order_by(list(KEY_COLUMNS)).to_pyarrow().to_pylist()
    )
    return rows


def test_default_warehouse_is_a_duckdb_file_in_the_project(make_project: ProjectFactory) -> None:
    root = make_project()
    with Warehouse.open(load_catalogue(root)) as wh:
        assert wh.backend_name == "duckdb"
        assert wh.observations().schema() == OBSERVATIONS_IBIS_SCHEMA
        assert wh.observations().count().to_pyarrow().as_py() == 0  # empty until ingested
    assert (root / DEFAULT_DUCKDB).is_file()


def test_relative_duckdb_url_is_relative_to_the_project(make_project: ProjectFactory) -> None:
    root = make_project(project_extra="warehouse: duckdb://store/kpi.duckdb\n")
    summary = ingest_project(load_catalogue(root))
    assert (root / "store" / "kpi.duckdb").is_file()
    assert summary.warehouse == f"duckdb://{root / 'store' / 'kpi.duckdb'}"


def test_from_url_with_an_absolute_path(tmp_path: Path) -> None:
    with Warehouse.from_url(f"duckdb://{tmp_path / 'w.duckdb'}") as wh:
        assert wh.observations().count().to_pyarrow().as_py() == 0
    assert (tmp_path / "w.duckdb").is_file()


def test_unreachable_warehouse_is_a_clear_error(make_project: ProjectFactory) -> None:
    root = make_project(project_extra="warehouse: postgres://kp:secret@127.0.0.1:1/nowhere\n")
    with pytest.raises(KpiboardError) as info:
        Warehouse.open(load_catalogue(root))
    assert (
        "cannot connect to the warehouse postgres://kp:***@127.0.0.1:1/nowhere"
        in info.value.message
    )
    assert "secret" not in str(info.value)
    assert "warehouse:" in (info.value.hint or "")


def test_ingest_loads_everything_and_records_the_files(make_project: ProjectFactory) -> None:
    root = make_project()
    summary = ingest_project(load_catalogue(root))
    assert (summary.rows, summary.new_keys, summary.replaced_keys, summary.removed_rows) == (
        8,
        8,
        0,
        0,
    )
    assert summary.rows_by_file == {"data/crime.csv": 8}
    with Warehouse.open(load_catalogue(root)) as wh:
        rows = snapshot(wh)
        assert len(rows) == 8 and list(rows[0]) == list(OBSERVATION_COLUMNS)
        assert rows[0]["period_end"] == dt.date(2009, 8, 1) and rows[0]["org"] == "GMP"
        loads = wh.loads().to_pyarrow().to_pylist()
    assert [(r["load_id"], r["path"], r["rows"], r["size"]) for r in loads] == [
        (1, "data/crime.csv", 8, len(GOOD_CSV.encode()))
    ]
    assert len(loads[0]["sha256"]) == 64 and isinstance(loads[0]["loaded_at"], dt.datetime)


def test_reingesting_is_idempotent_and_replaces_by_key(make_project: ProjectFactory) -> None:
    root = make_project()
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        first = snapshot(wh)
    again = ingest_project(cat)
    assert (again.new_keys, again.replaced_keys, again.removed_rows) == (0, 8, 0)
    with Warehouse.open(cat) as wh:
        assert snapshot(wh) == first
    # a corrected figure replaces its row; a new month adds one
    (root / "data" / "crime.csv").write_text(
        GOOD_CSV.replace("MPS,burglary,2009-08,1,6543", "MPS,burglary,2009-08,1,6600")
        + "MPS,burglary,2009-09,1,6100,,,,,\n"
    )
    third = ingest_project(cat)
    assert (third.rows, third.new_keys, third.replaced_keys) == (9, 1, 8)
    with Warehouse.open(cat) as wh:
        rows = {(r["org"], r["measure"], r["period_end"]): r["numerator"] for r in snapshot(wh)}
    assert len(rows) == 9 and rows[("MPS", "burglary", dt.date(2009, 8, 1))] == 6600.0


def test_rows_dropped_from_a_file_or_a_removed_file_leave_the_warehouse(
    make_project: ProjectFactory,
) -> None:
    root = make_project(
        {"data/a.csv": GOOD_CSV, "data/b.csv": HEADER + "WMP,burglary,2009-08,1,900,,,,,\n"}
    )
    cat = load_catalogue(root)
    ingest_project(cat)
    # a.csv: its 2009-07 row moved to 2009-06 (a corrected period); b.csv deleted
    (root / "data" / "a.csv").write_text(GOOD_CSV.replace("2009-07", "2009-06"))
    (root / "data" / "b.csv").unlink()
    summary = ingest_project(cat)
    assert (summary.new_keys, summary.replaced_keys, summary.removed_rows) == (1, 7, 2)
    with Warehouse.open(cat) as wh:
        rows = snapshot(wh)
    assert len(rows) == 8
    assert not any(r["org"] == "WMP" for r in rows)
    assert not any(r["period_end"] == dt.date(2009, 7, 1) for r in rows)


def test_bad_data_leaves_the_warehouse_unchanged(make_project: ProjectFactory) -> None:
    root = make_project()
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        before, loads_before = snapshot(wh), wh.loads().to_pyarrow().to_pylist()
    (root / "data" / "crime.csv").write_text(
        GOOD_CSV.replace("6543", "6600") + "MPS,burglary,2009-09,1,abc,,,,,\n"
    )
    with pytest.raises(ValidationFailed):
        ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert snapshot(wh) == before
        assert wh.loads().to_pyarrow().to_pylist() == loads_before


def _good_read(make_project: ProjectFactory) -> tuple[Warehouse, pa.Table, list[dict[str, object]]]:
    cat = load_catalogue(make_project())
    ingest_project(cat)
    wh = Warehouse.open(cat)
    return wh, read_observations(cat).table, snapshot(wh)


def test_failure_midway_through_the_transaction_rolls_back(make_project: ProjectFactory) -> None:
    wh, table, before = _good_read(make_project)
    with wh:
        loads_before = wh.loads().count().to_pyarrow().as_py()
        # replace every value of a good load but null the org of the last row: the delete of
        # the old keys succeeds, then the insert violates NOT NULL and everything must roll back
        changed = table.set_column(
            table.schema.get_field_index("numerator"), "numerator", pa.array([1.0] * table.num_rows)
        )
        orgs = changed.column("org").to_pylist()
        orgs[-1] = None
        bad = changed.set_column(0, pa.field("org", pa.string()), pa.array(orgs, pa.string()))
        with pytest.raises(KpiboardError) as info:
            wh.load(bad, [])
        assert "rolled back" in info.value.message and "unchanged" in info.value.message
        assert snapshot(wh) == before
        assert wh.loads().count().to_pyarrow().as_py() == loads_before
        # a value of the wrong type fails inside the transaction too
        wrong = table.set_column(
            table.schema.get_field_index("numerator"),
            "numerator",
            pa.array(["1"] * (table.num_rows - 1) + ["abc"]),
        )
        with pytest.raises(KpiboardError, match="rolled back"):
            wh.load(wrong, [])
        assert snapshot(wh) == before
        # and the database itself refuses two rows for one key
        with pytest.raises(KpiboardError, match="rolled back"):
            wh.load(pa.concat_tables([table, table.slice(0, 1)]), [])
        assert snapshot(wh) == before


def test_load_refuses_a_table_without_the_observation_columns(make_project: ProjectFactory) -> None:
    wh, table, _before = _good_read(make_project)
    with wh, pytest.raises(KpiboardError, match="lacks column"):
        wh.load(table.drop_columns(["source"]), [])


def test_load_accepts_columns_in_any_order(make_project: ProjectFactory) -> None:
    wh, table, before = _good_read(make_project)
    with wh:
        result = wh.load(table.select(list(reversed(table.column_names))), [])
        assert (result.rows, result.replaced_keys) == (8, 8)
        assert snapshot(wh) == before


def test_is_stale_follows_content_additions_and_removals(make_project: ProjectFactory) -> None:
    root = make_project()
    cat = load_catalogue(root)
    files = data_files(cat)[0]
    with Warehouse.open(cat) as wh:
        assert wh.is_stale(files)  # nothing loaded yet
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert not wh.is_stale(files)
        path = root / "data" / "crime.csv"
        path.write_text(GOOD_CSV + "WMP,burglary,2009-08,1,5,,,,,\n")
        assert wh.is_stale(files)  # content changed
        path.write_text(GOOD_CSV)
        assert not wh.is_stale(files)  # same bytes again
        extra = root / "data" / "more.csv"
        extra.write_text(HEADER)
        assert wh.is_stale(data_files(cat)[0])  # a file added
        assert wh.is_stale([])  # files removed


def test_ingest_if_stale(make_project: ProjectFactory) -> None:
    cat = load_catalogue(make_project())
    with Warehouse.open(cat) as wh:
        first = ingest_if_stale(cat, wh)
        assert first is not None and first.rows == 8
        assert ingest_if_stale(cat, wh) is None


def test_progress_covers_reading_and_writing(make_project: ProjectFactory) -> None:
    labels: list[str] = []
    ingest_project(
        load_catalogue(make_project()), progress=lambda d, t, label: labels.append(label)
    )
    assert labels[0] == "data/crime.csv" and labels[-1] == "wrote 8 rows to the warehouse"


def test_a_table_of_another_shape_is_reported(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE kpiboard_observations (org VARCHAR, figure DOUBLE)")
    with pytest.raises(KpiboardError) as info:
        Warehouse.from_url(f"duckdb://{path}")
    assert "kpiboard_observations table of another shape" in info.value.message
    assert "delete the DuckDB file" in (info.value.hint or "")


@pytest.mark.parametrize(
    "url,expected",
    [
        (None, "ROOT/.kpiboard/warehouse.duckdb"),
        ("duckdb://w.duckdb", "ROOT/w.duckdb"),
        ("duckdb:///abs/w.duckdb", "/abs/w.duckdb"),
        ("store/w.duckdb", "ROOT/store/w.duckdb"),
        ("duckdb://", ":memory:"),
        ("postgres://u@h/db", None),
    ],
)
def test_duckdb_paths(tmp_path: Path, url: str | None, expected: str | None) -> None:
    from kpiboard.warehouse.connect import duckdb_path

    got = duckdb_path(url, tmp_path)
    assert (str(got).replace(str(tmp_path), "ROOT") if got is not None else None) == expected


def test_what_the_data_cover(make_project: ProjectFactory) -> None:
    """The months, organisations and source files the dashboard lists, as the warehouse
    answers them (one SELECT DISTINCT each on what the engine reads)."""
    cat = load_catalogue(make_project())
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        months = wh.months_with_data(cat)
        orgs = wh.organisations_with_data(cat)
        burglary = wh.measure_sources(cat, "burglary")
        gmp_robbery = wh.measure_sources(cat, "robbery", "GMP")
    assert [format_month(m) for m in months] == ["2009-03", "2009-06", "2009-07", "2009-08"]
    assert orgs == {"GMP", "MPS"}  # "Met" is an alias of MPS
    assert burglary == ["data/crime.csv"]  # "data/crime.csv:2" etc. without the line numbers
    assert gmp_robbery == []


def test_a_partial_load_replaces_its_own_files_rows_and_keeps_the_others(
    make_project: ProjectFactory,
) -> None:
    """A load of some files (not complete) closes the rows those files no longer have and
    leaves every other file's rows current, logged again in the new vintage."""
    lines = GOOD_CSV.splitlines()
    half = len(lines) // 2
    halves = {
        "data/a.csv": "\n".join(lines[:half]) + "\n",
        "data/b.csv": "\n".join([lines[0], *lines[half:]]) + "\n",
    }
    cat = load_catalogue(make_project(halves))
    ingest_project(cat)
    read = read_observations(cat)
    sources = [s.rsplit(":", 1)[0] for s in read.table.column("source").to_pylist()]
    first = read.files[0]
    own = [i for i, s in enumerate(sources) if s == first.path]
    assert own and len(own) < read.table.num_rows  # the project has other files too
    kept = read.table.take(own[1:])  # the file now lacks its first row
    with Warehouse.open(cat) as wh:
        before = wh.observations().count().to_pyarrow().as_py()
        result = wh.load(kept, [first])
        assert (result.vintage, result.removed_rows) == (2, 1)
        assert wh.observations().count().to_pyarrow().as_py() == before - 1
        assert set(wh.recorded_files()) == {f.path for f in read.files}
