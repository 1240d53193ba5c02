"""What the observations cover: the months and organisations with data, and the files a
measure's figures came from. The dashboard asks these through :class:`Warehouse`; each is one
``SELECT DISTINCT`` on the table the engine reads (stored observations plus those counted from
records), so a page lists exactly what a scorecard can be built from."""

from __future__ import annotations

from collections.abc import Sequence

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


RECORDS_PREFIX = "records:"  # the source of observations counted from a record source


def measure_sources(
    observations: ir.Table,
    measure: str | Sequence[str],
    org: str | None = None,
    records: ir.Table | None = None,
) -> list[str]:
    """The files (or record sources) the observations of ``measure`` (one id or several) came
    from, as the load recorded them but without their line numbers, sorted; only ``org``'s
    when given. With ``records``, a record source is replaced by the files its records came
    from (``records:prc`` -> ``data/prc.zip``)."""
    ids = [measure] if isinstance(measure, str) else list(measure)
    rows = observations.filter(observations.measure.isin(ids))
    if org is not None:
        rows = rows.filter(rows.org == org)
    got = {str(s) for s in rows.select("source").distinct().to_pyarrow().column(0).to_pylist() if s}
    out: set[str] = set()
    for source in got:
        if records is not None and source.startswith(RECORDS_PREFIX):
            out.update(record_files(records, source.removeprefix(RECORDS_PREFIX), org) or [source])
        else:
            out.add(without_line(source))
    return sorted(out)


def record_files(records: ir.Table, source: str, org: str | None = None) -> list[str]:
    """The files the records of ``source`` (``org``'s, when given) were read from, sorted."""
    rows = records.filter(records.source == source)
    if org is not None:
        rows = rows.filter(rows.org == org)
    got = rows.select("file").distinct().to_pyarrow().column(0).to_pylist()
    return sorted({without_line(str(f)) for f in got if f})


def without_line(source: str) -> str:
    """``data/crime.csv:166`` -> ``data/crime.csv``."""
    head, sep, tail = source.rpartition(":")
    return head if sep and tail.isdigit() else source
