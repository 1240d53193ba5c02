"""The warehouse's tables: names, SQL definitions and the Ibis schema the rest of kpiboard
sees. Column types are spelled so the same DDL runs on DuckDB and PostgreSQL."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from kpiboard.ingest import OBSERVATION_SCHEMA
from kpiboard.ingest.records import RECORD_SCHEMA

OBSERVATIONS = "kpiboard_observations"
LOADS = "kpiboard_loads"  # the files of each vintage (load_id = the vintage's id)
#: Logged paths that name a source the dashboard writes (its approved entered figures,
#: warehouse/entered.py), not a data file: a file ingest neither closes nor re-reads them.
PSEUDO_PREFIX = "dashboard:"
RECORDS = "kpiboard_records"
VINTAGES = "kpiboard_vintages"

# Every stored observation and record carries the vintage that first knew it and the first
# vintage that no longer has it (NULL: it is current), so a load keeps what was known before
# it (docs/VINTAGES.md) and storage grows with what changed, not with the number of loads.
VINTAGE_FROM = "vintage_from"
VINTAGE_TO = "vintage_to"
VINTAGE_SQL = f"{VINTAGE_FROM} INTEGER NOT NULL, {VINTAGE_TO} INTEGER"

# Arrow type -> SQL type understood by both DuckDB and PostgreSQL
_SQL_TYPES = {
    "string": "VARCHAR",
    "date32[day]": "DATE",
    "int32": "INTEGER",
    "double": "DOUBLE PRECISION",
    "bool": "BOOLEAN",
}
OBSERVATION_SQL_TYPES: dict[str, str] = {
    f.name: _SQL_TYPES[str(f.type)] for f in OBSERVATION_SCHEMA
}

#: The Ibis schema of :meth:`Warehouse.observations` (nullability as stored).
OBSERVATIONS_IBIS_SCHEMA = ibis.schema(
    {f.name: dt.dtype(f.type).copy(nullable=f.nullable) for f in OBSERVATION_SCHEMA}
)

LOAD_COLUMNS: dict[str, str] = {
    "load_id": "INTEGER NOT NULL",
    "path": "VARCHAR NOT NULL",
    "sha256": "VARCHAR NOT NULL",
    "size": "BIGINT NOT NULL",
    "rows": "BIGINT NOT NULL",
    "loaded_at": "TIMESTAMP NOT NULL",
}


def observations_ddl(name: str = OBSERVATIONS, *, temporary: bool = False) -> str:
    """CREATE TABLE for observations: one row per key and vintage that first knew it.

    No primary key: every load checks its keys come once (``vintage_write.diff_observations``,
    in the load's transaction) and the rows it inserts are those keys' new and changed rows.
    The key's index cost more than the rest of the load: at 2 million rows the insert took
    3.5 against 1.4 s, the commit 2.6 s against a moment, and the file was 171 against 28 MiB
    (docs/BENCHMARKS.md, "Tidy ingest, whole processes").
    Warehouses made with the key keep it, and work alike."""
    cols = ", ".join(
        f"{f.name} {OBSERVATION_SQL_TYPES[f.name]}{'' if f.nullable else ' NOT NULL'}"
        for f in OBSERVATION_SCHEMA
    )
    if temporary:
        return f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP"
    return f"CREATE TABLE IF NOT EXISTS {name} ({cols}, {VINTAGE_SQL})"


def loads_ddl() -> str:
    cols = ", ".join(f"{k} {v}" for k, v in LOAD_COLUMNS.items())
    return f"CREATE TABLE IF NOT EXISTS {LOADS} ({cols}, PRIMARY KEY (load_id, path))"


RECORD_SQL_TYPES: dict[str, str] = {f.name: _SQL_TYPES[str(f.type)] for f in RECORD_SCHEMA}


def records_ddl() -> str:
    """CREATE TABLE for records (one row per crime, or a published count with its weight)."""
    cols = ", ".join(
        f"{f.name} {RECORD_SQL_TYPES[f.name]}{'' if f.nullable else ' NOT NULL'}"
        for f in RECORD_SCHEMA
    )
    return f"CREATE TABLE IF NOT EXISTS {RECORDS} ({cols}, {VINTAGE_SQL})"


VINTAGE_COLUMNS: dict[str, str] = {
    "id": "INTEGER NOT NULL PRIMARY KEY",
    "created": "TIMESTAMP NOT NULL",  # UTC
    "who": "VARCHAR NOT NULL",  # the OS user, or the name `ingest --by` was given
    "kpiboard_version": "VARCHAR NOT NULL",
    "files": "INTEGER NOT NULL",
    "observations": "BIGINT NOT NULL",  # rows read from the observation files
    "records": "BIGINT NOT NULL",  # rows read from the record sources
    "changes": "VARCHAR NOT NULL",  # what changed since the vintage before, as JSON
}


def vintages_ddl() -> str:
    cols = ", ".join(f"{k} {v}" for k, v in VINTAGE_COLUMNS.items())
    return f"CREATE TABLE IF NOT EXISTS {VINTAGES} ({cols})"
