"""One writer, many readers, on a DuckDB warehouse (kpiboard.warehouse.access): a second writer is
refused, readers wait for a writer and share the file with each other, a writer waits for a
read in flight, and nobody holds the file between uses. Real files and real processes; waits
are observed through the waiting callback, never timed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.warehouse import DEFAULT_DUCKDB, DataLoading, IngestRunning, WarehouseAccess
from kpiboard.warehouse.access import writer_active, writer_lock_path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
OLD_FIGURE = "metropolitan,msv,2009-08,1,1453,"
NEW_FIGURE = "metropolitan,msv,2009-08,1,1777,"
runner = CliRunner()


def run(*args: str | Path, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def met(tmp_path: Path) -> Path:
    root = Path(
        shutil.copytree(EXAMPLE, tmp_path / "met", ignore=shutil.ignore_patterns(".kpiboard"))
    )
    run("ingest", root)
    return root


def revise(root: Path) -> None:
    path = root / "data" / "crime.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_FIGURE, NEW_FIGURE), "utf-8")


@contextmanager
def holding(script: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Another process running ``script`` (which prints "ready" once it holds what it holds)
    until the block ends (its stdin closes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


WRITER = (
    "import fcntl, sys; fh = open(sys.argv[1], 'a'); fcntl.flock(fh, fcntl.LOCK_EX); "
    "print('ready', flush=True); sys.stdin.read()"
)
READER = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
    "con.execute('SELECT 1').fetchall(); print('ready', flush=True); sys.stdin.read()"
)


def test_a_second_writer_is_refused_saying_an_ingest_is_running(met: Path) -> None:
    revise(met)
    with holding(WRITER, str(writer_lock_path(met / DEFAULT_DUCKDB))):
        result = run("ingest", met, code=1)
        assert "another ingest is running on duckdb://" in result.output
        assert "wait for it to finish" in result.output
        # a report waits for the ingest (to read what it loads), here not at all
        assert "the data are being loaded" in run("report", met, "--wait", 0, code=1).output
    assert '"vintage": 2' in run("ingest", met, "--format", "json").stdout


def test_a_reader_waits_for_the_writer_then_reads_what_it_loaded(met: Path) -> None:
    waiting, got = threading.Event(), []
    access = WarehouseAccess(load_catalogue(met), on_wait=lambda _: waiting.set())

    def read() -> None:
        with access.read() as wh:
            got.append(wh.latest_vintage())

    with holding(WRITER, str(writer_lock_path(met / DEFAULT_DUCKDB))):
        reader = threading.Thread(target=read)
        reader.start()
        assert waiting.wait(30)
        assert got == []  # still waiting while the writer holds the lock
    reader.join(30)
    access.close()
    assert got == [1]


def test_a_reader_gives_up_after_its_bound_with_a_retry_hint(met: Path) -> None:
    access = WarehouseAccess(load_catalogue(met), read_wait=0)
    with (
        holding(WRITER, str(writer_lock_path(met / DEFAULT_DUCKDB))),
        pytest.raises(DataLoading) as caught,
        access.read(),
    ):
        pass
    assert "the data are being loaded into duckdb://" in caught.value.message
    assert caught.value.hint == "try again in a moment"
    access.close()


def test_a_writer_waits_for_a_read_in_flight_in_another_process(met: Path) -> None:
    revise(met)
    waiting, done = threading.Event(), []
    access = WarehouseAccess(load_catalogue(met), on_wait=lambda _: waiting.set())

    def write() -> None:
        summary = access.ensure_ingested()
        done.append(summary.vintage if summary else None)

    with holding(READER, str(met / DEFAULT_DUCKDB)):
        writer = threading.Thread(target=write)
        writer.start()
        assert waiting.wait(30)
        assert done == []
    writer.join(60)
    assert done == [2]


def test_report_reads_beside_another_reader_without_writing(met: Path) -> None:
    """Up-to-date data: report opens the file read-only, so it shares it with another reader
    (before, it opened it to write and failed on the reader's lock)."""
    with holding(READER, str(met / DEFAULT_DUCKDB)):
        assert (
            '"as_of": "2009-08"'
            in run("report", met, "--as-of", "2009-08", "--format", "json", "--wait", 0).stdout
        )


def test_a_reader_holds_nothing_between_uses(met: Path) -> None:
    access = WarehouseAccess(load_catalogue(met))
    with access.read() as wh:
        assert wh.latest_vintage() == 1
    # another process can write now, while this one lives on
    con = duckdb.connect(str(met / DEFAULT_DUCKDB))
    con.close()
    revise(met)
    assert '"vintage": 2' in run("ingest", met, "--format", "json", "--wait", 0).stdout
    assert access.latest_vintage() == 2
    access.close()


def test_kept_reads_share_one_open_and_let_go_after(met: Path) -> None:
    """report checks the data files, then reads: one open of the file for both, none after."""
    access = WarehouseAccess(load_catalogue(met))
    with access.kept():
        assert not access.needs_writer()
        with access.read() as first:
            pass
        with access.read() as second:
            assert second.backend is first.backend  # the same connection, not a second open
    con = duckdb.connect(str(met / DEFAULT_DUCKDB))  # let go: a writer can have the file
    con.close()
    with access.kept(), access.write() as wh:  # and a write inside still gets it
        assert wh.latest_vintage() == 1
    access.close()


def test_a_writer_in_this_process_is_refused_beside_another(met: Path) -> None:
    access = WarehouseAccess(load_catalogue(met))
    other = WarehouseAccess(load_catalogue(met))
    with access.write(), pytest.raises(IngestRunning), other.write():
        pass
    access.close()
    other.close()


def test_readers_queued_behind_a_writer_let_go_of_the_file_it_waits_for(met: Path) -> None:
    """Builds that follow each other keep one read connection open. When another process's
    ingest holds the writer lock and waits for the file, the builds queued behind it must close
    that connection: otherwise each waits for the other until the readers give up with a 503
    (and the ingest with a lock error)."""
    revise(met)
    database = met / DEFAULT_DUCKDB
    access = WarehouseAccess(load_catalogue(met), read_wait=120)
    in_build, finish = threading.Event(), threading.Event()
    first: list[int | None] = []
    queued: list[int | None] = []

    def build_in_flight() -> None:
        with access.read() as wh:
            in_build.set()
            assert finish.wait(60)
            first.append(wh.latest_vintage())

    def build_queued() -> None:
        with access.read() as wh:
            queued.append(wh.latest_vintage())

    one = threading.Thread(target=build_in_flight)
    one.start()
    assert in_build.wait(30)
    ingest = subprocess.Popen(
        [sys.executable, "-m", "kpiboard", "ingest", str(met), "--wait", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):  # until the ingest holds the writer lock (and waits for the file)
        if writer_active(database) or ingest.poll() is not None:
            break
        threading.Event().wait(0.05)
    assert writer_active(database), ingest.communicate()
    two = threading.Thread(target=build_queued)
    two.start()  # waits for the writer, keeping the process's readers above zero
    finish.set()
    one.join(60)
    out, errors = ingest.communicate(timeout=120)
    two.join(120)
    access.close()
    assert ingest.returncode == 0, errors
    assert "vintage 2 made" in out
    assert first == [1] and queued == [2]
