"""A Spark warehouse's Parquet location: its layout, its current version, and the session's
views of it (docs/SPARK.md).

Spark has no transaction and no UPDATE over plain Parquet, so a load never changes a file in
place. The location holds whole versions of the four tables, each in a folder of its own, and a
pointer file naming the current one::

    LOCATION/CURRENT.json         {"layout": 1, "version": "v000007-1f2e...", "kpiboard": ...}
    LOCATION/versions/v000007-1f2e.../kpiboard_observations/*.parquet   (and records, loads,
                                                                          vintages)

A load writes a new version folder beside the current one, then replaces the pointer with
``os.replace`` (atomic on a POSIX file system): a load that fails, or is stopped, leaves the
pointer and so the previous state as they were, and its half-written folder is removed (or
ignored). Readers open the version the pointer names when they first read and each time the
pointer changes; the version before the current one is kept for readers still reading it.

The pointer's ``layout`` is the shape of the tables: a location written by a kpiboard with
another layout is refused, with the command that rebuilds it from the data files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import ibis
import ibis.backends.pyspark
import pyarrow as pa

from kpiboard import __version__
from kpiboard.errors import KpiboardError
from kpiboard.ingest import OBSERVATION_SCHEMA
from kpiboard.ingest.records import RECORD_SCHEMA
from kpiboard.warehouse.spark_session import SparkUrl
from kpiboard.warehouse.tables import LOADS, OBSERVATIONS, RECORDS, VINTAGES

T = TypeVar("T")

#: The shape of the tables a Spark location holds; raised when any table's columns change.
LAYOUT = 1
POINTER = "CURRENT.json"
VERSIONS = "versions"
DEFAULT_LOCATION = Path(".kpiboard") / "spark"

_VINTAGE_FIELDS = [pa.field("vintage_from", pa.int32()), pa.field("vintage_to", pa.int32())]
SCHEMAS: dict[str, pa.Schema] = {
    OBSERVATIONS: pa.schema([*OBSERVATION_SCHEMA, *_VINTAGE_FIELDS]),
    RECORDS: pa.schema([*RECORD_SCHEMA, *_VINTAGE_FIELDS]),
    LOADS: pa.schema(
        [
            ("load_id", pa.int32()),
            ("path", pa.string()),
            ("sha256", pa.string()),
            ("size", pa.int64()),
            ("rows", pa.int64()),
            ("loaded_at", pa.timestamp("us")),
        ]
    ),
    VINTAGES: pa.schema(
        [
            ("id", pa.int32()),
            ("created", pa.timestamp("us")),
            ("who", pa.string()),
            ("kpiboard_version", pa.string()),
            ("files", pa.int32()),
            ("observations", pa.int64()),
            ("records", pa.int64()),
            ("changes", pa.string()),
        ]
    ),
}


def spark_location_path(setting: str | None, root: Path | None) -> Path:
    """The Parquet location: ``spark_location:`` (relative to the project folder), else
    ``.kpiboard/spark`` in the project (or the current folder without one)."""
    base = root or Path.cwd()
    if setting is None:
        return base / DEFAULT_LOCATION
    path = Path(setting).expanduser()
    return path if path.is_absolute() else base / path


def rebuild_hint(location: Path) -> str:
    return (
        f"rebuild it from the data files: delete the folder {location}, then run "
        "`kpiboard ingest PROJECT --warehouse URL`"
    )


@dataclass
class Location:
    """A Parquet location and the version its session's views show."""

    path: Path
    shown: str
    version: str | None = None  # the folder the views read; None: no load yet (empty views)
    loading: bool = False  # a load has the views: the pointer is not followed meanwhile
    pointer_stamp: object = field(default=None)

    @property
    def pointer(self) -> Path:
        return self.path / POINTER

    def version_path(self, version: str) -> Path:
        return self.path / VERSIONS / version

    def table_path(self, version: str, table: str) -> str:
        return str(self.version_path(version) / table)

    def read_pointer(self) -> str | None:
        """The current version's folder name, None before the first load; an error naming the
        rebuild when another layout wrote it."""
        try:
            text = self.pointer.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KpiboardError(
                f"cannot read the Spark warehouse's pointer {self.pointer}: {exc.strerror}",
                hint="check the location's permissions",
            ) from None
        try:
            found = json.loads(text)
            layout, version = int(found["layout"]), str(found["version"])
        except (ValueError, KeyError, TypeError):
            raise KpiboardError(
                f"the Spark warehouse at {self.path} has a damaged pointer file {POINTER}",
                hint=rebuild_hint(self.path),
            ) from None
        if layout != LAYOUT:
            who = found.get("kpiboard", "another version")
            age = "an older" if layout < LAYOUT else "a newer"
            raise KpiboardError(
                f"the Spark warehouse at {self.path} was written by {age} kpiboard ({who}, "
                f"layout {layout}; this kpiboard reads layout {LAYOUT})",
                hint=rebuild_hint(self.path),
            )
        if not self.version_path(version).is_dir():
            raise KpiboardError(
                f"the Spark warehouse at {self.path} names version {version}, which is not there",
                hint=rebuild_hint(self.path),
            )
        return version

    def stamp(self) -> object:
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def check_writable(self) -> None:
        """KpiboardError when the location cannot be made or written (before any work)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".write-test-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise KpiboardError(
                f"cannot write the Spark warehouse's Parquet location {self.path}: "
                f"{exc.strerror or exc}",
                hint="set `spark_location:` in kpiboard.yaml to a folder this user can write "
                "(every Spark worker must see it at the same path)",
            ) from None

    def new_version(self, vintage: int) -> str:
        return f"v{vintage:06d}-{uuid.uuid4().hex[:12]}"

    def switch(self, version: str) -> None:
        """Make ``version`` the current one, atomically: a new pointer file renamed over the old."""
        tmp = self.path / f".{POINTER}.{uuid.uuid4().hex}"
        body = json.dumps({"layout": LAYOUT, "version": version, "kpiboard": __version__})
        with open(tmp, "w") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)


def arrow_frame(session: Any, table: pa.Table) -> Any:
    """A Spark DataFrame of an Arrow table, on a classic or a Spark Connect session alike (a
    Connect session cannot infer an empty table's columns: they are given)."""
    if table.num_rows:
        return session.createDataFrame(table)
    from pyspark.sql.pandas.types import from_arrow_schema

    return session.createDataFrame(table, schema=from_arrow_schema(table.schema))


def empty_frame(session: Any, table: str) -> Any:
    return arrow_frame(session, SCHEMAS[table].empty_table())


def show(session: Any, location: Location, version: str | None) -> None:
    """Point the session's views (one per table, named as the tables) at ``version``'s
    Parquet, or at empty tables when there is none."""
    for table in SCHEMAS:
        if version is None:
            frame = empty_frame(session, table)
        else:
            frame = session.read.parquet(location.table_path(version, table))
        frame.createOrReplaceTempView(table)
    location.version = version


#: What a Spark Connect server says of a session it no longer has: closed when idle past its
#: `spark.connect.session.manager.defaultSessionTimeout`, or a server restarted since.
SESSION_GONE = "INVALID_HANDLE.SESSION_"


class SparkBackend(ibis.backends.pyspark.Backend):  # type: ignore[misc]
    """Ibis's PySpark backend over one warehouse's session: its tables are views of the
    location's current version, followed as the pointer moves (another process's load), and
    closing it leaves the process's Spark driver running for the next warehouse. A Spark
    Connect session its server closed (idle too long, or the server restarted) is opened anew,
    views and all, at the next query, unless a load is under way (which then fails whole)."""

    kpiboard_location: Location
    kpiboard_target: SparkUrl
    kpiboard_remote: bool = False  # a Spark Connect session: its server-side session released

    def disconnect(self) -> None:
        try:
            for table in SCHEMAS:
                self._session.catalog.dropTempView(table)
        except Exception as exc:  # a Connect session the server closed has no views to drop
            if not self._gone(exc):
                raise
        if self.kpiboard_remote:
            self._session.stop()  # this client's session on the server, not the server

    def _gone(self, exc: BaseException) -> bool:
        return self.kpiboard_remote and SESSION_GONE in str(exc)

    def _again(self, work: Callable[[], T]) -> T:
        """``work``, once more on a new session when the server closed this one."""
        try:
            return work()
        except Exception as exc:
            if not self._gone(exc) or self.kpiboard_location.loading:
                raise
        from kpiboard.warehouse.spark_session import spark_session

        old, loc = self._session, self.kpiboard_location
        self.do_connect(spark_session(self.kpiboard_target))  # ibis's settings on it too
        # ibis's in-memory tables, made again on the new session as they are needed
        self._memtables: weakref.WeakSet[Any] = weakref.WeakSet()
        show(self._session, loc, loc.version)
        with contextlib.suppress(Exception):
            old.stop()
        return work()

    def follow(self) -> None:
        """Show the pointer's version when the pointer changed since the views were made."""
        loc = self.kpiboard_location
        if loc.loading:
            return
        stamp = loc.stamp()
        if stamp == loc.pointer_stamp:
            return
        version = loc.read_pointer()
        if version != loc.version:
            self._again(lambda: show(self._session, loc, version))
        loc.pointer_stamp = stamp

    def to_pyarrow(self, expr: Any, /, *, params: Any = None, limit: Any = None, **kw: Any) -> Any:
        """Spark's own Arrow result (``DataFrame.toArrow``), not ibis's way round through
        pandas: no pandas conversion per query, and none of the warnings PySpark 4.0's pandas
        code gives with pandas 3 (one per column per query)."""
        from ibis.formats.pyarrow import PyArrowData

        table = expr.as_table()

        def run() -> Any:
            self._run_pre_execute_hooks(table)  # in-memory tables (ibis.memtable) made views
            sql = self.compile(table, params=params, limit=limit, **kw)
            return self._session.sql(sql).toArrow()

        got = self._again(run)
        return expr.__pyarrow_result__(PyArrowData.convert_table(got, table.schema()))

    def table(self, name: str, /, *, database: Any = None) -> Any:
        if name in SCHEMAS:
            self.follow()
        return self._again(lambda: super(SparkBackend, self).table(name, database=database))


def first_line(exc: BaseException) -> str:
    """An exception's first line of text (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_server_writes(session: Any, target: SparkUrl, loc: Location) -> None:
    """KpiboardError, before any work, when a Spark Connect server cannot write the location,
    or writes it where this machine does not see it (its own disk, not a shared folder): the
    server writes the Parquet and this process the pointer, so both must see it at one path."""
    from pyspark.errors import PySparkException

    probe = loc.path / f".server-write-test-{uuid.uuid4().hex}"
    same_path = (
        "the server writes the Parquet and kpiboard the pointer beside it, so "
        "`spark_location:` must be a folder the server and this machine both see at the "
        "same path (the same machine, or a shared mount)"
    )
    try:
        session.range(1).write.parquet(str(probe))
    except PySparkException as exc:
        raise KpiboardError(
            f"the Spark Connect server at {target.shown} cannot write the Spark warehouse's "
            f"Parquet location {loc.path}: {first_line(exc)}",
            hint="let the server's user write that folder; " + same_path,
        ) from None
    try:
        if not probe.is_dir():
            raise KpiboardError(
                f"the Spark Connect server at {target.shown} wrote to {loc.path} where this "
                "machine does not see it (on its own disk)",
                hint=same_path,
            )
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _show_first(session: Any, target: SparkUrl, loc: Location, version: str | None) -> None:
    """:func:`show` as the warehouse opens: a version this machine sees and its Spark server
    cannot read (another machine's disk) said as such, not as Spark's traceback."""
    from pyspark.errors import AnalysisException

    try:
        show(session, loc, version)
    except AnalysisException as exc:
        if target.kind != "sc":
            raise
        raise KpiboardError(
            f"the Spark Connect server at {target.shown} cannot read the Spark warehouse's "
            f"Parquet location {loc.path}: {first_line(exc)}",
            hint="`spark_location:` must be a folder the server and this machine both see at "
            "the same path (the same machine, or a shared mount)",
        ) from None


def open_spark(
    target: SparkUrl, location: Path, *, read_only: bool = False
) -> tuple[SparkBackend, str]:
    """The Ibis backend for a Spark warehouse, its views on the location's current version; a
    writer's location is checked writable first (by the Spark Connect server too)."""
    from kpiboard.warehouse.spark_session import spark_session

    shown = f"{target.shown} (Parquet in {location})"
    loc = Location(location, shown)
    if not read_only:
        loc.check_writable()
    version = loc.read_pointer()  # a location of another layout is refused before Spark starts
    session = spark_session(target)
    try:
        if target.kind == "sc" and not read_only:
            check_server_writes(session, target, loc)
        ibis.pyspark  # noqa: B018 - loading it the way ibis does registers its options
        backend = SparkBackend().connect(session)
        backend.kpiboard_location = loc
        backend.kpiboard_target = target
        backend.kpiboard_remote = target.kind == "sc"
        _show_first(session, target, loc, version)
    except BaseException:
        if target.kind == "sc":
            session.stop()
        raise
    loc.pointer_stamp = loc.stamp()
    return backend, shown
