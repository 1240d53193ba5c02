"""The rules on derived measures (``formula:``): the measures a formula names exist, no formula
reads itself (directly or through others), the kind fits the formula's shape, every part has
figures that add up over months, the terms added together share a unit, and ``survey: true``
only where the denominator counts respondents (docs/CATALOGUE.md, "Derived measures")."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.formula import Formula, Term
from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.rule_findings import at_measure, did_you_mean
from kpiboard.catalogue.schema import Measure
from kpiboard.errors import Finding
from kpiboard.vocabulary import MeasureKind

AT = ("formula",)
# kinds whose figures add up over a window, one division at most: what a formula divides
DIVIDING_KINDS = (MeasureKind.PROPORTION, MeasureKind.MEAN)
# kinds with no observations of their own to add up: a formula cannot read them
_NOT_SUMS = {
    MeasureKind.DIFFERENCE: "a difference of two percentages, in points",
    MeasureKind.RATIO: "a ratio of two percentages",
}
# what a per_population formula may add up: counts, composites (sums of counts) and rates (whose
# figures are their counts: ``formula: <a rate>`` is that rate in another window)
_COUNTS = (MeasureKind.COUNT, MeasureKind.COMPOSITE, MeasureKind.PER_POPULATION)


def formulas(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        f = m.derived
        if f is None:
            continue
        unknown = [mid for mid in f.measures if mid not in cat.measures]
        for mid in unknown:
            yield _unknown(cat, m, mid)
        yield from _shape(cat, m, f)
        yield from _percent(cat, m, f)
        if unknown:
            continue  # the other checks read every part
        parts = list(_parts(cat, m, f))
        yield from parts or _units(cat, m, f)  # a part of the wrong kind says enough
        yield from _survey(cat, m, f)
    yield from _cycles(cat)


def _unknown(cat: Catalogue, m: Measure, mid: str) -> Finding:
    pieces = mid.split("-")
    hint: str | None
    if len(pieces) > 1 and all(p in cat.measures for p in pieces):
        hint = f"to subtract, put spaces around -: {' - '.join(pieces)!r}"
    else:
        hint = did_you_mean(mid, list(cat.measures), "name an existing measure id")
    return at_measure(cat, m.id, "error", f"formula names unknown measure {mid!r}", hint, at=AT)


def _shape(cat: Catalogue, m: Measure, f: Formula) -> Iterator[Finding]:
    """A mean divides; a count, per_population or snapshot never does."""
    if f.denominator is None and m.kind is MeasureKind.MEAN:
        yield at_measure(
            cat,
            m.id,
            "error",
            "a mean derived measure is a quotient, but the formula does not divide",
            "write numerator / denominator, e.g. crimes / officers; or use kind: count",
            at=AT,
        )
    elif f.denominator is not None and m.kind not in DIVIDING_KINDS:
        yield at_measure(
            cat,
            m.id,
            "error",
            f"a {m.kind} measure adds figures up, but the formula divides",
            "use kind: proportion for a percentage, or kind: mean for the plain quotient",
            at=AT,
        )


def _percent(cat: Catalogue, m: Measure, f: Formula) -> Iterator[Finding]:
    """A proportion is shown as 100 x the quotient already: a formula that multiplies by 100
    as well would be a hundred times too big."""
    if m.kind is not MeasureKind.PROPORTION or f.denominator is None:
        return
    scales = {t.coefficient for t in f.numerator}
    bases = {t.coefficient for t in f.denominator}
    if len(scales) == 1 and len(bases) == 1 and scales.pop() == 100 * bases.pop():
        yield at_measure(
            cat,
            m.id,
            "error",
            "a proportion is shown as a percentage of its quotient already: multiplying by "
            "100 as well makes it a hundred times too big",
            "drop the 100, as in (a + b) / c",
            at=AT,
        )


def _parts(cat: Catalogue, m: Measure, f: Formula) -> Iterator[Finding]:
    pooled = m.kind is MeasureKind.PROPORTION and f.denominator is None
    for mid in f.measures:
        part = cat.measures[mid]
        if part.kind in _NOT_SUMS:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"formula reads {mid!r}, {_NOT_SUMS[part.kind]} ({part.kind}): its figures do "
                "not add up over months",
                f"read the measures it compares instead: {', '.join(part.of or [])}",
                at=AT,
            )
        elif part.in_development and not m.in_development:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"formula reads {mid!r}, which is in development (not yet measured)",
                "leave it out of the formula, or mark this measure in_development: true too",
                at=AT,
            )
        elif pooled and part.kind is not MeasureKind.PROPORTION:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"a proportion without a division pools proportions, but {mid!r} is a "
                f"{part.kind} measure",
                "divide by a measure, or name proportion measures only",
                at=AT,
            )
        elif m.kind is MeasureKind.PER_POPULATION and part.kind not in _COUNTS:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"a per_population measure divides a count by the population, but {mid!r} is "
                f"a {part.kind} measure",
                "name count measures, composites of counts or rates",
                at=AT,
            )


def added_unit(part: Measure) -> str:
    """The unit of what a part adds to a sum: its own, but a per_population measure holds
    counts (its unit is the rate's)."""
    return "" if part.kind is MeasureKind.PER_POPULATION else part.unit


def _show_unit(unit: str) -> str:
    return repr(unit) if unit else "no unit"


def _units(cat: Catalogue, m: Measure, f: Formula) -> Iterator[Finding]:
    """Within the numerator, and within the denominator, every term has the same unit."""
    for what, terms in (("numerator", f.numerator), ("denominator", f.denominator or ())):
        first: Term | None = None
        for term in terms:
            if first is None:
                first = term
                continue
            a, b = cat.measures[first.measure], cat.measures[term.measure]
            if added_unit(a) != added_unit(b):
                where = f"the {what} adds" if f.denominator is not None else "the formula adds"
                yield at_measure(
                    cat,
                    m.id,
                    "error",
                    f"{where} {a.id!r} ({_show_unit(added_unit(a))}) and {b.id!r} "
                    f"({_show_unit(added_unit(b))}): figures added together must share a unit",
                    "add like with like; divide to compare things of different units",
                    at=AT,
                )
                break


def _survey(cat: Catalogue, m: Measure, f: Formula) -> Iterator[Finding]:
    """Margins of error take the denominator for the number of respondents: true only of a
    pooled proportion summing survey proportions, each once."""
    if not m.survey:
        return
    pooled = m.kind is MeasureKind.PROPORTION and f.denominator is None
    respondents = pooled and all(
        t.coefficient == 1.0 and cat.measures[t.measure].survey for t in f.numerator
    )
    if not respondents:
        yield at_measure(
            cat,
            m.id,
            "error",
            "survey: margins of error need the number of respondents, and this formula's "
            "denominator does not count them",
            "remove survey: true; only a proportion pooling survey proportions, "
            "a + b with each a survey measure, has respondents",
            at=("survey",),
        )


def _cycles(cat: Catalogue) -> Iterator[Finding]:
    """A formula that reads itself, directly or through other formulas or composites' parts:
    one finding per loop, on its first measure in file order."""
    reads: dict[str, list[str]] = {}
    for m in cat.measures.values():
        f = m.derived
        if f is not None:
            reads[m.id] = [mid for mid in f.measures if mid in cat.measures]
        elif m.kind is MeasureKind.COMPOSITE:
            reads[m.id] = [k.id for k in cat.children_of(m.id)]
    seen: set[frozenset[str]] = set()
    for m in cat.measures.values():
        if m.formula is None:
            continue
        path = _loop_from(m.id, reads)
        if path is None or frozenset(path) in seen:
            continue
        seen.add(frozenset(path))
        yield at_measure(
            cat,
            m.id,
            "error",
            "formula reads itself: " + " -> ".join([*path, path[0]]),
            "a derived measure cannot depend on its own figures; remove one step of the loop",
            at=AT,
        )


def _loop_from(start: str, reads: dict[str, list[str]]) -> list[str] | None:
    """The shortest path start -> ... -> start, or None."""
    frontier: list[list[str]] = [[start]]
    visited = {start}
    while frontier:
        nxt: list[list[str]] = []
        for path in frontier:
            for mid in reads.get(path[-1], []):
                if mid == start:
                    return path
                if mid not in visited:
                    visited.add(mid)
                    nxt.append([*path, mid])
        frontier = nxt
    return None
