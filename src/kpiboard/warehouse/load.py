"""The one write path: an atomic, idempotent load of observations and records, as a vintage.

Inside a single transaction it records the files under the next vintage, diffs the incoming
rows against the current ones (``vintage_write``: unchanged rows stay, changed and removed
rows are closed, new and changed rows inserted), records what changed (``changes``) and the
vintage. A load that changed nothing, or one only checked (``ingest --check``), is rolled back:
no vintage. Any failure rolls everything back, so the warehouse is either fully updated or
untouched. This is the only place that speaks SQL to a particular backend; every read goes
through Ibis.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from ibis.backends import BaseBackend

from kpiboard.errors import KpiboardError
from kpiboard.ingest import OBSERVATION_COLUMNS, OBSERVATION_SCHEMA, FileStamp
from kpiboard.ingest.records import RECORD_COLUMNS, RecordRead
from kpiboard.warehouse.changes import observation_changes, record_changes
from kpiboard.warehouse.load_options import LoadOptions as LoadOptions  # importable from here too
from kpiboard.warehouse.load_options import LoadResult as LoadResult
from kpiboard.warehouse.overlapped import Overlapped
from kpiboard.warehouse.tables import (
    LOADS,
    OBSERVATION_SQL_TYPES,
    PSEUDO_PREFIX,
    RECORD_SQL_TYPES,
    RECORDS,
    VINTAGE_FROM,
    VINTAGE_TO,
    VINTAGES,
    observations_ddl,
)
from kpiboard.warehouse.vintage_write import (
    RecordGate,
    Session,
    close_record_files,
    diff_observations,
    latest_files,
    latest_vintage,
    record_vintage,
)

STAGE = "_kpiboard_staging"
TYPED_STAGE = "_kpiboard_new"
RECORD_STAGE = "_kpiboard_record_batch"
ROWS_STAGE = "_kpiboard_rows"
# Record rows gathered from a reader's batches before each INSERT (or COPY): one statement per
# reader batch (a few thousand rows) costs more in overhead than in work. Bounded memory still.
RECORD_CHUNK_ROWS = 500_000
# DuckDB threads while record chunks are inserted (the setting is restored after the load). The
# readers use the other cores; DuckDB splitting each insert over two threads cost ~40% more CPU
# a row (1.2 against 0.85 us, measured at 5M police.uk rows) for no gain once the reader runs.
RECORD_INSERT_THREADS = 1
SUPPORTED = ("duckdb", "postgres")


class _Rollback(Exception):
    """Ends a load's transaction with a rollback (nothing changed, or only checking) while
    keeping what it found."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result


class _DuckSession:
    param = "?"

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.raw.execute(sql, list(params)).fetchall()[0][0])

    run = scalar  # DuckDB answers DELETE/INSERT with the row count

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.raw.execute(sql, list(params)).fetchall())

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

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cur.execute(sql, params)
        return list(self.cur.fetchall())

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join([self.param] * len(columns))
            self.cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )


def _log_files(s: Session, load_id: int, files: Sequence[FileStamp], now: dt.datetime) -> None:
    if not files:
        return
    s.insert(
        LOADS,
        ("load_id", "path", "sha256", "size", "rows", "loaded_at"),
        [(load_id, f.path, f.sha256, f.size, f.rows, now) for f in files],
    )


def _apply(
    s: Session, stage: str, files: Sequence[FileStamp], rows: int, opts: LoadOptions
) -> tuple[LoadResult, int]:
    """The observations of a new vintage; with the rows it closed or inserted."""
    previous = latest_vintage(s)
    vintage = previous + 1
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # the diff closes the rows of the files logged for this vintage that the stage lacks: only
    # the files given (of a complete load, every file ever loaded), so the others are logged
    # after it
    _log_files(s, vintage, files, now)
    diff = diff_observations(s, stage, vintage, opts.complete, checked=opts.unique)
    # the files not given stay in the vintage: of a partial load, all; of a complete one (the
    # project's data files), the sources the dashboard writes
    given = {f.path for f in files}
    carried = [
        f
        for p, f in latest_files(s, previous).items()
        if p not in given and (not opts.complete or p.startswith(PSEUDO_PREFIX))
    ]
    _log_files(s, vintage, carried, now)
    if diff.inserted_rows - (rows - diff.replaced_keys) - diff.changed_rows:  # pragma: no cover
        raise RuntimeError("the rows inserted are not the new and changed ones")
    touched = diff.changed_rows + diff.removed_rows + diff.inserted_rows
    result = LoadResult(
        vintage,
        rows,
        rows - diff.replaced_keys,
        diff.replaced_keys,
        diff.removed_rows,
        tuple(files),
        vintage=vintage,
        previous=previous,
    )
    return result, touched


