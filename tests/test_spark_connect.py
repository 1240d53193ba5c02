"""A Spark warehouse through a real Spark Connect server (docs/SPARK.md): an example ingested
and reported with `--warehouse sc://...` gives the DuckDB report, figure for figure, and what a
user gets wrong with a Connect server is said plainly, without a traceback.

kpiboard runs as a user runs it, `kpiboard ingest` and `kpiboard report` each in a process of
its own (a Connect client marks its process as one, which the local-Spark tests beside it must
not inherit). One example and one server start (a session fixture), to keep CI's time small."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ProjectFactory
from connect_cli import MONTH, duckdb_report, example, ok, refused, run_kpiboard, run_python
from same_json import assert_same
from spark_connect_server import ConnectServer

from kpiboard.catalogue import load_catalogue
from kpiboard.errors import KpiboardError
from kpiboard.warehouse import Warehouse
from kpiboard.warehouse.spark_store import LAYOUT


def test_an_example_reports_the_same_through_spark_connect_as_on_duckdb(
    tmp_path: Path, spark_connect: ConnectServer
) -> None:
    on_duckdb = duckdb_report(tmp_path / "duckdb")
    root = example(tmp_path / "connect")
    where = ["--warehouse", spark_connect.url]
    ingest = run_kpiboard(["ingest", str(root), *where])
    ingested = ok(ingest, spark_connect) + " ".join(ingest.stderr.split())
    assert f"into {spark_connect.url} (Parquet in {root / '.kpiboard' / 'spark'})" in ingested
    assert "vintage 1 made" in ingested
    report = ok(
        run_kpiboard(["report", str(root), "--as-of", MONTH, "--format", "json", *where]),
        spark_connect,
    )
    on_connect = json.loads(report)
    # the server wrote the Parquet, this machine the pointer, in the one folder both see
    location = root / ".kpiboard" / "spark"
    version = json.loads((location / "CURRENT.json").read_text())["version"]
    assert list((location / "versions" / version / "kpiboard_observations").glob("*.parquet"))
    assert not list(location.glob(".server-write-test-*"))  # the server's probe is gone
    assert not (root / ".kpiboard" / "warehouse.duckdb").exists()
    assert_same(on_connect, on_duckdb)

    # a reader whose session the server closed (idle past its timeout, as `serve`'s may be)
    # opens a new one at its next query, views and all
    script = (
        "from pathlib import Path\n"
        "from kpiboard.catalogue import load_catalogue\n"
        "from kpiboard.warehouse import Warehouse\n"
        f"cat = load_catalogue(Path({str(root)!r})).with_warehouse({spark_connect.url!r})\n"
        "wh = Warehouse.open(cat, read_only=True)\n"
        "def seen():\n"
        "    rows = wh.observations().count().to_pyarrow().as_py()\n"
        "    print(rows, wh.backend._session.session_id)\n"
        "seen()\n"
        "wh.backend._session.client.release_session()  # what the server does to an idle one\n"
        "seen()\n"
        "wh.close()\n"
    )
    (first, first_id), (second, second_id) = (
        line.split() for line in ok(run_python(script), spark_connect).splitlines()
    )
    assert first == second == "1921"  # the Met example's observations, all current
    assert first_id != second_id  # a new session answered the second count


def test_police_uk_records_are_read_by_spark_through_connect_and_report_the_same(
    tmp_path: Path, spark_connect: ConnectServer
) -> None:
    # the server reads the published zip's CSVs itself (spark_records), as a cluster would
    name, month = "west-yorkshire-police-uk", "2017-07"
    on_duckdb = duckdb_report(tmp_path / "duckdb", name, month)
    root = example(tmp_path / "connect", name)
    script = (
        "from pathlib import Path\n"
        "from kpiboard.catalogue import load_catalogue\n"
        "from kpiboard.warehouse import ingest_project\n"
        "from kpiboard.warehouse.spark_records import READ_BY\n"
        f"cat = load_catalogue(Path({str(root)!r})).with_warehouse({spark_connect.url!r})\n"
        "summary = ingest_project(cat)\n"
        "print(summary.records, dict(READ_BY))\n"
    )
    said = ok(run_python(script), spark_connect)
    assert said.endswith("{'spark': 1}\n"), said  # not handed back to the Python reader
    assert int(said.split()[0]) > 0
    where = ["--warehouse", spark_connect.url]
    report = run_kpiboard(["report", str(root), "--as-of", month, "--format", "json", *where])
    assert_same(json.loads(ok(report, spark_connect)), on_duckdb)


def test_a_missing_client_says_how_to_install_it(
    make_project: ProjectFactory, spark_connect: ConnectServer
) -> None:
    root = make_project()
    script = (
        "import sys\n"
        "sys.modules['grpc'] = None  # as if grpcio were not installed\n"
        "from kpiboard.cli import app\n"
        f"app(['report', {str(root)!r}, '--warehouse', {spark_connect.url!r}])\n"
    )
    said = refused(run_python(script))
    assert f"the warehouse {spark_connect.url} is Spark Connect, whose client is not" in said
    assert "grpcio >= 1.48.1 must be installed" in said
    assert "pip install 'kpiboard[spark]'" in said


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers: a Spark
    master's, a UI's or another service's port given as a Connect server's."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_a_port_that_is_not_spark_connect_is_said_within_seconds(
    silent_port: int, tmp_path: Path
) -> None:
    url = f"sc://127.0.0.1:{silent_port}"
    root = example(tmp_path / "p")
    said = refused(run_kpiboard(["report", str(root), "--warehouse", url]))
    assert (
        f"cannot reach the Spark Connect server at {url}: port {silent_port} accepts "
        "connections but does not answer as a Spark Connect server (within 5 s)"
    ) in said
    assert "7077 is a standalone master's" in said
    # and through TLS: no TLS handshake either (the 5 s, then a second's TLS of its own)
    url += "/;use_ssl=true"
    said = refused(run_kpiboard(["report", str(root), "--warehouse", url]))
    assert (
        f"cannot reach the Spark Connect server at {url}: no TLS connection with port "
        f"{silent_port} within 5 s, and the URL asks for it (use_ssl=true)"
    ) in said


def _location(root: Path, folder: Path) -> Path:
    (root / "kpiboard.yaml").write_text(
        (root / "kpiboard.yaml").read_text() + f"\nspark_location: {folder}\n"
    )
    return root


def test_a_location_the_server_cannot_write_is_refused_before_any_work(
    tmp_path: Path, spark_connect: ConnectServer
) -> None:
    if spark_connect.read_only is None:
        pytest.skip("the server runs without a mount namespace here (needs root and unshare)")
    folder = spark_connect.read_only / "project"
    root = _location(example(tmp_path / "p"), folder)
    said = refused(
        run_kpiboard(["ingest", str(root), "--warehouse", spark_connect.url]), spark_connect
    )
    assert (
        f"the Spark Connect server at {spark_connect.url} cannot write the Spark warehouse's "
        f"Parquet location {folder}:"
    ) in said
    assert "let the server's user write that folder" in said
    assert not (folder / "CURRENT.json").exists()
    assert not list(folder.glob(".server-write-test-*"))


def test_a_location_the_server_sees_elsewhere_is_refused(
    tmp_path: Path, spark_connect: ConnectServer
) -> None:
    if spark_connect.hidden is None:
        pytest.skip("the server runs without a mount namespace here (needs root and unshare)")
    folder = spark_connect.hidden / "project"
    root = _location(example(tmp_path / "p"), folder)
    where = ["--warehouse", spark_connect.url]
    said = refused(run_kpiboard(["ingest", str(root), *where]), spark_connect)
    assert (
        f"the Spark Connect server at {spark_connect.url} wrote to {folder} where this "
        "machine does not see it (on its own disk)"
    ) in said
    assert "must be a folder the server and this machine both see at the same path" in said
    assert not (folder / "CURRENT.json").exists()

    # a version this machine sees (as another server's load left it), opened to read only
    # (as `serve` does between loads) through this one
    (folder / "versions" / "v000001-0").mkdir(parents=True)
    pointer = {"layout": LAYOUT, "version": "v000001-0"}
    (folder / "CURRENT.json").write_text(json.dumps(pointer))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kpiboard.catalogue import load_catalogue\n"
        "from kpiboard.errors import KpiboardError\n"
        "from kpiboard.warehouse import Warehouse\n"
        f"cat = load_catalogue(Path({str(root)!r})).with_warehouse({spark_connect.url!r})\n"
        "try:\n"
        "    Warehouse.open(cat, read_only=True)\n"
        "except KpiboardError as exc:\n"
        "    sys.exit(exc.message)\n"
    )
    said = refused(run_python(script), spark_connect)
    assert (
        f"the Spark Connect server at {spark_connect.url} cannot read the Spark warehouse's "
        f"Parquet location {folder}: [PATH_NOT_FOUND]"
    ) in said


def test_one_process_does_not_mix_a_driver_of_its_own_and_spark_connect(
    make_project: ProjectFactory, spark_master: str, spark_connect: ConnectServer
) -> None:
    root = make_project()
    # this process runs its own driver (the local-Spark tests'): a Connect warehouse is refused
    with pytest.raises(KpiboardError) as caught:
        Warehouse.open(load_catalogue(root).with_warehouse(spark_connect.url), read_only=True)
    assert caught.value.message == (
        f"this process already runs Spark on {spark_master}, not {spark_connect.url}"
    )
    # and a process that used Spark Connect does not start a driver of its own
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kpiboard.catalogue import load_catalogue\n"
        "from kpiboard.errors import KpiboardError\n"
        "from kpiboard.warehouse import Warehouse\n"
        f"cat = load_catalogue(Path({str(root)!r}))\n"
        f"Warehouse.open(cat.with_warehouse({spark_connect.url!r}), read_only=True).close()\n"
        "try:\n"
        "    Warehouse.open(cat.with_warehouse('local[2]'), read_only=True)\n"
        "except KpiboardError as exc:\n"
        "    sys.exit(f'{exc.message} ({exc.hint})')\n"
    )
    said = refused(run_python(script), spark_connect)
    assert f"this process already runs Spark on {spark_connect.url}, not local[2]" in said
    assert "run the other in a process of its own" in said
