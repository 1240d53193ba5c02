"""A derived measure's formula for a person: each measure it reads by its title and row label,
for the definition on the dashboard and the Scorecard's rows (docs/CATALOGUE.md, "Derived
measures")."""

from __future__ import annotations

from collections.abc import Mapping

from kpiboard.catalogue.formula import readable
from kpiboard.catalogue.schema import Measure
from kpiboard.derivation import Derivation
from kpiboard.vocabulary import MeasureKind


def part_name(measure: Measure) -> str:
    """``Residential burglary [3]``: the title, and the row label where it has one."""
    return f"{measure.title} [{measure.row}]" if measure.row else measure.title


def derivation_of(measure: Measure, measures: Mapping[str, Measure]) -> Derivation | None:
    """The formula of a derived measure as written and for a person (a proportion's quotient
    "× 100", as its figure is a percentage); None for a measure with data of its own."""
    if measure.formula is None:
        return None

    def name(mid: str) -> str | None:
        part = measures.get(mid)
        return part_name(part) if part is not None else None

    text = readable(measure.formula, name)
    derived = measure.derived
    if measure.kind is MeasureKind.PROPORTION and derived is not None and derived.denominator:
        text += " × 100"  # the figure is a percentage of the quotient
    return Derivation(measure.formula, text)
