"""Handing out the warehouse to readers and writers, so that a long-running reader (`kpiboard
serve`) holds nothing between page builds and `kpiboard ingest` or `report` can run beside it.

DuckDB lets one process write a file or any number of processes read it, never both. So, for a
DuckDB file:

- a **writer** (ingest, a `report` that must ingest first, the dashboard's "Reload the data")
  first takes an exclusive ``flock`` on a sidecar file beside the database
  (``warehouse.duckdb.writer.lock``). A second writer is refused at once (IngestRunning): two
  loads would each diff against what the other is replacing. Holding it, the writer opens the
  file read-write, retrying for a bounded time while a reader's connection is still open;
- a **reader** checks that lock before each use: while a writer holds it, the reader closes its
  connection and waits (bounded, then DataLoading, which the dashboard answers with a 503 and
  Retry-After); otherwise it opens the file read-only. Its connection is kept while builds
  follow each other and closed as soon as none is waiting, so a writer never waits for an idle
  server, and is never starved by a busy one (new reads wait behind its lock).

Other backends (PostgreSQL) keep readers and writers apart themselves (MVCC): reads share one
long-lived connection (opened anew when the server has dropped it), a write opens its own. Within one process every use of the read
connection is serialised (a DuckDB connection is not shared between threads, and a build is
mostly Python under the GIL anyway).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kpiboard.errors import KpiboardError
from kpiboard.warehouse.connect import WarehouseLocked, duckdb_path
from kpiboard.warehouse.ingest_run import IngestSummary, ingest_if_stale, needs_ingest
from kpiboard.warehouse.store import NotIngested, Warehouse

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue
    from kpiboard.ingest import Progress

T = TypeVar("T")

READ_WAIT_SECONDS = 20.0  # a dashboard build waits this long for a writer, then a 503
LOCK_WAIT_SECONDS = 60.0  # a command waits this long for another process's hold on the file
POLL_SECONDS = 0.05
# A reader's check takes the sidecar's shared lock for a moment: a writer that meets one retries
# this long before deciding another writer holds it.
WRITER_GRACE_SECONDS = 1.0


class IngestRunning(KpiboardError):
    """Another writer (an ingest, a report ingesting, the dashboard's reload) holds the
    warehouse."""


class DataLoading(KpiboardError):
    """A reader waited its bound for a writer to finish."""

    retry_after_seconds = 5


def _answers(wh: Warehouse) -> bool:
    """Whether a kept PostgreSQL read connection still answers: one round trip before a build
    uses it, so a server restarted (or one that closed the connection as idle) under a running
    dashboard costs a reconnection, not an error on every page until it is restarted too.
    Other backends: DuckDB's file is reopened by each reader anyway, Spark reopens its own."""
    if wh.backend_name != "postgres":
        return True
    import psycopg  # there: Ibis's PostgreSQL backend runs on it

    try:
        with wh.backend.con.cursor() as cur:
            cur.execute("SELECT 1")
    except psycopg.Error:  # OperationalError, or InterfaceError once it knows
        return False
    return True


def writer_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".writer.lock")


