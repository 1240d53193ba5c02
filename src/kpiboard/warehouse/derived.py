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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from kpiboard.errors import KpiboardError
from kpiboard.vocabulary import MeasureKind
from kpiboard.warehouse.tables import OBSERVATIONS_IBIS_SCHEMA

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue
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


# A figure a term reads from an observation: amt (numerator, else value), or a proportion's
# pnum (numerator, else value% x sample_size) and pden (denominator, else sample_size).
_Figure = Literal["amt", "pnum", "pden"]
_NEVER = "\x00none"  # a measure id no observation has: a part that can never be present


@dataclass(frozen=True)
class _Leaf:
    """``k`` x one stored (or record-counted) measure's ``figure``, added to the numerator
    (``den`` False) or the denominator; ``k`` 0: the measure must be present, adding nothing."""

    measure: str
    figure: _Figure
    k: float
    den: bool


class _Expander:
    """A formula as leaves: composites and derived parts replaced by what they are made of.

    A composite reads as the sum of its children, present where all of them are; a derived
    part reads as its numerator (its denominator for ``pden``), present where all of its own
    parts are. Both are linear, so an observation of the formula is present exactly where every
    leaf is, and its sums are the leaves' weighted sums: one scan and one group-by per derived
    measure, however deep the formulas nest."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.cat = catalogue

    def formula(self, m: Measure) -> list[_Leaf]:
        f = m.derived
        assert f is not None
        if f.denominator is None and m.kind is MeasureKind.PROPORTION:  # pooled
            return [
                *(
                    x
                    for t in f.numerator
                    for x in self.part(t.measure, t.coefficient, "pnum", False)
                ),
                *(
                    x
                    for t in f.numerator
                    for x in self.part(t.measure, t.coefficient, "pden", True)
                ),
            ]
        return [
            *(x for t in f.numerator for x in self.part(t.measure, t.coefficient, "amt", False)),
            *(
                x
                for t in f.denominator or ()
                for x in self.part(t.measure, t.coefficient, "amt", True)
            ),
        ]

    def part(self, mid: str, k: float, figure: _Figure, den: bool) -> list[_Leaf]:
        m = self.cat.measures.get(mid)
        if m is None:
            return [_Leaf(mid, figure, k, den)]
        if m.derived is None and m.kind is MeasureKind.COMPOSITE:
            kids = self.cat.children_of(mid)
            if not kids:
                return [_Leaf(_NEVER, figure, 0.0, den)]
            return [x for c in kids for x in self.part(c.id, k, "amt", den)]
        if m.derived is None:
            return [_Leaf(mid, figure, k, den)]
        inner = self.formula(m)  # its numerator's leaves (den False), its denominator's (True)
        if figure == "pden":  # its denominator
            if not any(x.den for x in inner):
                return [_Leaf(_NEVER, figure, 0.0, den)]
            return [_Leaf(x.measure, x.figure, k * x.k if x.den else 0.0, den) for x in inner]
        return [_Leaf(x.measure, x.figure, 0.0 if x.den else k * x.k, den) for x in inner]


def _figure(t: ir.Table, figure: _Figure) -> ir.FloatingValue:
    if figure == "amt":
        return t.numerator.coalesce(t.value)
    if figure == "pnum":
        return t.numerator.coalesce(t.value / 100.0 * t.sample_size)
    return t.denominator.coalesce(t.sample_size)


def _computed(base: ir.Table, m: Measure, leaves: list[_Leaf]) -> ir.Table:
    """The derived measure's observations from its leaves: one filter, one group-by."""
    measures = sorted({x.measure for x in leaves})
    t = base.filter(base.measure.isin(measures))
    num_terms: list[ir.FloatingValue] = []
    den_terms: list[ir.FloatingValue] = []
    ok: ir.BooleanValue = ibis.literal(False)
    for mid in measures:
        mine = [x for x in leaves if x.measure == mid]
        is_mid = t.measure == mid
        figures = sorted({x.figure for x in mine})
        present = ibis.and_(*(_figure(t, f).notnull() for f in figures))
        ok = ok | (is_mid & present)
        for f in figures:
            kn = sum(x.k for x in mine if x.figure == f and not x.den)
            kd = sum(x.k for x in mine if x.figure == f and x.den)
            if kn:
                num_terms.append(is_mid.ifelse(_figure(t, f) * kn, 0.0))
            if kd:
                den_terms.append(is_mid.ifelse(_figure(t, f) * kd, 0.0))
    nx = sum(num_terms[1:], num_terms[0]) if num_terms else ibis.literal(0.0)
    dx = sum(den_terms[1:], den_terms[0]) if den_terms else ibis.literal(0.0)
    t = t.filter(ok).mutate(nx=nx.cast("float64"), dx=dx.cast("float64"))
    g = t.group_by(list(KEY)).agg(
        numerator=t.nx.sum(),
        denominator=t.dx.sum(),
        prov=t.provisional.fill_null(False).ifelse(1, 0).max(),
        parts=t.measure.nunique(),
    )
    g = g.filter(g.parts == len(measures))
    formula = m.derived
    assert formula is not None
    has_den = formula.denominator is not None or m.kind is MeasureKind.PROPORTION
    null = ibis.null()
    return _nullable(
        g.select(
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
    )


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
    expand = _Expander(catalogue)
    formulas = [_computed(base, m, expand.formula(m)) for m in order]
    return base.union(*formulas)


with_computed = with_records
