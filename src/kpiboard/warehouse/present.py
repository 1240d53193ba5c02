"""What the observations cover: the months and organisations with data, and the files a
measure's figures came from. The dashboard asks these through :class:`Warehouse`; each is one
``SELECT DISTINCT`` on the table the engine reads (stored observations plus those counted from
records), so a page lists exactly what a scorecard can be built from."""

from __future__ import annotations

import ibis.expr.types as ir

from kpiboard.periods import month_index


def months_present(observations: ir.Table) -> list[int]:
    """The months (kpiboard.periods numbers) that some observation ends in, ascending."""
    got = observations.select("period_end").distinct().to_pyarrow().column(0).to_pylist()
    return sorted({month_index(d.year, d.month) for d in got if d is not None})


def organisations_present(observations: ir.Table) -> frozenset[str]:
    """The organisations with any observation."""
    got = observations.select("org").distinct().to_pyarrow().column(0).to_pylist()
    return frozenset(str(o) for o in got)


def measure_sources(observations: ir.Table, measure: str, org: str | None = None) -> list[str]:
    """The files (or record sources) the measure's observations came from, as the load
    recorded them but without their line numbers, sorted; only ``org``'s when given."""
    rows = observations.filter(observations.measure == measure)
    if org is not None:
        rows = rows.filter(rows.org == org)
    got = rows.select("source").distinct().to_pyarrow().column(0).to_pylist()
    return sorted({without_line(str(s)) for s in got if s})


def without_line(source: str) -> str:
    """``data/crime.csv:166`` -> ``data/crime.csv``."""
    head, sep, tail = source.rpartition(":")
    return head if sep and tail.isdigit() else source