def writer_active(database: Path) -> bool:
    """Whether a writer holds the sidecar lock of ``database`` (in any process)."""
    try:
        fd = os.open(writer_lock_path(database), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the shared lock taken to look
    return False


@contextmanager
def writer_lock(database: Path, shown: str) -> Iterator[None]:
    """The exclusive writer lock of ``database``; IngestRunning when another writer has it."""
    path = writer_lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + WRITER_GRACE_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestRunning(
                        f"another ingest is running on {shown}",
                        hint="wait for it to finish (it may load what you meant to), then run "
                        "this again",
                    ) from None
                time.sleep(POLL_SECONDS / 5)
        yield
    finally:
        os.close(fd)  # releases the lock


def retry_locked(
    open_: Callable[[], T], seconds: float, on_wait: Callable[[str], None] | None = None
) -> T:
    """``open_()``, tried again while another process's hold on the DuckDB file refuses it, for
    up to ``seconds``; ``on_wait`` is told once, when waiting starts. Then the refusal is
    raised, with its hint."""
    deadline = time.monotonic() + seconds
    told = False
    while True:
        try:
            return open_()
        except WarehouseLocked as exc:
            if time.monotonic() >= deadline:
                raise
            if on_wait is not None and not told:
                on_wait(f"{exc.message.split(': ')[0]}: in use; waiting up to {seconds:g} s")
                told = True
            time.sleep(POLL_SECONDS)


class WarehouseAccess:
    """A project's warehouse, handed out per use: :meth:`read` for a build, :meth:`write` for a
    load. Thread-safe; :meth:`close` when done."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        read_wait: float = READ_WAIT_SECONDS,
        lock_wait: float = LOCK_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._catalogue = catalogue
        path = duckdb_path(catalogue.project.warehouse, catalogue.root)
        self.file: Path | None = path if isinstance(path, Path) else None
        self._shown = f"duckdb://{path}" if path is not None else "the warehouse"
        self.read_wait, self.lock_wait, self._on_wait = read_wait, lock_wait, on_wait
        self._use = threading.Lock()  # one use of the read connection at a time
        self._count = threading.Lock()  # guards _readers and closing the DuckDB reader
        self._readers = 0  # reads waiting or running
        self._reader: Warehouse | None = None  # the read connection (kept while reads follow)

    # --- reading ------------------------------------------------------------------------------

    @contextmanager
    def read(self, vintage: int | None = None, *, wait: float | None = None) -> Iterator[Warehouse]:
        """The warehouse as ``vintage`` knew it (None: the latest, an id known to exist), for
        one build; waiting for a writer up to ``wait`` seconds (default ``read_wait``)."""
        with self._count:
            self._readers += 1
        try:
            seconds = self.read_wait if wait is None else wait
            wh = self._acquire_reader(seconds)
            try:
                yield wh.at(vintage, check=False)
            finally:
                self._use.release()
        finally:
            with self._count:
                self._readers -= 1
                if self._readers == 0 and self.file is not None:
                    self._close_reader()

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Keep the read connection open between the reads inside (a check, then the read it
        allowed): one open of the file instead of one per read. A writer still closes it."""
        with self._count:
            self._readers += 1
        try:
            yield
        finally:
            with self._count:
                self._readers -= 1
                if self._readers == 0 and self.file is not None:
                    self._close_reader()

    def latest_vintage(self) -> int | None:
        with self.read() as wh:
            return wh.latest_vintage()

    def stamp(self) -> object:
        """Something that changes when the DuckDB file (or its write-ahead log) changes; None
        for other backends, whose latest vintage has to be asked."""
        if self.file is None:
            return None
        found: list[tuple[int, int] | None] = []
        for path in (self.file, self.file.with_name(self.file.name + ".wal")):
            try:
                st = path.stat()
                found.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                found.append(None)
        return tuple(found)

    def _acquire_reader(self, seconds: float) -> Warehouse:
        """The read connection, with the use lock held. Waiting behind this process's other
        builds is not bounded here (the dashboard's build quota bounds those, and a page must
        not be told "the data are being loaded" because others are reading); waiting for a
        writer, or for another program holding a DuckDB file, is: ``seconds`` in all, then
        DataLoading (or WarehouseLocked)."""
        told = False
        waited = 0.0
        while True:
            if self.file is None or not writer_active(self.file):
                if not self._use.acquire(timeout=POLL_SECONDS):
                    continue  # another build of this process is reading: not a writer
                wh = self._try_reader(last=waited >= seconds)
                if wh is not None:
                    return wh
            elif self._use.acquire(blocking=False):
                # a writer waits for the file: the connection kept for builds that follow
                # each other must go now, or the writer waits for them and they for it
                try:
                    self._close_reader()
                finally:
                    self._use.release()
            if waited >= seconds:
                raise self._loading()
            if self._on_wait is not None and not told:
                wait = f"{self.read_wait:g} s"
                self._on_wait(f"{self._shown} is in use (an ingest?); waiting up to {wait}")
                told = True
            slept = time.monotonic()
            time.sleep(POLL_SECONDS)
            waited += time.monotonic() - slept

    def _try_reader(self, *, last: bool) -> Warehouse | None:
        """The read connection, the use lock (acquired by the caller) still held; None (lock
        released) when a writer has the file. ``last``: the wait is over, so another program
        holding the file is the error it is."""
        try:
            wh = self._reading()
        except WarehouseLocked:  # a writer opened it since we looked: wait for it
            self._use.release()
            if last:
                raise
            return None
        except BaseException:
            self._use.release()
            raise
        if wh is None:
            self._use.release()
        return wh

    def _reading(self) -> Warehouse | None:
        """The read connection (use lock held), opened when there is none; None when a writer
        holds the DuckDB file."""
        if self.file is None:
            if self._reader is not None and not _answers(self._reader):
                self._close_reader()  # the server restarted, or closed it: open another
            if self._reader is None:
                self._reader = Warehouse.open(self._catalogue)
            return self._reader
        if not self.file.exists():
            raise NotIngested(
                f"the warehouse {self._shown} does not exist yet",
                hint="run `kpiboard ingest PROJECT`",
            )
        if writer_active(self.file):
            self._close_reader()  # the writer needs the file to itself
            return None
        if self._reader is None:
            self._reader = Warehouse.open(self._catalogue, read_only=True)
        return self._reader

    def _loading(self) -> DataLoading:
        return DataLoading(
            f"the data are being loaded into {self._shown}", hint="try again in a moment"
        )

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @contextmanager
    def _held(self, seconds: float) -> Iterator[None]:
        if not self._use.acquire(timeout=seconds):
            raise self._loading()
        try:
            yield
        finally:
            self._use.release()

    # --- writing ------------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Warehouse]:
        """The warehouse for one load: IngestRunning when another writer holds it; a DuckDB file
        still open elsewhere (a read in flight) is waited for, up to ``lock_wait``."""
        if self.file is None:
            if duckdb_path(self._catalogue.project.warehouse, self._catalogue.root) is not None:
                with self._held(self.lock_wait):  # in memory: the one connection there is
                    shared = self._reading()
                    assert shared is not None
                    yield shared
                return
            with Warehouse.open(self._catalogue) as wh:  # the server keeps reads apart
                yield wh
            return
        with writer_lock(self.file, self._shown), self._held(self.lock_wait):
            with self._count:
                self._close_reader()
            wh = retry_locked(
                lambda: Warehouse.open(self._catalogue), self.lock_wait, self._on_wait
            )
            with wh:
                yield wh

    def needs_writer(self, *, data: bool = True, catalogue: Catalogue | None = None) -> bool:
        """Whether a use must be a write: nothing readable is there yet (no file, no tables, a
        warehouse made before vintages) or, with ``data``, the data files changed since the
        last load. Found out by a read, so an up-to-date warehouse is never opened to write."""
        try:
            with self.read() as wh:
                return data and needs_ingest(catalogue or self._catalogue, wh)
        except NotIngested:
            return True

    def ensure_ingested(
        self, progress: Progress | None = None, catalogue: Catalogue | None = None
    ) -> IngestSummary | None:
        """Ingest when the data files changed since the last load; None when nothing needed
        it. ``catalogue``: the project's definitions as re-read since (its warehouse setting
        is not: that needs a new access)."""
        cat = catalogue or self._catalogue
        if not self.needs_writer(catalogue=cat):
            return None
        with self.write() as wh:
            return ingest_if_stale(cat, wh, progress)

    def close(self) -> None:
        with self._use, self._count:
            self._close_reader()
