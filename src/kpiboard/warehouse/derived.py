"""Measures counted from records, as observations: one Ibis group-by per measure, run by the
warehouse, unioned with the stored observations so the engine sees one table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from kpiboard.warehouse.tables import OBSERVATIONS_IBIS_SCHEMA

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue
    from kpiboard.catalogue.schema import Measure


def _nullable(table: ir.Table) -> ir.Table:
    """The observation columns, every one nullable, so the parts of a union agree."""
    return table.select(
        **{
            name: table[name].cast(dtype.copy(nullable=True))
            for name, dtype in OBSERVATIONS_IBIS_SCHEMA.items()
        }
    )


def counted(records: ir.Table, m: Measure) -> ir.Table:
    """The measure's observations: records of its source passing its filters, their weights
    summed by organisation and period."""
    assert m.records is not None
    r = records.filter(records.source == m.records.source)
    for column, values in m.records.where.items():
        r = r.filter(r[column].isin(values))
    g = r.group_by(["org", "period_end", "months"]).agg(numerator=r.weight.sum())
    null = ibis.null()
    return g.select(
        org=g.org,
        measure=ibis.literal(m.id),
        period_end=g.period_end,
        months=g.months,
        numerator=g.numerator,
        denominator=null.cast("float64"),
        value=null.cast("float64"),
        sample_size=null.cast("float64"),
        provisional=ibis.literal(False),
        note=null.cast("string"),
        source=ibis.literal(f"records:{m.records.source}"),
    )


def with_records(observations: ir.Table, records: ir.Table, catalogue: Catalogue) -> ir.Table:
    """Stored observations plus those counted from records (none: the stored ones as they are)."""
    derived = [counted(records, m) for m in catalogue.measures.values() if m.records is not None]
    if not derived:
        return observations
    parts = [_nullable(observations), *(_nullable(d) for d in derived)]
    return parts[0].union(*parts[1:])
