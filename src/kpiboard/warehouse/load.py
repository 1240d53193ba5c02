"""The one write path: an atomic, idempotent load of observations.

Inside a single transaction it records the files, counts the keys it will replace, deletes
rows with the incoming keys and rows that came from the files being (re)loaded, then inserts
the new rows. Any failure rolls everything back, so the warehouse is either fully updated or
untouched. This is the only place that speaks SQL to a particular backend; every read goes
through Ibis.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
from ibis.backends import BaseBackend

from kpiboard.errors import KpiboardError
from kpiboard.ingest import KEY_COLUMNS, OBSERVATION_COLUMNS, FileStamp
from kpiboard.ingest.records import RECORD_COLUMNS, RecordRead
from kpiboard.warehouse.tables import (
    LOADS,
    OBSERVATION_SQL_TYPES,
    OBSERVATIONS,
    RECORD_SQL_TYPES,
    RECORDS,
    observations_ddl,
)

STAGE = "_kpiboard_staging"
RECORD_STAGE = "_kpiboard_record_batch"
ROWS_STAGE = "_kpiboard_rows"
# Record rows gathered from a reader's batches before each INSERT (or COPY): one statement per
# reader batch (a few thousand rows) costs more in overhead than in work. Bounded memory still.
RECORD_CHUNK_ROWS = 500_000
# DuckDB threads while record chunks are inserted (the setting is restored after the load). The
# readers use the other cores; DuckDB splitting each insert over two threads cost ~40% more CPU
# a row (1.2 against 0.85 us, measured at 5M police.uk rows) for no gain once the reader runs.
RECORD_INSERT_THREADS = 1
# Chunks that may wait for the warehouse while the next is gathered: with one, the reading
# thread stopped at every chunk until the one before was in (half of a 10M-row load, measured).
RECORD_CHUNKS_AHEAD = 2
SUPPORTED = ("duckdb", "postgres")


@dataclass(frozen=True)
class LoadResult:
    """What a load changed. ``replaced_keys`` existed before and were overwritten;
    ``removed_rows`` were dropped because their file no longer has them."""

    load_id: int
    rows: int
    new_keys: int
    replaced_keys: int
    removed_rows: int
    files: tuple[FileStamp, ...]
    records: int = 0  # record rows loaded from record sources
    set_aside: tuple[tuple[str, int], ...] = ()  # (organisation name, rows skipped)


class _Session(Protocol):
    param: str

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...


class _DuckSession:
    param = "?"

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.raw.execute(sql, list(params)).fetchall()[0][0])

    run = scalar  # DuckDB answers DELETE/INSERT with the row count

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """One INSERT for all the rows (executemany runs a statement a row: 0.35 s for the
        files of a 10M-row police.uk load, against a few milliseconds)."""
        if not rows:
            return
        self.raw.register(
            ROWS_STAGE,
            pa.table({c: list(v) for c, v in zip(columns, zip(*rows, strict=True), strict=True)}),
        )
        try:
            cols = ", ".join(columns)
            self.raw.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {ROWS_STAGE}"
            ).fetchall()
        finally:
            self.raw.unregister(ROWS_STAGE)


class _PgSession:
    param = "%s"

    def __init__(self, cursor: Any) -> None:
        self.cur = cursor

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cur.execute(sql, params)
        return int(self.cur.fetchone()[0])

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cur.execute(sql, params)
        return int(self.cur.rowcount)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join([self.param] * len(columns))
            self.cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )


def _log_files(s: _Session, load_id: int, files: Sequence[FileStamp], now: dt.datetime) -> None:
    s.insert(
        LOADS,
        ("load_id", "path", "sha256", "size", "rows", "loaded_at"),
        [(load_id, f.path, f.sha256, f.size, f.rows, now) for f in files],
    )


def _apply(s: _Session, files: Sequence[FileStamp], rows: int, complete: bool) -> LoadResult:
    p = s.param
    load_id = s.scalar(f"SELECT COALESCE(MAX(load_id), 0) + 1 FROM {LOADS}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _log_files(s, load_id, files, now)
    on = " AND ".join(f"{OBSERVATIONS}.{c} = s.{c}" for c in KEY_COLUMNS)
    replaced = s.scalar(f"SELECT COUNT(*) FROM {OBSERVATIONS} JOIN {STAGE} s ON {on}")
    s.run(f"DELETE FROM {OBSERVATIONS} USING {STAGE} s WHERE {on}")
    # A file's new content supersedes its old content: rows it no longer has must go. A
    # complete load (the project's whole data set) also drops rows of files since removed.
    removed = s.run(
        f"DELETE FROM {OBSERVATIONS} WHERE regexp_replace(source, ':[0-9]+$', '') IN "
        f"(SELECT path FROM {LOADS} WHERE load_id = {p} OR {p})",
        (load_id, complete),
    )
    cols = ", ".join(OBSERVATION_COLUMNS)
    casts = ", ".join(f"CAST({c} AS {OBSERVATION_SQL_TYPES[c]})" for c in OBSERVATION_COLUMNS)
    inserted = s.run(f"INSERT INTO {OBSERVATIONS} ({cols}) SELECT {casts} FROM {STAGE}")
    if inserted != rows:  # pragma: no cover - a driver miscounting would be a bug
        raise RuntimeError(f"inserted {inserted} rows, expected {rows}")
    return LoadResult(load_id, rows, rows - replaced, replaced, removed, tuple(files))


def _with_records(
    s: _Session,
    result: LoadResult,
    reads: Sequence[RecordRead],
    insert_batch: Any,
    wait: Callable[[], None] = lambda: None,
) -> LoadResult:
    """Replace each record source's rows with what its reader yields, in chunks of about
    ``RECORD_CHUNK_ROWS`` rows (so a national volume never sits in memory whole), and log its
    files under the same load. ``wait`` returns once every chunk handed to ``insert_batch`` is
    in (an insert may run while the reader reads the next chunk); it is called before the
    session is used again.
    A reader that finds bad data raises while being iterated: the transaction rolls back."""
    p = s.param
    rows = 0
    set_aside: dict[str, int] = {}
    files = list(result.files)
    for read in reads:
        s.run(f"DELETE FROM {RECORDS} WHERE source = {p}", (read.source,))
        chunk: list[pa.RecordBatch] = []
        pending = 0
        for batch in read:
            if batch.num_rows:
                chunk.append(batch)
                pending += batch.num_rows
                if pending >= RECORD_CHUNK_ROWS:
                    insert_batch(pa.Table.from_batches(chunk))
                    rows += pending
                    chunk, pending = [], 0
        if chunk:
            insert_batch(pa.Table.from_batches(chunk))
            rows += pending
        wait()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        _log_files(s, result.load_id, read.files, now)
        files += read.files
        for name, count in read.set_aside.items():
            set_aside[name] = set_aside.get(name, 0) + count
    return LoadResult(
        result.load_id,
        result.rows,
        result.new_keys,
        result.replaced_keys,
        result.removed_rows,
        tuple(files),
        rows,
        tuple(sorted(set_aside.items())),
    )


_RECORD_CASTS = [f"CAST({c} AS {RECORD_SQL_TYPES[c]}) AS {c}" for c in RECORD_COLUMNS]
_RECORD_INSERT = (
    f"INSERT INTO {RECORDS} ({', '.join(RECORD_COLUMNS)}) SELECT "
    + ", ".join(_RECORD_CASTS)
    + f" FROM {RECORD_STAGE}"
)


def _load_duckdb(
    backend: Any,
    table: pa.Table,
    files: Sequence[FileStamp],
    complete: bool,
    reads: Sequence[RecordRead] = (),
) -> LoadResult:
    raw = backend.con
    raw.register(STAGE, table)  # a zero-copy view of the Arrow table: no row-by-row inserts

    # Not register() + INSERT for each chunk: a view dropped inside a transaction is kept, with
    # the Arrow data it points at, until the commit (for a rollback), so a national volume would
    # sit in memory whole. A relation holds its chunk only while it is inserted. Its insert is
    # by position: the table made by records_ddl has RECORD_COLUMNS in order (else the view).
    positional = list(raw.table(RECORDS).columns) == list(RECORD_COLUMNS)

    def insert_batch(batch: pa.Table) -> None:
        if positional:
            raw.from_arrow(batch).project(", ".join(_RECORD_CASTS)).insert_into(RECORDS)
            return
        raw.register(RECORD_STAGE, batch)
        try:
            raw.execute(_RECORD_INSERT)
        finally:
            raw.unregister(RECORD_STAGE)

    writer = _Overlapped(insert_batch)
    threads = int(raw.execute("SELECT current_setting('threads')").fetchall()[0][0])
    try:
        if reads:
            raw.execute(f"SET threads = {min(threads, RECORD_INSERT_THREADS)}")
        raw.execute("BEGIN TRANSACTION")
        try:
            session = _DuckSession(raw)
            result = _apply(session, files, table.num_rows, complete)
            result = _with_records(session, result, reads, writer, writer.wait)
            raw.execute("COMMIT")
        except BaseException:
            # an insert still running must end before the rollback; if it failed, its error
            # came first (as it would have, one chunk at a time)
            try:
                writer.wait()
            finally:
                raw.execute("ROLLBACK")
            raise
    finally:
        writer.close()
        raw.unregister(STAGE)
        if reads:
            raw.execute(f"SET threads = {threads}")
    return result


class _Overlapped:
    """Runs ``insert(chunk)`` in one worker thread, one chunk after another, so that DuckDB writes
    (without the GIL) while the reader parses and checks the next chunks. Up to ``depth``
    chunks may wait: calling it first waits for the oldest chunk beyond that (raising its error,
    if any); :meth:`wait` waits for every chunk. The connection is only used by the worker
    thread while chunks are pending."""

    def __init__(self, insert: Callable[[pa.Table], None], depth: int | None = None) -> None:
        self._insert = insert
        self._depth = RECORD_CHUNKS_AHEAD if depth is None else depth
        self._pool: ThreadPoolExecutor | None = None
        self._futures: collections.deque[Future[None]] = collections.deque()

    def __call__(self, chunk: pa.Table) -> None:
        while len(self._futures) >= self._depth:
            self._futures.popleft().result()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="kpiboard-load")
        self._futures.append(self._pool.submit(self._insert, chunk))

    def wait(self) -> None:
        """Wait for every chunk; the first error (in chunk order) is raised once all are done."""
        error: BaseException | None = None
        while self._futures:
            try:
                self._futures.popleft().result()
            except BaseException as exc:  # noqa: BLE001 - kept, raised once all are done
                error = error or exc
        if error is not None:
            raise error

    def close(self) -> None:
        # raised already by the load, or rolled back
        with contextlib.suppress(BaseException):
            self.wait()
        if self._pool is not None:
            self._pool.shutdown()


def _load_postgres(
    backend: Any,
    table: pa.Table,
    files: Sequence[FileStamp],
    complete: bool,
    reads: Sequence[RecordRead] = (),
) -> LoadResult:
    # COPY is an order of magnitude faster than INSERTs (or ibis create_table) on PostgreSQL
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False))
    conn = backend.con
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(observations_ddl(STAGE, temporary=True))
        with cur.copy(
            f"COPY {STAGE} ({', '.join(OBSERVATION_COLUMNS)}) FROM STDIN (FORMAT csv)"
        ) as copy:
            copy.write(buf.getvalue())
        session = _PgSession(cur)
        result = _apply(session, files, table.num_rows, complete)

        def insert_batch(batch: pa.Table) -> None:
            data = io.BytesIO()
            pacsv.write_csv(batch, data, pacsv.WriteOptions(include_header=False))
            with cur.copy(
                f"COPY {RECORDS} ({', '.join(RECORD_COLUMNS)}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(data.getvalue())

        return _with_records(session, result, reads, insert_batch)


def run_ddl(backend: BaseBackend, sql: str) -> None:
    """Run one statement that returns nothing (DDL), closing whatever cursor it opens."""
    raw: Any = getattr(backend, "con", None)
    if backend.name == "duckdb":
        raw.execute(sql)  # DuckDB's execute returns the connection itself: nothing to close
    elif backend.name == "postgres":
        with raw.cursor() as cur:
            cur.execute(sql)
    else:
        cursor = backend.raw_sql(sql)
        getattr(cursor, "close", lambda: None)()


def _driver_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    errors: list[type[BaseException]] = [duckdb.Error, pa.ArrowException]
    try:
        import psycopg

        errors.append(psycopg.Error)
    except ImportError:  # pragma: no cover - postgres support is optional
        pass
    return tuple(errors)


def load_table(
    backend: BaseBackend,
    table: pa.Table,
    files: Sequence[FileStamp],
    *,
    complete: bool = False,
    records: Sequence[RecordRead] = (),
) -> LoadResult:
    """Load ``table`` (observation columns, any order) atomically; see the module docstring."""
    missing = [c for c in OBSERVATION_COLUMNS if c not in table.column_names]
    if missing:
        raise KpiboardError(
            f"the table to load lacks column(s) {', '.join(missing)}",
            hint="build it with kpiboard.ingest.read_observations",
        )
    table = table.select(list(OBSERVATION_COLUMNS))
    loaders = {"duckdb": _load_duckdb, "postgres": _load_postgres}
    loader = loaders.get(backend.name)
    if loader is None:
        raise KpiboardError(
            f"loading into a {backend.name} warehouse is not supported yet",
            hint="use a DuckDB or PostgreSQL warehouse for ingest: " + ", ".join(SUPPORTED),
        )
    try:
        return loader(backend, table, files, complete, records)
    except _driver_errors() as exc:
        raise KpiboardError(
            f"the load failed and was rolled back; the warehouse is unchanged: "
            f"{str(exc).strip().splitlines()[0]}",
            hint="nothing was written; check the data with `kpiboard validate` and that "
            "the warehouse is writable and not in use",
        ) from exc
