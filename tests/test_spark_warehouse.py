"""A Spark warehouse (docs/SPARK.md): vintages kept across loads, a failed load leaving the
previous version readable, and every way it can be set up wrong said plainly, without a
traceback (an unreachable master, Java missing, a location that cannot be written, one written
by another layout), as is a PostgreSQL warehouse that refuses the connection."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import GOOD_CSV, ProjectFactory
from typer.testing import CliRunner

from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.errors import KpiboardError
from kpiboard.ingest import read_observations
from kpiboard.warehouse import Warehouse, ingest_project
from kpiboard.warehouse.spark_session import SparkUrl, spark_url
from kpiboard.warehouse.spark_store import LAYOUT, POINTER, Location, spark_location_path

#: A bound on the seconds an unreachable server may take to be reported: a guard against a
#: hang (Spark's own retries take minutes), not a timing.
GUARD_SECONDS = 60


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket is


def _cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`kpiboard ARGS` in a process of its own (a fresh JVM-less interpreter), guarded."""
    return subprocess.run(
        [sys.executable, "-m", "kpiboard", *args],
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})},
    )


def test_the_url_forms() -> None:
    assert spark_url("local[2]") == SparkUrl("local[2]", "local")
    assert spark_url("local[*]") == SparkUrl("local[*]", "local")
    assert spark_url("local") == SparkUrl("local", "local")
    assert spark_url("spark://head:7077") == SparkUrl("spark://head:7077", "spark", "head", 7077)
    assert spark_url("spark://head") == SparkUrl("spark://head", "spark", "head", 7077)
    assert spark_url("sc://conn") == SparkUrl("sc://conn", "sc", "conn", 15002)
    for other in (None, "postgres://u@h/db", "w.duckdb", "localhost", "local[x]"):
        assert spark_url(other) is None, other


def test_the_location_is_the_projects_unless_set(tmp_path: Path) -> None:
    assert spark_location_path(None, tmp_path) == tmp_path / ".kpiboard" / "spark"
    assert spark_location_path("parquet", tmp_path) == tmp_path / "parquet"
    assert spark_location_path("/data/kpi", tmp_path) == Path("/data/kpi")


