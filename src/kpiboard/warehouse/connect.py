"""Turning a project's warehouse setting into an Ibis connection.

``warehouse:`` in kpiboard.yaml is any Ibis URL (``postgres://user@host:5432/db``,
``duckdb:///abs/path.duckdb``) or a Spark master (``local[2]``, ``spark://host:7077``,
``sc://host:15002``: kpiboard.warehouse.spark_session). A DuckDB path that is not absolute is relative to the
project folder, and without a setting the warehouse is ``.kpiboard/warehouse.duckdb`` there.
"""

from __future__ import annotations

from pathlib import Path

import ibis
from ibis.backends import BaseBackend

from kpiboard.errors import KpiboardError
from kpiboard.redaction import redact as redact  # the one rule, importable here too
from kpiboard.warehouse.spark_session import require_pyspark, spark_url

DEFAULT_DUCKDB = Path(".kpiboard") / "warehouse.duckdb"
_DUCKDB_PREFIX = "duckdb://"


def duckdb_path(url: str | None, root: Path | None) -> Path | str | None:
    """The DuckDB database file for ``url`` (``":memory:"`` for an in-memory one), or None when
    the URL is for another backend."""
    if url is None:
        if root is None:
            raise KpiboardError("no warehouse URL and no project folder to put one in")
        return root / DEFAULT_DUCKDB
    text = url.strip()
    if text.startswith(_DUCKDB_PREFIX):
        rest = text[len(_DUCKDB_PREFIX) :].split("?", 1)[0]
    elif "://" not in text and text.endswith((".duckdb", ".ddb", ".db")):
        rest = text  # a bare file path is clearly meant as a DuckDB file
    else:
        return None
    if rest in ("", ":memory:", "memory"):
        return ":memory:"
    path = Path(rest).expanduser()
    if not path.is_absolute():
        path = (root or Path.cwd()) / path
    return path


class WarehouseLocked(KpiboardError):
    """Another process has the DuckDB file open in a way that excludes this connection (a
    writer excludes everyone; readers exclude a writer)."""

    retry_after_seconds = 5


LOCKED_HINT = (
    "another kpiboard (or DuckDB) process may have the file open; close it, or wait longer "
    "with --wait SECONDS. `kpiboard serve` does not hold it between page builds"
)


def connect(
    url: str | None,
    root: Path | None,
    *,
    read_only: bool = False,
    spark_location: str | None = None,
) -> tuple[BaseBackend, str]:
    """Connect, returning the backend and the URL as shown to users. ``read_only`` opens a
    DuckDB file for reading only, which other processes' readers may share (PostgreSQL ignores
    it: its server keeps readers and writers apart; a Spark reader does not need its Parquet
    location writable). A Spark master URL (``local[N]``, ``spark://``, ``sc://``) keeps its
    tables as Parquet in ``spark_location`` (docs/SPARK.md)."""
    target = spark_url(url)
    if target is not None:
        require_pyspark(target)
        # here, not at the top: PySpark is optional and heavy, imported only for a Spark URL
        from kpiboard.warehouse.spark_store import open_spark, spark_location_path

        location = spark_location_path(spark_location, root)
        return open_spark(target, location, read_only=read_only)
    path = duckdb_path(url, root)
    if path is not None:
        shown = f"duckdb://{path}"
        try:
            if isinstance(path, Path) and not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            only = read_only and path != ":memory:"
            return ibis.duckdb.connect(database=str(path), read_only=only), shown
        except Exception as exc:  # any driver failure is the user's setting/file
            if "lock" in str(exc).lower():
                raise WarehouseLocked(
                    f"cannot open the warehouse {shown}: {exc}", hint=LOCKED_HINT
                ) from exc
            hint = "check the path and that the file is a DuckDB database"
            raise KpiboardError(f"cannot open the warehouse {shown}: {exc}", hint=hint) from exc
    assert url is not None
    text = url.strip()
    if text.startswith("postgresql://"):
        text = "postgres://" + text[len("postgresql://") :]
    shown = redact(text)
    try:
        return ibis.connect(text), shown
    except Exception as exc:  # unreachable server, bad URL, missing driver
        raise KpiboardError(
            f"cannot connect to the warehouse {shown}: {redact(str(exc), text).strip()}",
            hint="check `warehouse:` in kpiboard.yaml, that the server is running, and that its "
            "driver is installed (PostgreSQL: pip install 'kpiboard[postgres]')",
        ) from exc
