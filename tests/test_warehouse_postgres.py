"""The same ingest on a real PostgreSQL server gives the same rows as on DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import GOOD_CSV, ProjectFactory

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.ingest import KEY_COLUMNS, read_observations
from kpiboard.warehouse import Warehouse, WarehouseAccess, ingest_project

NOTE = 'quoted "note", with a comma\nand a newline; £'
EXTRA = (
    "WMP,burglary,2009-08,1,0.1,,,,,\n"
    f'WMP,robbery,2009-08,1,1e15,,,,true,"{NOTE.replace(chr(34), chr(34) * 2)}"\n'
    "WMP,confidence,2009-08,12,,,33.333333333333336,1234,,\n"
)


def _rows(wh: Warehouse) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = (
        wh.observations().order_by(list(KEY_COLUMNS)).to_pyarrow().to_pylist()
    )
    return rows


@pytest.fixture
def pg_project(make_project: ProjectFactory, postgres_url: str, tmp_path):  # type: ignore[no-untyped-def]
    with Warehouse.from_url(postgres_url) as wh:  # start each test from empty tables
        wh.backend.raw_sql("DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads").close()
    duck = make_project({"data/crime.csv": GOOD_CSV + EXTRA}, root=tmp_path / "duck")
    pg = make_project(
        {"data/crime.csv": GOOD_CSV + EXTRA},
        project_extra=f"warehouse: {postgres_url}\n",
        root=tmp_path / "pg",
    )
    return duck, pg


def test_postgres_ingest_equals_duckdb(pg_project) -> None:  # type: ignore[no-untyped-def]
    duck_root, pg_root = pg_project
    duck_summary = ingest_project(load_catalogue(duck_root))
    pg_summary = ingest_project(load_catalogue(pg_root))
    assert pg_summary.warehouse.startswith("postgres://postgres@127.0.0.1:")
    assert (
        (pg_summary.rows, pg_summary.new_keys)
        == (duck_summary.rows, duck_summary.new_keys)
        == (11, 11)
    )
    with (
        Warehouse.open(load_catalogue(duck_root)) as duck,
        Warehouse.open(load_catalogue(pg_root)) as pg,
    ):
        assert pg.backend_name == "postgres"
        assert pg.observations().schema() == duck.observations().schema()
        pg_rows, duck_rows = _rows(pg), _rows(duck)
        assert (
            pg_rows == duck_rows
        )  # floats bit-identical, nulls and text (quotes, newlines, £) intact
        assert NOTE in [r["note"] for r in pg_rows]
        assert not pg.is_stale([pg_root / "data" / "crime.csv"])
    again = ingest_project(load_catalogue(pg_root))
    assert (again.new_keys, again.replaced_keys, again.removed_rows) == (0, 11, 0)


def test_postgres_load_is_atomic(pg_project) -> None:  # type: ignore[no-untyped-def]
    _, pg_root = pg_project
    cat = load_catalogue(pg_root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        before = _rows(wh)
        (pg_root / "data" / "crime.csv").write_text(
            GOOD_CSV.replace("6543", "1") + "MPS,burglary,2009-09,1,x,,,,,\n"
        )
        with pytest.raises(ValidationFailed):
            ingest_project(cat, warehouse=wh)
        (pg_root / "data" / "crime.csv").write_text(GOOD_CSV.replace("6543", "1"))
        table = read_observations(cat).table
        # a repeated key gets past COPY, then fails the load's check of its keys
        with pytest.raises(KpiboardError, match="rolled back"):
            wh.load(pa.concat_tables([table, table.slice(0, 1)]), [])
        assert _rows(wh) == before


def test_a_reader_whose_connection_the_server_dropped_reconnects(  # type: ignore[no-untyped-def]
    pg_project, postgres_url: str
) -> None:
    # `kpiboard serve` keeps one read connection to a PostgreSQL warehouse: when the server
    # drops it (a restart, an idle timeout, an administrator), the next build opens another
    # instead of failing, and every one after it
    import psycopg

    _, pg_root = pg_project
    cat = load_catalogue(pg_root)
    ingest_project(cat)
    access = WarehouseAccess(cat)
    try:
        with access.read() as wh:
            before = _rows(wh)
            pid = wh.backend.con.info.backend_pid
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        for _ in range(2):
            with access.read() as wh:
                assert wh.backend.con.info.backend_pid != pid
                assert _rows(wh) == before
    finally:
        access.close()
