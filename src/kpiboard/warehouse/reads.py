"""The warehouse's answer to the engine: the data an :class:`EngineRequest` asks for, read
from one observations table.

>>> reads = Observations(warehouse.scorecard_observations(catalogue))  # doctest: +SKIP
>>> reads.engine_data(request).first_month()  # doctest: +SKIP
"""

from __future__ import annotations

import ibis.expr.operations as ops
import ibis.expr.types as ir

from kpiboard.enginedata import EngineData, EngineRequest
from kpiboard.warehouse.engine_fetch import fetch_engine_data


class Observations:
    """The engine's reads over one observations table (stored rows, plus those counted from
    records): ``Warehouse.reads``, or any table of the observations' columns."""

    def __init__(self, table: ir.Table) -> None:
        self.table = _compiled_once(table)

    def engine_data(self, request: EngineRequest) -> EngineData:
        """What the engine asked for, as typed values."""
        return fetch_engine_data(self.table, request)


def _compiled_once(table: ir.Table) -> ir.Table:
    """``table`` as the SQL it compiles to, compiled here once, when it is a query over the
    warehouse's tables (the stored observations unioned with those counted from records and
    the derived ones: 0.6 s to compile, every time, for the England & Wales example). A
    scorecard runs several queries over it; each then compiles its own part only. A plain
    table, or one holding data in memory (which the backend registers as it runs a query),
    is kept as it is; so is any table on another backend than DuckDB (on PostgreSQL, Ibis 12
    nests the compiled query's own subqueries wrongly: "missing FROM-clause entry")."""
    op = table.op()
    if isinstance(op, ops.DatabaseTable) or op.find(ops.InMemoryTable):
        return table
    backend = table._find_backend()
    if backend.name != "duckdb":
        return table
    return backend.sql(backend.compile(table), schema=table.schema())