def test_a_spark_driver_leaves_no_folder_behind(tmp_path: Path) -> None:
    # Spark's managed-table folder (empty: kpiboard keeps none) is made under the temporary
    # directory when a driver is configured, and removed when the process exits
    script = (
        "from kpiboard.warehouse import spark_session as s\n"
        "s._builder(s.spark_url('local[1]'))\n"
        "import os; print(os.listdir(os.environ['TMPDIR']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "kpiboard-spark-" in done.stdout  # it was there while the process ran
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scheme", ["sc", "spark"])
def test_an_unreachable_server_is_named_within_seconds(
    scheme: str, make_project: ProjectFactory
) -> None:
    root = make_project()
    url = f"{scheme}://127.0.0.1:{_closed_port()}"
    done = _cli(["report", str(root), "--warehouse", url])
    assert done.returncode == 1, done.stderr
    what = "Spark Connect server" if scheme == "sc" else "Spark master"
    assert f"error: cannot reach the {what} at {url}: Connection refused" in done.stderr
    assert "Traceback" not in done.stderr


def test_java_missing_says_how_to_install_it(make_project: ProjectFactory, tmp_path: Path) -> None:
    root = make_project()
    nowhere = tmp_path / "no-java"
    nowhere.mkdir()
    done = _cli(
        ["ingest", str(root), "--warehouse", "local[2]"],
        env={"JAVA_HOME": str(nowhere), "PATH": str(nowhere)},
    )
    assert done.returncode == 1, done.stderr
    assert f"Java is not installed (JAVA_HOME={nowhere} has no bin/java)" in done.stderr
    assert "apt-get install openjdk-17-jre-headless" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (root / ".kpiboard" / "spark" / POINTER).exists()


def test_a_location_that_cannot_be_written_is_refused_first(make_project: ProjectFactory) -> None:
    root = make_project(project_extra="spark_location: data/crime.csv/parquet\n")
    done = CliRunner().invoke(app, ["ingest", str(root), "--warehouse", "local[2]"])
    assert done.exit_code == 1
    assert (
        f"cannot write the Spark warehouse's Parquet location {root / 'data/crime.csv/parquet'}"
        in done.output
    )
    assert "set `spark_location:` in kpiboard.yaml to a folder this user can write" in done.output


@pytest.mark.parametrize("layout", [LAYOUT - 1, LAYOUT + 1])
def test_a_location_of_another_layout_is_refused_with_the_rebuild(
    layout: int, make_project: ProjectFactory
) -> None:
    root = make_project()
    location = root / ".kpiboard" / "spark"
    (location / "versions" / "v1").mkdir(parents=True)
    (location / POINTER).write_text(json.dumps({"layout": layout, "version": "v1"}))
    done = CliRunner().invoke(app, ["report", str(root), "--warehouse", "local[2]"])
    assert done.exit_code == 1
    age = "an older" if layout < LAYOUT else "a newer"
    assert f"the Spark warehouse at {location} was written by {age} kpiboard" in done.output
    assert f"delete the folder {location}, then run `kpiboard ingest PROJECT" in done.output


def test_postgresql_refusing_the_connection_is_said(postgres_url: str) -> None:
    # a database and a user that do not exist, refused by the server (a wrong password:
    # tests/test_warehouse_secrets.py, against the test server's one password-checked role)
    base = postgres_url.rsplit("/", 1)[0]
    for url, why in (
        (f"{base}/nosuchdb", 'database "nosuchdb" does not exist'),
        (base.replace("postgres@", "nobody:secret@") + "/kpiboard", 'role "nobody" does not'),
    ):
        with pytest.raises(KpiboardError) as caught:
            Warehouse.from_url(url)
        assert "cannot connect to the warehouse" in caught.value.message
        assert why in caught.value.message
        assert "secret" not in caught.value.message  # the password is never shown


REVISED_CSV = GOOD_CSV.replace("MPS,burglary,2009-08,1,6543", "MPS,burglary,2009-08,1,6600")


def _burglary(cat: object, wh: Warehouse) -> dict[str, float]:
    rows = wh.observations().filter(lambda t: t.measure == "burglary").to_pyarrow()
    got = rows.select(["org", "period_end", "numerator"]).to_pylist()
    return {f"{r['org']} {r['period_end']:%Y-%m}": r["numerator"] for r in got}


def test_vintages_on_spark_keep_what_each_load_knew(
    make_project: ProjectFactory, spark_master: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    cat = load_catalogue(root).with_warehouse(spark_master)
    first = ingest_project(cat)
    assert (first.vintage, first.new_keys) == (1, 8)
    assert ingest_project(cat).vintage is None  # nothing changed: no vintage

    reader = Warehouse.open(cat, read_only=True)  # as `serve` holds one across loads
    assert reader.latest_vintage() == 1
    (root / "data" / "crime.csv").write_text(REVISED_CSV)
    second = ingest_project(cat)
    assert (second.vintage, second.replaced_keys, second.removed_rows) == (2, 8, 0)
    [burglary] = [c for c in second.changes if c.subject == "burglary"]
    assert [(m.month, m.figures, m.largest) for m in burglary.months] == [("2009-08", 1, 57.0)]

    with Warehouse.open(cat) as wh:
        assert [v.id for v in wh.vintages()] == [1, 2]
        assert _burglary(cat, wh)["MPS 2009-08"] == 6600
        assert _burglary(cat, wh.at(1))["MPS 2009-08"] == 6543
    # the reader opened before the load follows the pointer to the version it made
    with reader:
        assert reader.latest_vintage() == 2
        assert _burglary(cat, reader)["MPS 2009-08"] == 6600

    # a load that fails before its version is made current leaves the last one as it was
    (root / "data" / "crime.csv").write_text(GOOD_CSV)

    def crash(self: Location, version: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Location, "switch", crash)
    with pytest.raises(KpiboardError, match="rolled back; the Spark warehouse is unchanged"):
        ingest_project(cat)
    with Warehouse.open(cat) as wh:
        assert [v.id for v in wh.vintages()] == [1, 2]
        assert _burglary(cat, wh)["MPS 2009-08"] == 6600
        # a key that comes twice, given straight to the load (no reader checked it), is refused
        monkeypatch.undo()
        table = read_observations(cat).table
        with pytest.raises(KpiboardError, match=r"rolled back.*more than once"):
            wh.load(pa.concat_tables([table, table.slice(0, 1)]), [])
        assert [v.id for v in wh.vintages()] == [1, 2]
    versions = sorted(p.name for p in (root / ".kpiboard" / "spark" / "versions").iterdir())
    assert len(versions) == 2 and versions[-1].startswith("v000002-")  # the failed one is gone


def test_pyspark_missing_says_how_to_add_it(make_project: ProjectFactory) -> None:
    root = make_project()
    script = (
        "import sys\n"
        "sys.modules['pyspark'] = None  # as if it were not installed\n"
        "from kpiboard.cli import app\n"
        f"app(['report', {str(root)!r}, '--warehouse', 'local[2]'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 1, done.stderr
    assert "the warehouse local[2] is Spark, and PySpark is not installed" in done.stderr
    assert "pip install 'kpiboard[spark]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_second_load_into_a_location_is_refused_at_once(
    make_project: ProjectFactory, spark_master: str
) -> None:
    import fcntl

    root = make_project()
    cat = load_catalogue(root).with_warehouse(spark_master)
    location = root / ".kpiboard" / "spark"
    location.mkdir(parents=True)
    with open(location / ".writer.lock", "w") as held:  # another process's load, as it holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(KpiboardError, match="another ingest is loading into the Spark"):
            ingest_project(cat)
    assert not (location / POINTER).exists()
