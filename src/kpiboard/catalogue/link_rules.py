"""The rules on measures naming other things: a parent that exists and no parent loop, a
composite's children it can sum, the operands of a difference or ratio, the population measure
of a rate, and the peer groups and measure a ranking names."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.rule_findings import at_measure, did_you_mean
from kpiboard.catalogue.schema import Measure
from kpiboard.catalogue.yamlfile import Loc
from kpiboard.errors import Finding
from kpiboard.vocabulary import MeasureKind

# A difference or ratio combines two percentages: survey or recorded proportions, or a published
# percentage held as a snapshot (e.g. a census share).
OPERAND_KINDS = (MeasureKind.PROPORTION, MeasureKind.SNAPSHOT)
SUMMABLE_KINDS = (MeasureKind.COUNT, MeasureKind.COMPOSITE)


def parents(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        if m.parent is not None:
            yield from _parent(cat, m, m.parent)
    for m in cat.measures.values():
        if m.kind is MeasureKind.COMPOSITE:
            yield from _composite_children(cat, m)


def _parent(cat: Catalogue, m: Measure, parent: str) -> Iterator[Finding]:
    """The parent of ``m`` exists, and following parents from it never comes back."""
    if parent not in cat.measures:
        yield at_measure(
            cat,
            m.id,
            "error",
            f"parent {parent!r} does not exist",
            did_you_mean(
                parent, list(cat.measures), "name an existing measure id, or remove parent:"
            ),
            at=("parent",),
        )
        return
    chain = [m.id]
    cur = cat.measures.get(parent)
    while cur is not None and cur.parent is not None:
        if cur.id in chain:
            yield at_measure(
                cat,
                m.id,
                "error",
                "parent chain loops back on itself: " + " -> ".join([*chain, cur.id]),
                "remove one of the parent: keys in the loop",
                at=("parent",),
            )
            break
        chain.append(cur.id)
        cur = cat.measures.get(cur.parent)


def _composite_children(cat: Catalogue, m: Measure) -> Iterator[Finding]:
    kids = cat.children_of(m.id)
    if not kids:
        yield at_measure(
            cat,
            m.id,
            "error",
            "a composite needs child measures",
            f"give its parts parent: {m.id}",
        )
    for kid in kids:
        if kid.kind not in SUMMABLE_KINDS:
            yield at_measure(
                cat,
                kid.id,
                "error",
                f"composite {m.id!r} sums its children, but this is a {kid.kind} measure",
                "composite children must be counts",
                at=("parent",),
            )


def operands(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        for i, op_id in enumerate(m.of or []):
            other = cat.measures.get(op_id)
            if other is None:
                yield at_measure(
                    cat,
                    m.id,
                    "error",
                    f"of: names unknown measure {op_id!r}",
                    did_you_mean(op_id, list(cat.measures), "name two proportion measures"),
                    at=("of", i),
                )
            elif other.kind not in OPERAND_KINDS:
                yield at_measure(
                    cat,
                    m.id,
                    "error",
                    f"of: {op_id!r} is a {other.kind} measure; a {m.kind} needs proportions",
                    "use proportion measures (or a snapshot of a percentage)",
                    at=("of", i),
                )


def populations(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        wants = m.kind is MeasureKind.PER_POPULATION or (
            m.ranks is not None and m.ranks.per_population
        )
        if not wants:
            continue
        pop = m.population or cat.project.population
        why: Loc = (
            ("kind",) if m.kind is MeasureKind.PER_POPULATION else ("ranks", "per_population")
        )
        if pop is None:
            yield at_measure(
                cat,
                m.id,
                "error",
                "rates per population need a population measure",
                "set population: in kpiboard.yaml or on the measure",
                at=why,
            )
        elif pop not in cat.measures:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"population measure {pop!r} does not exist",
                did_you_mean(pop, list(cat.measures), "define it in measures/, or fix population:"),
                at=("population",) if m.population else why,
            )


def ranks(cat: Catalogue) -> Iterator[Finding]:
    groups = {g.id for g in cat.project.peer_groups}
    for m in cat.measures.values():
        if m.ranks is None:
            continue
        for j, g in enumerate(m.ranks.groups or []):
            if g not in groups:
                yield at_measure(
                    cat,
                    m.id,
                    "error",
                    f"ranks: unknown peer group {g!r}",
                    "known: " + ", ".join(sorted(groups)) if groups else "define peer_groups",
                    at=("ranks", "groups", j),
                )
        if m.ranks.measure and m.ranks.measure not in cat.measures:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"ranks: unknown measure {m.ranks.measure!r}",
                did_you_mean(m.ranks.measure, list(cat.measures)),
                at=("ranks", "measure"),
            )
