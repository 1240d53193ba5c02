"""The warehouse's read side for the layers above it: what the engine needs, and the few
facts about the observations that pages show (months and organisations with data, sources).

>>> reads = Observations(warehouse.scorecard_observations(catalogue))  # doctest: +SKIP
>>> reads.engine_data(request).first_month()  # doctest: +SKIP
"""

from __future__ import annotations

import ibis.expr.types as ir

from kpiboard.enginedata import EngineData, EngineRequest
from kpiboard.warehouse.engine_fetch import fetch_engine_data


class Observations:
    """Queries over one observations table (stored rows, plus those counted from records)."""

    def __init__(self, table: ir.Table) -> None:
        self.table = table

    def engine_data(self, request: EngineRequest) -> EngineData:
        """What the engine asked for, as typed values."""
        return fetch_engine_data(self.table, request)

    def months_present(self) -> list[int]:
        """The months (``year * 12 + month - 1``) at which any observation ends, in order."""
        got = self.table.select("period_end").distinct().to_pyarrow().column(0).to_pylist()
        return sorted({d.year * 12 + d.month - 1 for d in got if d is not None})

    def orgs_present(self) -> frozenset[str]:
        """The organisations with any observation."""
        got = self.table.select("org").distinct().to_pyarrow().column(0).to_pylist()
        return frozenset(str(o) for o in got)

    def sources(self, measure: str, org: str | None = None) -> list[str]:
        """The sources (file:line, or a record source) of the measure's observations, of one
        organisation when ``org`` is given; distinct, in no particular order."""
        rows = self.table.filter(self.table.measure == measure)
        if org is not None:
            rows = rows.filter(rows.org == org)
        got = rows.select("source").distinct().to_pyarrow().column(0).to_pylist()
        return [str(s) for s in got if s]
