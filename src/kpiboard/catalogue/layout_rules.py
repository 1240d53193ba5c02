"""The rules on a measure's place in the report: row labels used once, sections listed."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.rule_findings import at_measure
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
                "add it to sections: to fix its place in the report",
                at=("section",),
            )
