"""Derived measures checked against the data loaded: a formula whose parts come at different
frequencies (one monthly, one quarterly) has no period in which every part has an observation,
so the measure has no data. The catalogue cannot know the data's frequencies; after each
ingest the ``months`` of every part's observations are read by one query run in the warehouse,
and a formula whose parts share none is a warning naming each part and its frequency.

>>> frequency_findings(catalogue, warehouse.scorecard_observations(catalogue))  # doctest: +SKIP
[Finding('warning', "the parts of rate come at different frequencies ...", ...)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis.expr.types as ir

from kpiboard.errors import Finding

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue


def frequency(months: int) -> str:
    """``1`` -> monthly, ``3`` -> quarterly, ``12`` -> yearly, else every N months.

    >>> [frequency(n) for n in (1, 3, 12, 6)]
    ['monthly', 'quarterly', 'yearly', 'every 6 months']
    """
    return {1: "monthly", 3: "quarterly", 12: "yearly"}.get(months, f"every {months} months")


def part_months(observations: ir.Table, measures: set[str]) -> dict[str, set[int]]:
    """The distinct ``months`` of each measure's observations: one query, in the warehouse."""
    if not measures:
        return {}
    t = observations.filter(observations.measure.isin(sorted(measures)))
    got = t.select("measure", "months").distinct().to_pyarrow().to_pydict()
    out: dict[str, set[int]] = {}
    for mid, months in zip(got["measure"], got["months"], strict=True):
        if months is not None:
            out.setdefault(mid, set()).add(int(months))
    return out


def frequency_findings(catalogue: Catalogue, observations: ir.Table) -> list[Finding]:
    """A warning for each derived measure whose parts all have observations but share no
    period length, naming each part and its frequency. ``observations``: what the engine
    reads (stored, counted from records and derived)."""
    derived = [m for m in catalogue.measures.values() if m.formula is not None]
    parts = {p for m in derived if (f := m.derived) is not None for p in f.measures}
    found = part_months(observations, parts)
    out = []
    for m in derived:
        f = m.derived
        if f is None or any(p not in found for p in f.measures):
            continue  # a part with no data at all: nothing to compare
        if set.intersection(*(found[p] for p in f.measures)):
            continue
        named = ", ".join(
            f"{p} ({' and '.join(frequency(n) for n in sorted(found[p]))})" for p in f.measures
        )
        src = catalogue.sources.get(m.id)
        out.append(
            Finding(
                "warning",
                f"the parts of {m.id}'s formula come at different frequencies, so no period "
                f"has them all: {named}; {m.id} will have no data",
                src.file if src else None,
                src.line_at(("formula",)) if src else None,
                m.id,
                "give every part at one frequency (e.g. the monthly part summed into quarters "
                "as a measure of its own), or derive the measure from parts of one frequency",
            )
        )
    return out
