"""A KPI's definition as its YAML states it, for the KPI page and its JSON twin.

The service builds one :class:`Definition` per measure when it loads the catalogue, so the
pages read a frozen view rather than the catalogue's models. The source files are not part of
it: they come from the warehouse, per organisation and data version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.derivation import derivation_of
from kpiboard.catalogue.schema import Measure, Target

NO_SOURCES = "no data loaded"
NO_OWNER = "not named in the definition"


@dataclass(frozen=True)
class Definition:
    """(label, text) pairs for a ``<dl>``, in the order the page shows them."""

    measure: str
    terms: tuple[tuple[str, str], ...]  # everything the YAML says, up to the targets and ranks
    owner: str | None

    def items(self, sources: Sequence[str]) -> list[tuple[str, str]]:
        """The whole definition, with the files the figures came from and the owner last."""
        return [
            *self.terms,
            ("Source", "; ".join(sources) if sources else NO_SOURCES),
            ("Owner", self.owner or NO_OWNER),
        ]


def definitions(catalogue: Catalogue) -> dict[str, Definition]:
    """Every measure's definition, by measure id."""
    groups = {g.id: g.name for g in catalogue.project.peer_groups}
    return {m.id: definition_of(m, groups, catalogue.measures) for m in catalogue.measures.values()}


def definition_of(
    measure: Measure,
    groups: Mapping[str, str] | None = None,
    measures: Mapping[str, Measure] | None = None,
) -> Definition:
    """The measure's definition; ``groups`` names the peer groups by id (a person reads names,
    not ids: "England and Wales", not "ew"), ``measures`` the measures a formula reads by their
    titles and row labels."""
    terms = [
        *_what(measure, measures or {}),
        *_how(measure),
        *(_target(t) for t in measure.targets),
    ]
    if measure.ranks is not None and measure.ranks.groups:
        names = [(groups or {}).get(g, g) for g in measure.ranks.groups]
        terms.append(("Ranked among", ", ".join(names)))
    return Definition(measure.id, tuple(terms), measure.owner)


def _what(measure: Measure, measures: Mapping[str, Measure]) -> list[tuple[str, str]]:
    """What is measured: the id, the row, the description, where the figures come from (a
    derived measure's formula for a person, and as written)."""
    out: list[tuple[str, str]] = [("Measure id", measure.id)]
    if measure.row:
        out.append(("Row", measure.row))
    if measure.description:
        out.append(("What is measured", measure.description))
    if measure.reference:
        out.append(("Reference", measure.reference))
    out.append(("Kind", _words(measure.kind.value)))
    if measure.records is not None:
        out.append(("What is counted", _records_text(measure)))
    if measure.of:
        out.append(("Computed from", ", ".join(measure.of)))
    derived = derivation_of(measure, measures)
    if derived is not None:
        out.append(("Derived", derived.text))
        out.append(("Formula", derived.formula))
    return out


def _how(measure: Measure) -> list[tuple[str, str]]:
    """How it is read: its scale and unit, its polarity, window and comparator."""
    out: list[tuple[str, str]] = []
    if measure.per:
        out.append(("Rate", f"per {measure.per:,g} of the population"))
    if measure.unit:
        out.append(("Unit", measure.unit))
    out.append(("Better when", measure.polarity.words))
    out.append(("Window", _words(measure.window.value)))
    out.append(("Compared with", _words(measure.comparator.value)))
    return out


def _target(target: Target) -> tuple[str, str]:
    year = target.year or ", ".join(target.years or [])
    if target.text:
        what = target.text
    elif target.level is not None:
        what = f"level {target.level:g}"
    elif target.change is not None:
        what = f"change of {target.change:+g}%"
    else:
        what = "baseline reduction"
    return (f"Target {year}", what)


def _words(key: str) -> str:
    return key.replace("_", " ")


def _records_text(measure: Measure) -> str:
    records = measure.records
    assert records is not None
    text = f"records of source {records.source!r}"
    if records.where:
        text += " where " + _plain(records.where)
    return text


def _plain(value: object) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k} in {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
