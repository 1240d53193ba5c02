"""The rules on a measure's place in the report: row labels used once, sections listed, and
no section that looks like a misspelling of another ("Saftey" beside "Safety")."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.placeholders import PLACEHOLDERS, names_in
from kpiboard.catalogue.rule_findings import at_measure, at_project, did_you_mean
from kpiboard.errors import Finding


def rows(cat: Catalogue) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    sections = cat.project.sections
    for m in cat.measures.values():
        if m.row:
            if m.row in seen:
                yield at_measure(
                    cat,
                    m.id,
                    "warning",
                    f"row label {m.row!r} is also used by {seen[m.row]!r}",
                    at=("row",),
                )
            seen.setdefault(m.row, m.id)
        if sections and m.section and m.section not in sections:
            yield at_measure(
                cat,
                m.id,
                "warning",
                f"section {m.section!r} is not listed in kpiboard.yaml",
                did_you_mean(
                    m.section, sections, "add it to sections: to fix its place in the report"
                ),
                at=("section",),
            )
    if not sections:
        yield from _lone_sections(cat)


def _lone_sections(cat: Catalogue) -> Iterator[Finding]:
    """Without ``sections:`` in kpiboard.yaml, a section only one measure names that is close
    to one other measures name is most likely a typo: it would make a section of its own."""
    users: dict[str, list[str]] = {}
    for m in cat.measures.values():
        if m.section:
            users.setdefault(m.section, []).append(m.id)
    for name, ids in users.items():
        if len(ids) != 1:
            continue
        others = [s for s, u in users.items() if s != name and len(u) > 1]
        hint = did_you_mean(name, others)
        if hint is not None:
            yield at_measure(
                cat,
                ids[0],
                "warning",
                f"section {name!r} is used by this measure alone, so it makes a section of its own",
                f"{hint} Or list the sections in kpiboard.yaml",
                at=("section",),
            )


def headings(cat: Catalogue) -> Iterator[Finding]:
    """The title's and subtitle's placeholders are ones kpiboard fills ({month}, ...)."""
    for key in ("title", "subtitle"):
        text = getattr(cat.project, key)
        if text is not None:
            yield from _placeholders(cat, key, text)


def _placeholders(cat: Catalogue, key: str, text: str) -> Iterator[Finding]:
    known = list(PLACEHOLDERS)
    listed = ", ".join("{" + k + "}" for k in known)
    try:
        names = names_in(text)
    except ValueError as exc:
        yield at_project(
            cat,
            "error",
            f"{key}: {exc}",
            f"placeholders are {listed}; write a literal brace as {{{{ or }}}}",
            at=(key,),
        )
        return
    for name in names:
        if name not in PLACEHOLDERS:
            yield at_project(
                cat,
                "error",
                f"{key}: unknown placeholder {{{name}}}",
                did_you_mean(name, known, f"placeholders are {listed}"),
                at=(key,),
            )
