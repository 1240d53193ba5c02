"""Cross-checks over a whole catalogue. Each rule is a small function returning findings; a
rule that crashes becomes a finding of its own instead of hiding the others."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from kpiboard.catalogue.schema import ComparatorKind, Measure, MeasureKind, Op, Polarity
from kpiboard.errors import Finding
from kpiboard.periods import parse_fy

if TYPE_CHECKING:
    from kpiboard.catalogue.load import Catalogue

# A difference or ratio combines two percentages: survey or recorded proportions, or a published
# percentage held as a snapshot (e.g. a census share).
OPERAND_KINDS = (MeasureKind.PROPORTION, MeasureKind.SNAPSHOT)
SUMMABLE_KINDS = (MeasureKind.COUNT, MeasureKind.COMPOSITE)

Rule = Callable[["Catalogue"], Iterator[Finding]]


def _at(cat: Catalogue, mid: str, level: str, message: str, hint: str | None = None) -> Finding:
    src = cat.sources.get(mid)
    return Finding(level, message, src.file if src else None, src.line if src else None, mid, hint)


def _project(level: str, message: str, hint: str | None = None) -> Finding:
    return Finding(level, message, "kpiboard.yaml", None, None, hint)


def organisations(cat: Catalogue) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for org in cat.project.organisations:
        for name in (org.id, org.name, *org.aliases):
            key = name.casefold().strip()
            if key in seen and seen[key] != org.id:
                yield _project("error", f"{name!r} names both {seen[key]!r} and {org.id!r}",
                               "an alias must belong to one organisation")
            seen[key] = org.id
    ids = [o.id for o in cat.project.organisations]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        yield _project("error", f"duplicate organisation id {dup!r}")
    if cat.project.organisation.casefold() not in seen:
        yield _project("error", f"home organisation {cat.project.organisation!r} is not in organisations")
    for group in cat.project.peer_groups:
        if group.members == "all":
            continue
        for member in group.members:
            if member.casefold() not in seen:
                yield _project("error", f"peer group {group.id!r}: unknown organisation {member!r}")


def parents(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        if m.parent is None:
            continue
        if m.parent not in cat.measures:
            yield _at(cat, m.id, "error", f"parent {m.parent!r} does not exist",
                      "name an existing measure id, or remove parent:")
            continue
        seen = {m.id}
        cur = cat.measures.get(m.parent)
        while cur is not None and cur.parent is not None:
            if cur.id in seen:
                yield _at(cat, m.id, "error", "parent chain loops back on itself")
                break
            seen.add(cur.id)
            cur = cat.measures.get(cur.parent)
    for m in cat.measures.values():
        if m.kind is MeasureKind.COMPOSITE:
            kids = cat.children_of(m.id)
            if not kids:
                yield _at(cat, m.id, "error", "a composite needs child measures",
                          f"give its parts parent: {m.id}")
            for kid in kids:
                if kid.kind not in SUMMABLE_KINDS:
                    yield _at(cat, kid.id, "error",
                              f"a composite sums its children, but this is a {kid.kind} measure",
                              "composite children must be counts")


def operands(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        for op_id in m.of or []:
            other = cat.measures.get(op_id)
            if other is None:
                yield _at(cat, m.id, "error", f"of: names unknown measure {op_id!r}")
            elif other.kind not in OPERAND_KINDS:
                yield _at(cat, m.id, "error",
                          f"of: {op_id!r} is a {other.kind} measure; a {m.kind} needs proportions",
                          "use proportion measures (or a snapshot of a percentage)")


def populations(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        wants = m.kind is MeasureKind.PER_POPULATION or (m.ranks is not None and m.ranks.per_population)
        if not wants:
            continue
        pop = m.population or cat.project.population
        if pop is None:
            yield _at(cat, m.id, "error", "rates per population need a population measure",
                      "set population: in kpiboard.yaml or on the measure")
        elif pop not in cat.measures:
            yield _at(cat, m.id, "error", f"population measure {pop!r} does not exist")


def targets(cat: Catalogue) -> Iterator[Finding]:
    fy = cat.fy_start_month
    for m in cat.measures.values():
        seen: set[int] = set()
        for t in m.targets:
            for label in t.financial_years():
                start = parse_fy(label, fy)
                if start in seen:
                    yield _at(cat, m.id, "error", f"two targets for {label}")
                seen.add(start)
            if t.op is not None:
                up = t.op in (Op.GE, Op.GT)
                if up != (m.polarity is Polarity.HIGHER_IS_BETTER):
                    yield _at(cat, m.id, "error",
                              f"a {m.polarity.value.replace('_', '-')} measure with a '{t.op.value}' target",
                              "flip the operator or the polarity")
            if t.kind == "change" and m.comparator is ComparatorKind.NONE:
                yield _at(cat, m.id, "error", "a % change target needs a comparator",
                          "remove comparator: none")
            if t.kind == "change" and m.kind in (MeasureKind.DIFFERENCE, MeasureKind.RATIO, MeasureKind.SNAPSHOT):
                yield _at(cat, m.id, "error", f"a % change target does not fit a {m.kind} measure",
                          "use level: instead")
            if t.kind == "baseline_reduction" and m.kind not in (MeasureKind.COUNT, MeasureKind.COMPOSITE,
                                                                   MeasureKind.PER_POPULATION):
                yield _at(cat, m.id, "error",
                          f"a reduction on a baseline fits counts and rates, not a {m.kind} measure")
            if t.kind == "level" and m.kind is MeasureKind.PROPORTION and t.level is not None \
                    and not 0 <= t.level <= 100:
                yield _at(cat, m.id, "error", f"a percentage target of {t.level} is outside 0-100")
        if m.in_development and m.targets:
            yield _at(cat, m.id, "warning", "a measure in development has targets; they are not assessed")
        rule = m.status_rule
        if rule and rule.amber_within.margin_of_error and not _is_survey(cat, m):
            yield _at(cat, m.id, "error",
                      "a margin-of-error tolerance needs a survey proportion or a difference of two",
                      "set survey: true on the proportion(s) measured by a sample survey")


def _is_survey(cat: Catalogue, m: Measure) -> bool:
    if m.kind is MeasureKind.PROPORTION:
        return m.survey
    if m.kind is MeasureKind.DIFFERENCE:
        ops = [cat.measures.get(i) for i in m.of or []]
        return all(o is not None and o.survey for o in ops)
    return False


def ranks(cat: Catalogue) -> Iterator[Finding]:
    groups = {g.id for g in cat.project.peer_groups}
    for m in cat.measures.values():
        if m.ranks is None:
            continue
        for g in m.ranks.groups or []:
            if g not in groups:
                yield _at(cat, m.id, "error", f"ranks: unknown peer group {g!r}",
                          "known: " + ", ".join(sorted(groups)) if groups else "define peer_groups")
        if m.ranks.measure and m.ranks.measure not in cat.measures:
            yield _at(cat, m.id, "error", f"ranks: unknown measure {m.ranks.measure!r}")


def rows(cat: Catalogue) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    sections = cat.project.sections
    for m in cat.measures.values():
        if m.row:
            if m.row in seen:
                yield _at(cat, m.id, "warning", f"row label {m.row!r} is also used by {seen[m.row]!r}")
            seen.setdefault(m.row, m.id)
        if sections and m.section and m.section not in sections:
            yield _at(cat, m.id, "warning", f"section {m.section!r} is not listed in kpiboard.yaml",
                      "add it to sections: to fix its place in the report")


RULES: tuple[Rule, ...] = (organisations, parents, operands, populations, targets, ranks, rows)


def check_catalogue(cat: Catalogue) -> list[Finding]:
    out: list[Finding] = []
    for rule in RULES:
        try:
            out.extend(rule(cat))
        except Exception as exc:  # noqa: BLE001 - a crashing rule must not hide the others
            out.append(Finding("error", f"check {rule.__name__} failed: {exc!r}", None, None, None,
                               "this is a kpiboard bug; please report it"))
    return out
