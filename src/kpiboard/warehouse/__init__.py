"""The warehouse: an Ibis connection (DuckDB by default, PostgreSQL and others by URL) that
stores observations and loads them atomically. All backend specifics live in this package."""

from kpiboard.warehouse.access import DataLoading, IngestRunning, WarehouseAccess
from kpiboard.warehouse.connect import DEFAULT_DUCKDB
from kpiboard.warehouse.ingest_run import IngestSummary, ingest_if_stale, ingest_project
from kpiboard.warehouse.load import LoadResult
from kpiboard.warehouse.reads import Observations
from kpiboard.warehouse.store import Warehouse
from kpiboard.warehouse.tables import LOADS, OBSERVATIONS

__all__ = [
    "DEFAULT_DUCKDB",
    "LOADS",
    "OBSERVATIONS",
    "DataLoading",
    "IngestRunning",
    "IngestSummary",
    "LoadResult",
    "Observations",
    "Warehouse",
    "WarehouseAccess",
    "ingest_if_stale",
    "ingest_project",
]
