"""The same YAML runs where the data live: every example ingested and reported as JSON on the
embedded DuckDB file, on PostgreSQL and on Spark gives the same report, status for status and
figure for figure (floats to 1e-9 relative: the engines may sum in another order).

Each warehouse is chosen with `--warehouse URL`, as a user would, through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from same_json import assert_same
from typer.testing import CliRunner

from kpiboard.cli import app
from kpiboard.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
#: Every example, and the month its own tests report.
EXAMPLES = {
    "met-cpa-2009-10": "2009-08",
    "england-wales-2017-18": "2018-03",
    "west-yorkshire-police-uk": "2017-07",
}
PG_TABLES = "kpiboard_observations, kpiboard_loads, kpiboard_records, kpiboard_vintages"


def test_every_example_is_here() -> None:
    found = {p.parent.name for p in (ROOT / "examples").glob("*/kpiboard.yaml")}
    assert found == set(EXAMPLES)


def _copy(name: str, to: Path) -> Path:
    shutil.copytree(ROOT / "examples" / name, to, ignore=shutil.ignore_patterns(".kpiboard"))
    return to


def _run(args: list[str]) -> str:
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    return done.stdout


def _report(root: Path, month: str, warehouse: str | None) -> dict[str, object]:
    """`kpiboard ingest` then `kpiboard report --format json`, on ``warehouse`` (None: the
    project's own DuckDB file)."""
    where = [] if warehouse is None else ["--warehouse", warehouse]
    _run(["ingest", str(root), *where])
    out = _run(["report", str(root), "--as-of", month, "--format", "json", *where])
    return dict(json.loads(out))


def _empty_postgres(url: str) -> None:
    with Warehouse.from_url(url) as wh:
        wh.backend.raw_sql(f"DROP TABLE IF EXISTS {PG_TABLES}").close()


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_an_example_reports_the_same_on_duckdb_postgresql_and_spark(
    name: str, tmp_path: Path, postgres_url: str, spark_master: str
) -> None:
    month = EXAMPLES[name]
    on_duckdb = _report(_copy(name, tmp_path / "duckdb"), month, None)
    _empty_postgres(postgres_url)
    on_postgres = _report(_copy(name, tmp_path / "postgres"), month, postgres_url)
    spark_root = _copy(name, tmp_path / "spark")
    on_spark = _report(spark_root, month, spark_master)
    assert (spark_root / ".kpiboard" / "spark" / "CURRENT.json").is_file()
    assert not (spark_root / ".kpiboard" / "warehouse.duckdb").exists()  # Spark's, not DuckDB's
    assert on_duckdb["rows"], "an example with no rows proves nothing"
    assert_same(on_postgres, on_duckdb)
    assert_same(on_spark, on_duckdb)