def _with_vintage(batch: pa.Table, vintage: int) -> pa.Table:
    """A record chunk with the vintage that first knows it."""
    return batch.append_column(
        "vintage_from", pa.array([vintage] * batch.num_rows, pa.int32())
    ).append_column("vintage_to", pa.nulls(batch.num_rows, pa.int32()))


def _with_records(
    s: Session,
    result: LoadResult,
    reads: Sequence[RecordRead],
    insert_batch: Any,
    opts: LoadOptions,
    wait: Callable[[], None] = lambda: None,
) -> tuple[LoadResult, int]:
    """Write each record source's new and changed files' rows (what its reader yields, in
    chunks of about ``RECORD_CHUNK_ROWS`` rows, so a national volume never sits in memory
    whole) and close the rows of files changed or gone; log its files under the same vintage.
    ``wait`` returns once every chunk handed to ``insert_batch`` is in (an insert may run
    while the reader reads the next chunk); it is called before the session is used again.
    A reader that finds bad data raises while being iterated: the transaction rolls back."""
    vintage = result.load_id
    rows = touched = 0
    set_aside: dict[str, int] = {}
    files = list(result.files)
    current = {p: f.sha256 for p, f in latest_files(s, result.previous).items()}
    for read in reads:
        gate = RecordGate(current, read.files, opts.digest, RECORD_CHUNK_ROWS)
        for chunk in record_chunks(read, gate):
            insert_batch(_with_vintage(chunk, vintage))
            touched += chunk.num_rows
        wait()
        rows += read.rows
        touched += close_record_files(s, read.source, vintage, read.files)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        _log_files(s, vintage, read.files, now)
        files += read.files
        for name, count in read.set_aside.items():
            set_aside[name] = set_aside.get(name, 0) + count
    out = dataclasses.replace(
        result, files=tuple(files), records=rows, set_aside=tuple(sorted(set_aside.items()))
    )
    return out, touched


def record_chunks(read: RecordRead, gate: RecordGate) -> Iterator[pa.Table]:
    """What a record reader yields past the gate, gathered into chunks of about
    ``RECORD_CHUNK_ROWS`` rows (one insert each: an insert per reader batch costs more in
    overhead than in work)."""
    chunk: list[pa.Table] = []
    pending = 0
    for part in _gated(read, gate):
        chunk.append(part)
        pending += part.num_rows
        if pending >= RECORD_CHUNK_ROWS:
            yield pa.concat_tables(chunk)
            chunk, pending = [], 0
    if chunk:
        yield pa.concat_tables(chunk)


def _gated(read: RecordRead, gate: RecordGate) -> Iterator[pa.Table]:
    for batch in read:
        if batch.num_rows:
            yield from gate.add(pa.Table.from_batches([batch]))
    yield from gate.finish()


def _conclude(s: Session, result: LoadResult, touched: int, opts: LoadOptions) -> LoadResult:
    """Keep the vintage when something changed (recording what), else signal a rollback."""
    vintage = result.load_id
    changed = touched > 0 or latest_files(s, vintage) != latest_files(s, result.previous)
    changes = (*observation_changes(s, vintage), *record_changes(s, vintage))
    if changed and opts.check and opts.on_check is not None:
        opts.on_check()
    if not changed or opts.check:
        raise _Rollback(
            dataclasses.replace(
                result,
                load_id=result.previous,
                vintage=None,
                changes=changes if changed else (),
                checked_only=opts.check,
                changed=changed,
            )
        )
    record_vintage(
        s,
        vintage,
        who=opts.who,
        files=len(latest_files(s, vintage)),
        observations=result.rows,
        records=result.records,
        changes=changes,
    )
    return dataclasses.replace(result, changes=changes, changed=True)


_VINTAGE_CASTS = [
    "CAST(vintage_from AS INTEGER) AS vintage_from",
    "CAST(vintage_to AS INTEGER) AS vintage_to",
]
_RECORD_CASTS = [
    f"CAST({c} AS {RECORD_SQL_TYPES[c]}) AS {c}" for c in RECORD_COLUMNS
] + _VINTAGE_CASTS
_RECORD_STORED = (*RECORD_COLUMNS, VINTAGE_FROM, VINTAGE_TO)
_RECORD_INSERT = (
    f"INSERT INTO {RECORDS} ({', '.join(_RECORD_STORED)}) SELECT "
    + ", ".join(_RECORD_CASTS)
    + f" FROM {RECORD_STAGE}"
)


