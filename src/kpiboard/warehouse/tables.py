"""The warehouse's tables: names, SQL definitions and the Ibis schema the rest of kpiboard
sees. Column types are spelled so the same DDL runs on DuckDB and PostgreSQL."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from kpiboard.ingest import KEY_COLUMNS, OBSERVATION_SCHEMA
from kpiboard.ingest.records import RECORD_SCHEMA

OBSERVATIONS = "kpiboard_observations"
LOADS = "kpiboard_loads"
RECORDS = "kpiboard_records"

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
    """CREATE TABLE for observations. The primary key is the load key, so the database itself
    refuses duplicates even if a caller bypasses validation."""
    cols = ", ".join(
        f"{f.name} {OBSERVATION_SQL_TYPES[f.name]}{'' if f.nullable else ' NOT NULL'}"
        for f in OBSERVATION_SCHEMA
    )
    if temporary:
        return f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP"
    return f"CREATE TABLE IF NOT EXISTS {name} ({cols}, PRIMARY KEY ({', '.join(KEY_COLUMNS)}))"


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
    return f"CREATE TABLE IF NOT EXISTS {RECORDS} ({cols})"
