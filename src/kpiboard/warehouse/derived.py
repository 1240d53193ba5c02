"""Observations the warehouse computes rather than stores, unioned with the stored ones so the
engine sees one table: first the measures counted from records (one Ibis group-by per
measure), then the derived measures (``formula:``), in dependency order.

A derived measure has one observation per (org, period_end, months) where every measure its
formula reads has one (docs/ENGINE.md, "Derived measures"). Per part, ``amt`` is the numerator,
else the value; a pooled proportion reads ``pnum`` (numerator, else value% x sample_size) and
``pden`` (denominator, else sample_size); a composite part reads as the sum of its children's
``amt``. The derived observation's numerator is the sum of coefficient x ``amt`` over the
formula's numerator, its denominator the same over the formula's denominator (or, for a
proportion without a division, the pooled sums); the engine then treats it exactly as a stored
observation, so windows, comparators, ranks and significance are computed as for any measure:
sums of numerators over sums of denominators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from kpiboard.errors import KpiboardError
from kpiboard.vocabulary import MeasureKind
from kpiboard.warehouse.tables import OBSERVATIONS_IBIS_SCHEMA

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue
    from kpiboard.catalogue.formula import Formula, Term
    from kpiboard.catalogue.schema import Measure

KEY = ("org", "period_end", "months")


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


class FormulaCycle(KpiboardError):
    """Derived measures that read one another round in a circle."""


def derived_order(catalogue: Catalogue) -> list[Measure]:
    """The derived measures, each after every derived measure it reads (through composites
    too); a cycle is a FormulaCycle naming it, never a hang.

    Measures the catalogue does not know are skipped here (the catalogue's rules name them).
    """
    out: list[Measure] = []
    done: set[str] = set()
    path: list[str] = []

    def reads(m: Measure) -> list[str]:
        if m.derived is not None:
            return list(m.derived.measures)
        if m.kind is MeasureKind.COMPOSITE:
            return [c.id for c in catalogue.children_of(m.id)]
        return []

    def visit(mid: str) -> None:
        if mid in done or mid not in catalogue.measures:
            return
        if mid in path:
            cycle = [*path[path.index(mid) :], mid]
            raise FormulaCycle(
                "derived measures read one another in a circle: " + " -> ".join(cycle),
                hint="a measure's formula cannot read itself, directly or through others; "
                "break the circle",
            )
        path.append(mid)
        m = catalogue.measures[mid]
        for part in reads(m):
            visit(part)
        path.pop()
        done.add(mid)
        if m.derived is not None:
            out.append(m)

    for mid in catalogue.measures:
        visit(mid)
    return out


class _Computer:
    """Builds each measure's figures per (org, period_end, months) as Ibis expressions."""

    def __init__(self, base: ir.Table, catalogue: Catalogue) -> None:
        self.base = base
        self.cat = catalogue
        self.derived: dict[str, ir.Table] = {}  # derived measure -> its observations
        self.figures_of: dict[str, ir.Table] = {}

    def observations_of(self, mid: str) -> ir.Table:
        got = self.derived.get(mid)
        if got is not None:
            return got
        return self.base.filter(self.base.measure == mid)

    def figures(self, mid: str) -> ir.Table:
        """``mid``'s figures: KEY, amt, pnum, pden, prov (0/1) per observation."""
        if mid in self.figures_of:
            return self.figures_of[mid]
        m = self.cat.measures.get(mid)
        if m is not None and m.kind is MeasureKind.COMPOSITE and m.derived is None:
            kids = [c.id for c in self.cat.children_of(mid)]
            out = self._composite(kids)
        else:
            t = self.observations_of(mid)
            out = t.select(
                org=t.org,
                period_end=t.period_end,
                months=t.months,
                amt=t.numerator.coalesce(t.value),
                pnum=t.numerator.coalesce(t.value / 100.0 * t.sample_size),
                pden=t.denominator.coalesce(t.sample_size),
                prov=t.provisional.fill_null(False).ifelse(1, 0),
            )
        self.figures_of[mid] = out
        return out

    def _composite(self, kids: list[str]) -> ir.Table:
        """The sum of the children's ``amt`` where every child has an observation."""
        if not kids:
            return self._empty()
        rows = [
            (f := self.figures(k))
            .filter(f.amt.notnull())
            .select(*KEY, part=ibis.literal(k), amt=f.amt, prov=f.prov)
            for k in kids
        ]
        u = rows[0].union(*rows[1:]) if len(rows) > 1 else rows[0]
        g = u.group_by(list(KEY)).agg(amt=u.amt.sum(), prov=u.prov.max(), parts=u.part.nunique())
        g = g.filter(g.parts == len(set(kids)))
        null = ibis.null().cast("float64")
        return g.select(*KEY, amt=g.amt, pnum=null, pden=null, prov=g.prov)

    def _empty(self) -> ir.Table:
        t = self.base.filter(ibis.literal(False))
        null = ibis.null().cast("float64")
        return t.select(*KEY, amt=null, pnum=null, pden=null, prov=ibis.literal(0))

    def compute(self, m: Measure) -> ir.Table:
        """The derived measure's observations, with the observation table's columns."""
        formula = m.derived
        assert formula is not None
        pooled = formula.denominator is None and m.kind is MeasureKind.PROPORTION
        rows = [self._term_rows(t.measure, t.coefficient, "num", pooled) for t in formula.numerator]
        rows += [self._term_rows(t.measure, t.coefficient, "den", False) for t in _den(formula)]
        u = rows[0].union(*rows[1:]) if len(rows) > 1 else rows[0]
        g = u.group_by(list(KEY)).agg(
            numerator=u.nx.sum(), denominator=u.dx.sum(), prov=u.prov.max(), parts=u.part.nunique()
        )
        g = g.filter(g.parts == len(formula.measures))
        null = ibis.null()
        has_den = pooled or formula.denominator is not None
        out = g.select(
            org=g.org,
            measure=ibis.literal(m.id),
            period_end=g.period_end,
            months=g.months,
            numerator=g.numerator,
            denominator=g.denominator if has_den else null.cast("float64"),
            value=null.cast("float64"),
            sample_size=null.cast("float64"),
            provisional=g.prov == 1,
            note=null.cast("string"),
            source=ibis.literal("formula"),
        )
        out = _nullable(out)
        self.derived[m.id] = out
        return out

    def _term_rows(self, part: str, k: float, side: str, pooled: bool) -> ir.Table:
        """One row per observation of ``part``: its contribution ``nx`` to the numerator and
        ``dx`` to the denominator (observations lacking the figure needed are left out)."""
        f = self.figures(part)
        zero = ibis.literal(0.0)
        if pooled:
            f = f.filter(f.pnum.notnull() & f.pden.notnull())
            nx, dx = f.pnum * k, f.pden * k
        else:
            f = f.filter(f.amt.notnull())
            nx, dx = (f.amt * k, zero) if side == "num" else (zero, f.amt * k)
        return f.select(
            *KEY,
            part=ibis.literal(part),
            nx=nx.cast("float64"),
            dx=dx.cast("float64"),
            prov=f.prov,
        )


def _den(formula: Formula) -> tuple[Term, ...]:
    return formula.denominator or ()


def with_records(
    observations: ir.Table, records: ir.Table | None, catalogue: Catalogue
) -> ir.Table:
    """Stored observations plus those the warehouse computes: the measures counted from
        records, then the derived measures in dependency order (none: the stored ones as they
        are). A cycle among formulas is a FormulaCycle. ``records`` None: no record source is read
    (the measures counted from records then have no observations)."""
    counted_ = [
        counted(records, m)
        for m in catalogue.measures.values()
        if m.records is not None and records is not None
    ]
    order = derived_order(catalogue)
    if not counted_ and not order:
        return observations
    base = _nullable(observations)
    if counted_:
        base = base.union(*(_nullable(d) for d in counted_))
    if not order:
        return base
    computer = _Computer(base, catalogue)
    formulas = [computer.compute(m) for m in order]
    return base.union(*formulas)


with_computed = with_records
