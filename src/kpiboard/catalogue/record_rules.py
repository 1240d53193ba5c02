"""The rules on measures counted from records: sources declared once and named right, filters
on columns a record has, and a kind that records can count."""

from __future__ import annotations

from collections.abc import Iterator

from kpiboard.catalogue.model import Catalogue
from kpiboard.catalogue.rule_findings import at_measure, at_project, did_you_mean
from kpiboard.catalogue.schema import FILTER_COLUMNS
from kpiboard.errors import Finding
from kpiboard.vocabulary import MeasureKind


def records(cat: Catalogue) -> Iterator[Finding]:
    sources = {s.id for s in cat.project.sources}
    ids = [s.id for s in cat.project.sources]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        yield at_project(cat, "error", f"two record sources are called {dup!r}", at=("sources",))
    for m in cat.measures.values():
        if m.records is None:
            continue
        if m.records.source not in sources:
            yield at_measure(
                cat,
                m.id,
                "error",
                f"records: unknown source {m.records.source!r}",
                did_you_mean(
                    m.records.source, sorted(sources), "declare it under sources: in kpiboard.yaml"
                ),
                ("records", "source"),
            )
        for column in m.records.where:
            if column not in FILTER_COLUMNS:
                yield at_measure(
                    cat,
                    m.id,
                    "error",
                    f"records: cannot filter on {column!r}",
                    did_you_mean(
                        column, list(FILTER_COLUMNS), "filter on " + ", ".join(FILTER_COLUMNS)
                    ),
                    ("records", "where", column),
                )
        # snapshot: a population counted from a population source (weights summed by period)
        if m.kind not in (MeasureKind.COUNT, MeasureKind.PER_POPULATION, MeasureKind.SNAPSHOT):
            yield at_measure(
                cat,
                m.id,
                "error",
                f"a {m.kind} measure cannot be counted from records",
                "records give counts: use kind count, per_population or snapshot",
                ("records",),
            )
