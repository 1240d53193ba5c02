"""The warehouse's answer to the engine: the data an :class:`EngineRequest` asks for, read
from one observations table.

>>> reads = Observations(warehouse.scorecard_observations(catalogue))  # doctest: +SKIP
>>> reads.engine_data(request).first_month()  # doctest: +SKIP
"""

from __future__ import annotations

import ibis.expr.types as ir

from kpiboard.enginedata import EngineData, EngineRequest
from kpiboard.warehouse.engine_fetch import fetch_engine_data


class Observations:
    """The engine's reads over one observations table (stored rows, plus those counted from
    records): ``Warehouse.reads``, or any table of the observations' columns."""

    def __init__(self, table: ir.Table) -> None:
        self.table = table

    def engine_data(self, request: EngineRequest) -> EngineData:
        """What the engine asked for, as typed values."""
        return fetch_engine_data(self.table, request)
