"""Cross-checks over a whole catalogue. Each rule is a small function returning findings; a
rule that crashes becomes a finding of its own instead of hiding the others."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from kpiboard.catalogue.orgs import builtin_organisations, normalise_org_name
from kpiboard.catalogue.schema import FILTER_COLUMNS, Measure
from kpiboard.catalogue.yamlfile import Loc
from kpiboard.errors import Finding
from kpiboard.periods import parse_fy
from kpiboard.vocabulary import ComparatorKind, Direction, MeasureKind, StatusFrom, TargetKind

if TYPE_CHECKING:
    from kpiboard.catalogue.load import Catalogue

# A difference or ratio combines two percentages: survey or recorded proportions, or a published
# percentage held as a snapshot (e.g. a census share).
OPERAND_KINDS = (MeasureKind.PROPORTION, MeasureKind.SNAPSHOT)
SUMMABLE_KINDS = (MeasureKind.COUNT, MeasureKind.COMPOSITE)

Rule = Callable[["Catalogue"], Iterator[Finding]]


def _at(
    cat: Catalogue, mid: str, level: str, message: str, hint: str | None = None, at: Loc = ()
) -> Finding:
    """A finding on measure ``mid``, at the line of key ``at`` inside it (or of the measure)."""
    src = cat.sources.get(mid)
    return Finding(
        level, message, src.file if src else None, src.line_at(at) if src else None, mid, hint
    )


def _project(
    cat: Catalogue, level: str, message: str, hint: str | None = None, at: Loc = ()
) -> Finding:
    """A finding on kpiboard.yaml, at the line of ``at``."""
    return Finding(level, message, "kpiboard.yaml", cat.project_line(at), None, hint)


def _did_you_mean(name: str, known: list[str], otherwise: str | None = None) -> str | None:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean {near[0]!r}?" if near else otherwise


def organisations(cat: Catalogue) -> Iterator[Finding]:
    """Ids unique, every spelling naming one organisation (built-in ones included), the home
    organisation and peer group members known."""
    table = cat.project.builtin_organisations
    builtin = {o.id: o for o in builtin_organisations(table)} if table else {}
    seen: dict[str, str] = {}  # normalised spelling -> organisation id
    for org in builtin.values():
        for name in (org.id, org.name or "", *org.aliases):
            seen.setdefault(normalise_org_name(name), org.id)
    ids: set[str] = set()
    for i, org in enumerate(cat.declared_organisations or []):
        if org.id in ids:
            yield _project(
                cat,
                "error",
                f"duplicate organisation id {org.id!r}",
                "give each organisation its own id",
                at=("organisations", i, "id"),
            )
            continue
        ids.add(org.id)
        extends = org.id in builtin
        if org.name is None and not extends and normalise_org_name(org.id) not in seen:
            # (an id that is a built-in spelling gets the clash below, which says how to extend)
            hint = (
                "give it a name, or use a built-in organisation's id to extend that one"
                if table
                else "give it a name"
            )
            yield _project(
                cat, "error", f"organisation {org.id!r} has no name", hint, at=("organisations", i)
            )
        names: list[tuple[str, Loc]] = [(org.id, ("organisations", i, "id"))]
        if org.name is not None:
            names.append((org.name, ("organisations", i, "name")))
        names += [(a, ("organisations", i, "aliases", j)) for j, a in enumerate(org.aliases)]
        for name, loc in names:
            key = normalise_org_name(name)
            if key in seen and seen[key] != org.id:
                other = seen[key]
                hint = (
                    f"{other!r} is a built-in organisation; to extend it, use id: {other}"
                    if other in builtin and not extends
                    else "an alias must belong to one organisation"
                )
                yield _project(
                    cat, "error", f"{name!r} names both {other!r} and {org.id!r}", hint, at=loc
                )
                continue
            seen[key] = org.id
    index = cat.org_index()
    add = "add it to organisations"
    home = cat.project.organisation
    if normalise_org_name(home) not in seen:
        near = index.did_you_mean(home)
        yield _project(
            cat,
            "error",
            f"home organisation {home!r} is not in organisations",
            f"{near} Otherwise {add}" if near else add,
            at=("organisation",),
        )
    for g, group in enumerate(cat.project.peer_groups):
        if group.members == "all":
            continue
        named: dict[str, int] = {}
        for j, member in enumerate(group.members):
            found = index.get(member)
            if found is None:
                near = index.did_you_mean(member)
                yield _project(
                    cat,
                    "error",
                    f"peer group {group.id!r}: unknown organisation {member!r}",
                    f"{near} Otherwise {add}" if near else add,
                    at=("peer_groups", g, "members", j),
                )
            elif found in named:
                yield _project(
                    cat,
                    "warning",
                    f"peer group {group.id!r} names {found!r} twice",
                    f"members {named[found] + 1} and {j + 1} are the same organisation",
                    at=("peer_groups", g, "members", j),
                )
            else:
                named[found] = j


def parents(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        if m.parent is None:
            continue
        if m.parent not in cat.measures:
            yield _at(
                cat,
                m.id,
                "error",
                f"parent {m.parent!r} does not exist",
                _did_you_mean(
                    m.parent, list(cat.measures), "name an existing measure id, or remove parent:"
                ),
                at=("parent",),
            )
            continue
        chain = [m.id]
        cur = cat.measures.get(m.parent)
        while cur is not None and cur.parent is not None:
            if cur.id in chain:
                yield _at(
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
    for m in cat.measures.values():
        if m.kind is MeasureKind.COMPOSITE:
            kids = cat.children_of(m.id)
            if not kids:
                yield _at(
                    cat,
                    m.id,
                    "error",
                    "a composite needs child measures",
                    f"give its parts parent: {m.id}",
                )
            for kid in kids:
                if kid.kind not in SUMMABLE_KINDS:
                    yield _at(
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
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"of: names unknown measure {op_id!r}",
                    _did_you_mean(op_id, list(cat.measures), "name two proportion measures"),
                    at=("of", i),
                )
            elif other.kind not in OPERAND_KINDS:
                yield _at(
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
            yield _at(
                cat,
                m.id,
                "error",
                "rates per population need a population measure",
                "set population: in kpiboard.yaml or on the measure",
                at=why,
            )
        elif pop not in cat.measures:
            yield _at(
                cat,
                m.id,
                "error",
                f"population measure {pop!r} does not exist",
                _did_you_mean(
                    pop, list(cat.measures), "define it in measures/, or fix population:"
                ),
                at=("population",) if m.population else why,
            )


def targets(cat: Catalogue) -> Iterator[Finding]:
    fy = cat.fy_start_month
    for m in cat.measures.values():
        src = cat.sources.get(m.id)
        seen: dict[int, int | None] = {}  # first month of a target's year -> its line
        for i, t in enumerate(m.targets):
            for j, label in enumerate(t.financial_years()):
                start = parse_fy(label, fy)
                year_at: Loc = ("targets", i, "year") if t.year else ("targets", i, "years", j)
                if start in seen:
                    yield _at(
                        cat,
                        m.id,
                        "error",
                        f"two targets for {label}",
                        f"the first is at line {seen[start]}; keep one target per financial year",
                        at=year_at,
                    )
                else:
                    seen[start] = src.line_at(year_at) if src else None
            if t.op is not None and t.op.polarity is not m.polarity:
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"a {m.polarity.value.replace('_', '-')} measure with a '{t.op.value}' target",
                    "flip the operator or the polarity",
                    at=("targets", i, "op"),
                )
            if t.kind is TargetKind.CHANGE and m.comparator is ComparatorKind.NONE:
                yield _at(
                    cat,
                    m.id,
                    "error",
                    "a % change target needs a comparator",
                    "remove comparator: none",
                    at=("targets", i, "change"),
                )
            if t.kind is TargetKind.CHANGE and m.kind in (
                MeasureKind.DIFFERENCE,
                MeasureKind.RATIO,
                MeasureKind.SNAPSHOT,
            ):
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"a % change target does not fit a {m.kind} measure",
                    "use level: instead",
                    at=("targets", i, "change"),
                )
            if t.kind is TargetKind.BASELINE_REDUCTION and m.kind not in (
                MeasureKind.COUNT,
                MeasureKind.COMPOSITE,
                MeasureKind.PER_POPULATION,
            ):
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"a reduction on a baseline fits counts and rates, not a {m.kind} measure",
                    "use level: or change: instead",
                    at=("targets", i, "baseline_reduction"),
                )
            if (
                t.kind is TargetKind.LEVEL
                and m.kind is MeasureKind.PROPORTION
                and t.level is not None
                and not 0 <= t.level <= 100
            ):
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"a percentage target of {t.level:g} is outside 0-100",
                    "write a percentage, e.g. 80 for 80%",
                    at=("targets", i, "level"),
                )
        if m.in_development and m.targets:
            yield _at(
                cat,
                m.id,
                "warning",
                "a measure in development has targets; they are not assessed",
                at=("in_development",),
            )
        rule = m.status_rule
        if rule and rule.amber_within.margin_of_error and not _is_survey(cat, m):
            yield _at(
                cat,
                m.id,
                "error",
                "a margin-of-error tolerance needs a survey proportion or a difference of two",
                "set survey: true on the proportion(s) measured by a sample survey",
                at=("status_rule", "amber_within", "margin_of_error"),
            )


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
        for j, g in enumerate(m.ranks.groups or []):
            if g not in groups:
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"ranks: unknown peer group {g!r}",
                    "known: " + ", ".join(sorted(groups)) if groups else "define peer_groups",
                    at=("ranks", "groups", j),
                )
        if m.ranks.measure and m.ranks.measure not in cat.measures:
            yield _at(
                cat,
                m.id,
                "error",
                f"ranks: unknown measure {m.ranks.measure!r}",
                _did_you_mean(m.ranks.measure, list(cat.measures)),
                at=("ranks", "measure"),
            )


def rows(cat: Catalogue) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    sections = cat.project.sections
    for m in cat.measures.values():
        if m.row:
            if m.row in seen:
                yield _at(
                    cat,
                    m.id,
                    "warning",
                    f"row label {m.row!r} is also used by {seen[m.row]!r}",
                    at=("row",),
                )
            seen.setdefault(m.row, m.id)
        if sections and m.section and m.section not in sections:
            yield _at(
                cat,
                m.id,
                "warning",
                f"section {m.section!r} is not listed in kpiboard.yaml",
                "add it to sections: to fix its place in the report",
                at=("section",),
            )


def spc(cat: Catalogue) -> Iterator[Finding]:
    for m in cat.measures.values():
        if m.spc.direction is not Direction.NEUTRAL:
            continue
        if m.status_from is StatusFrom.SPC:
            yield _at(
                cat,
                m.id,
                "error",
                "status_from: spc needs a direction, but spc.direction is neutral",
                "a neutral measure has no improvement or concern; use status_from: rag",
                ("status_from",),
            )
        elif m.targets:
            yield _at(
                cat,
                m.id,
                "warning",
                "a target on a neutral measure: SPC gives it no assurance (the target is still assessed)",
                "set spc.direction to increase or decrease",
                ("spc", "direction"),
            )


def records(cat: Catalogue) -> Iterator[Finding]:
    sources = {s.id for s in cat.project.sources}
    ids = [s.id for s in cat.project.sources]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        yield _project(cat, "error", f"two record sources are called {dup!r}", at=("sources",))
    for m in cat.measures.values():
        if m.records is None:
            continue
        if m.records.source not in sources:
            yield _at(
                cat,
                m.id,
                "error",
                f"records: unknown source {m.records.source!r}",
                _did_you_mean(
                    m.records.source, sorted(sources), "declare it under sources: in kpiboard.yaml"
                ),
                ("records", "source"),
            )
        for column in m.records.where:
            if column not in FILTER_COLUMNS:
                yield _at(
                    cat,
                    m.id,
                    "error",
                    f"records: cannot filter on {column!r}",
                    _did_you_mean(
                        column, list(FILTER_COLUMNS), "filter on " + ", ".join(FILTER_COLUMNS)
                    ),
                    ("records", "where", column),
                )
        # snapshot: a population counted from a population source (weights summed by period)
        if m.kind not in (MeasureKind.COUNT, MeasureKind.PER_POPULATION, MeasureKind.SNAPSHOT):
            yield _at(
                cat,
                m.id,
                "error",
                f"a {m.kind} measure cannot be counted from records",
                "records give counts: use kind count, per_population or snapshot",
                ("records",),
            )


RULES: tuple[Rule, ...] = (
    organisations,
    parents,
    operands,
    populations,
    targets,
    ranks,
    rows,
    spc,
    records,
)


def check_catalogue(cat: Catalogue) -> list[Finding]:
    """Every rule's findings, in file order (kpiboard.yaml, then the measure files)."""
    out: list[Finding] = []
    for rule in RULES:
        try:
            out.extend(rule(cat))
        except Exception as exc:  # noqa: BLE001 - a crashing rule must not hide the others
            out.append(
                Finding(
                    "error",
                    f"check {rule.__name__} failed: {exc!r}",
                    None,
                    None,
                    None,
                    "this is a kpiboard bug; please report it",
                )
            )
    files = {"kpiboard.yaml": 0}
    for src in cat.sources.values():
        files.setdefault(src.file, len(files))
    return sorted(out, key=lambda f: (files.get(f.file or "", len(files)), f.line or 0))
