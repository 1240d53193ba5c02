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
from kpiboard.vocabulary import MeasureKind

NO_SOURCES = "no data loaded"
NO_OWNER = "not named in the definition"


@dataclass(frozen=True)
class Definition:
    """(label, text) pairs for a ``<dl>``, in the order the page shows them."""

    measure: str
    terms: tuple[tuple[str, str], ...]  # everything the YAML says, up to the targets and ranks
    owner: str | None
    # how the figures are made, when not read as they are: "sum of its parts 3, 4, 5"
    origin: str | None = None

    def items(self, sources: Sequence[str]) -> list[tuple[str, str]]:
        """The whole definition, with where the figures come from (how they are made and the
        files they came from) and the owner last."""
        return [*self.terms, ("Source", self.source(sources)), ("Owner", self.owner or NO_OWNER)]

    def source(self, sources: Sequence[str]) -> str:
        """ "data/crime.csv"; "sum of its parts 3, 4, 5 (data/crime.csv)"; "no data loaded" only
        when no file holds any of the figures."""
        files = "; ".join(sources)
        if self.origin is None:
            return files or NO_SOURCES
        return f"{self.origin} ({files})" if files else f"{self.origin}; {NO_SOURCES}"


def definitions(catalogue: Catalogue) -> dict[str, Definition]:
    """Every measure's definition, by measure id."""
    groups = {g.id: g.name for g in catalogue.project.peer_groups}
    kinds = {src.id: src.type for src in catalogue.project.sources}
    return {
        m.id: definition_of(m, groups, catalogue.measures, kinds)
        for m in catalogue.measures.values()
    }


def definition_of(
    measure: Measure,
    groups: Mapping[str, str] | None = None,
    measures: Mapping[str, Measure] | None = None,
    source_types: Mapping[str, str] | None = None,
) -> Definition:
    """The measure's definition; ``groups`` names the peer groups by id and ``measures`` the
    measures it is built from (a person reads names, not ids: "England and Wales", not "ew");
    ``source_types`` the type of each record source, to say what its records are."""
    measures = measures or {}
    terms = [*_what(measure, measures), *_how(measure), *(_target(t) for t in measure.targets)]
    if measure.ranks is not None and measure.ranks.groups:
        names = [(groups or {}).get(g, g) for g in measure.ranks.groups]
        terms.append(("Ranked among", ", ".join(names)))
    origin = _origin(measure, measures, source_types or {})
    return Definition(measure.id, tuple(terms), measure.owner, origin)


# what a record source's records are, by its type
RECORD_WORDS = {
    "home_office_prc": "Home Office police recorded crime",
    "police_uk_street": "police.uk street-level crime",
    "population": "population",
}


def _origin(
    measure: Measure, measures: Mapping[str, Measure], source_types: Mapping[str, str]
) -> str | None:
    """How the figures are made when they are not read as they are, in words."""
    if measure.entry is not None:
        since = measure.entry.since
        if since is None:
            return "entered on the dashboard by its owners"
        return f"entered on the dashboard from {since}; earlier months from the data files"
    derived = measure.derived
    if derived is not None:
        read = ", ".join(part_name(measures, m) for m in derived.measures)
        return f"computed by its formula from {read}"
    if measure.records is not None:
        src = measure.records.source
        what = RECORD_WORDS.get(source_types.get(src, ""), "")
        return f"counted from the {what} records" if what else f"counted from {src} records"
    if measure.of and len(measure.of) == 2:
        first, second = (part_name(measures, p) for p in measure.of)
        if measure.kind is MeasureKind.RATIO:
            return f"the ratio of {first} to {second}"
        return f"{first} minus {second}"
    if measure.kind is MeasureKind.COMPOSITE:
        parts = [part_name(measures, c.id) for c in measures.values() if c.parent == measure.id]
        return f"sum of its parts {', '.join(parts)}" if parts else None
    return None


def part_name(measures: Mapping[str, Measure], measure_id: str) -> str:
    """A measure as a person finds it: its row reference, else its title (hidden parts have no
    row), else (unknown) its id."""
    m = measures.get(measure_id)
    if m is None:
        return measure_id
    return m.row or m.title


def _what(measure: Measure, measures: Mapping[str, Measure]) -> list[tuple[str, str]]:
    """What is measured: the id, the row, the description, where the figures come from."""
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
        out.append(("Computed from", ", ".join(_named(measures, p) for p in measure.of)))
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


def _named(measures: Mapping[str, Measure], measure_id: str) -> str:
    """ "6a Recruits ..." for a row, the title alone for a hidden part."""
    m = measures.get(measure_id)
    if m is None:
        return measure_id
    return f"{m.row} {m.title}" if m.row else m.title


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
        return "; ".join(f"{_words(str(k))} in {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