def _typed_stage(raw: Any, table: pa.Table) -> str:
    """The stage the diff reads: the registered Arrow table itself when its columns have the
    observation types already (as ``read_observations`` makes them: no copy, which at 2M rows
    was 0.6 s and the memory of the rows once more), else a typed copy, so a value of the
    wrong type fails here and the diff compares alike."""
    if table.schema.types == OBSERVATION_SCHEMA.types:
        return STAGE
    casts = ", ".join(
        f"CAST({c} AS {OBSERVATION_SQL_TYPES[c]}) AS {c}" for c in OBSERVATION_COLUMNS
    )
    raw.execute(f"CREATE OR REPLACE TEMP TABLE {TYPED_STAGE} AS SELECT {casts} FROM {STAGE}")
    return TYPED_STAGE


def _load_duckdb(
    backend: Any,
    table: pa.Table,
    files: Sequence[FileStamp],
    opts: LoadOptions,
    reads: Sequence[RecordRead] = (),
) -> LoadResult:
    raw = backend.con
    raw.register(STAGE, table)  # a zero-copy view of the Arrow table: no row-by-row inserts

    # Not register() + INSERT for each chunk: a view dropped inside a transaction is kept, with
    # the Arrow data it points at, until the commit (for a rollback), so a national volume would
    # sit in memory whole. A relation holds its chunk only while it is inserted. Its insert is
    # by position: the table made by records_ddl has its columns in order (else the view).
    positional = list(raw.table(RECORDS).columns) == list(_RECORD_STORED)

    def insert_batch(batch: pa.Table) -> None:
        if positional:
            raw.from_arrow(batch).project(", ".join(_RECORD_CASTS)).insert_into(RECORDS)
            return
        raw.register(RECORD_STAGE, batch)
        try:
            raw.execute(_RECORD_INSERT)
        finally:
            raw.unregister(RECORD_STAGE)

    writer = Overlapped(insert_batch)
    threads = int(raw.execute("SELECT current_setting('threads')").fetchall()[0][0])
    try:
        if reads:
            raw.execute(f"SET threads = {min(threads, RECORD_INSERT_THREADS)}")
        raw.execute("BEGIN TRANSACTION")
        try:
            session = _DuckSession(raw)
            stage = _typed_stage(raw, table)
            result, touched = _apply(session, stage, files, table.num_rows, opts)
            result, more = _with_records(session, result, reads, writer, opts, writer.wait)
            if stage == TYPED_STAGE:
                raw.execute(f"DROP TABLE {TYPED_STAGE}")
            result = _conclude(session, result, touched + more, opts)
            raw.execute("COMMIT")
        except BaseException:
            # an insert still running must end before the rollback; if it failed, its error
            # came first (as it would have, one chunk at a time)
            try:
                writer.wait()
            finally:
                raw.execute("ROLLBACK")
            raise
    except _Rollback as done:
        result = done.result
    finally:
        writer.close()
        raw.unregister(STAGE)
        if reads:
            raw.execute(f"SET threads = {threads}")
    return result


def _load_postgres(
    backend: Any,
    table: pa.Table,
    files: Sequence[FileStamp],
    opts: LoadOptions,
    reads: Sequence[RecordRead] = (),
) -> LoadResult:
    # COPY is an order of magnitude faster than INSERTs (or ibis create_table) on PostgreSQL
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False))
    conn = backend.con
    try:
        with conn.transaction(), conn.cursor() as cur:
            # one load at a time: a second waits, then diffs against what the first made
            cur.execute(f"LOCK TABLE {VINTAGES} IN SHARE ROW EXCLUSIVE MODE")
            cur.execute(observations_ddl(STAGE, temporary=True))
            with cur.copy(
                f"COPY {STAGE} ({', '.join(OBSERVATION_COLUMNS)}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(buf.getvalue())
            session = _PgSession(cur)
            result, touched = _apply(session, STAGE, files, table.num_rows, opts)

            def insert_batch(batch: pa.Table) -> None:
                data = io.BytesIO()
                pacsv.write_csv(batch, data, pacsv.WriteOptions(include_header=False))
                with cur.copy(
                    f"COPY {RECORDS} ({', '.join(_RECORD_STORED)}) FROM STDIN (FORMAT csv)"
                ) as copy:
                    copy.write(data.getvalue())

            result, more = _with_records(session, result, reads, insert_batch, opts)
            return _conclude(session, result, touched + more, opts)
    except _Rollback as done:  # the transaction rolled back as the exception left it
        return done.result


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
    options: LoadOptions | None = None,
) -> LoadResult:
    """Load ``table`` (observation columns, any order) atomically as a new vintage; see the
    module docstring. ``options`` (if given) overrides ``complete``."""
    opts = options or LoadOptions(complete=complete)
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
        return loader(backend, table, files, opts, records)
    except _driver_errors() as exc:
        raise KpiboardError(
            f"the load failed and was rolled back; the warehouse is unchanged: "
            f"{str(exc).strip().splitlines()[0]}",
            hint="nothing was written; check the data with `kpiboard validate` and that "
            "the warehouse is writable and not in use",
        ) from exc
