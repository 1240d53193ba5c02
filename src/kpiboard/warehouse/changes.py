"""What a vintage changed, per measure (stored observations) and per record source: the months
added, the months revised (how many figures, the largest change) and the months removed.

It is read from the rows the load closed (``vintage_to = N``) and inserted (``vintage_from =
N``) inside the load's transaction, so ``ingest --check`` reports it before rolling back, and
the summary is kept with the vintage (``kpiboard_vintages.changes``, as JSON).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kpiboard.ingest import KEY_COLUMNS
from kpiboard.vocabulary import ChangeKind
from kpiboard.warehouse.tables import OBSERVATIONS, RECORDS

MEASURE = "measure"  # what a SubjectChanges is about: a measure's stored observations
SOURCE = "source"  # or a record source's records


class Rows(Protocol):
    param: str

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class MonthChange:
    """One month of a measure or source that a vintage added, revised or removed. ``figures``:
    the observations that differ (for a record source, the records read again from files that
    changed); ``largest``: the largest absolute change of one figure (for a record source, of
    the month's total), None for a month added or removed."""

    month: str  # YYYY-MM of the period's last month
    kind: ChangeKind
    figures: int
    largest: float | None = None


@dataclass(frozen=True)
class SubjectChanges:
    """The months of one measure (``of`` = "measure") or record source ("source") a vintage
    changed, in month order."""

    subject: str
    of: str
    months: tuple[MonthChange, ...]

    def of_kind(self, kind: ChangeKind) -> tuple[MonthChange, ...]:
        return tuple(m for m in self.months if m.kind is kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "of": self.of,
            "added": [m.month for m in self.of_kind(ChangeKind.ADDED)],
            "revised": [
                {"month": m.month, "figures": m.figures, "largest_change": m.largest}
                for m in self.of_kind(ChangeKind.REVISED)
            ],
            "removed": [m.month for m in self.of_kind(ChangeKind.REMOVED)],
        }


def changes_json(changes: Sequence[SubjectChanges]) -> str:
    return json.dumps([c.as_json() for c in changes], sort_keys=True)


def changes_from_json(text: str) -> tuple[SubjectChanges, ...]:
    out = []
    for item in json.loads(text or "[]"):
        months = [MonthChange(m, ChangeKind.ADDED, 0) for m in item["added"]]
        months += [
            MonthChange(r["month"], ChangeKind.REVISED, r["figures"], r["largest_change"])
            for r in item["revised"]
        ]
        months += [MonthChange(m, ChangeKind.REMOVED, 0) for m in item["removed"]]
        out.append(
            SubjectChanges(item["subject"], item["of"], tuple(sorted(months, key=_month_order)))
        )
    return tuple(out)


def _month_order(m: MonthChange) -> str:
    return m.month


def _month(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _known_at(n: str) -> str:
    return f"vintage_from <= {n} AND (vintage_to IS NULL OR vintage_to > {n})"


def _present(s: Rows, table: str, subject: str, vintage: int) -> dict[tuple[str, dt.date], float]:
    """(subject, period_end) -> rows (or summed weight) known at ``vintage``."""
    p = s.param
    amount = "SUM(weight)" if table == RECORDS else "COUNT(*)"
    got = s.rows(
        f"SELECT {subject}, period_end, {amount} FROM {table} WHERE {_known_at(p)} "
        f"AND {subject} IN (SELECT {subject} FROM {table} WHERE vintage_from = {p} "
        f"OR vintage_to = {p}) GROUP BY {subject}, period_end",
        (vintage, vintage, vintage, vintage),
    )
    return {(str(a), b): float(c or 0) for a, b, c in got}


def _classify(
    subject_of: str,
    touched: dict[tuple[str, dt.date], tuple[int, float | None]],
    before: dict[tuple[str, dt.date], float],
    after: dict[tuple[str, dt.date], float],
) -> list[SubjectChanges]:
    by_subject: dict[str, list[MonthChange]] = defaultdict(list)
    for (subject, period), (figures, largest) in sorted(touched.items()):
        was, now = (subject, period) in before, (subject, period) in after
        if not figures and was and now:
            continue  # only a row's source or note changed: no figure was revised
        kind = (
            ChangeKind.REVISED if was and now else ChangeKind.ADDED if now else ChangeKind.REMOVED
        )
        keep = largest if kind is ChangeKind.REVISED else None
        by_subject[subject].append(
            MonthChange(_month(period), kind, figures if kind is ChangeKind.REVISED else 0, keep)
        )
    return [SubjectChanges(s, subject_of, tuple(m)) for s, m in sorted(by_subject.items())]


def observation_changes(s: Rows, vintage: int) -> list[SubjectChanges]:
    """Per measure: the months vintage ``vintage`` added, revised or removed."""
    p = s.param
    on = " AND ".join(f"o.{c} = n.{c}" for c in KEY_COLUMNS)
    fig = "COALESCE({0}.numerator, {0}.value)"
    # per measure and month, in the database (a first load of millions of rows would otherwise
    # come into Python row by row): how many rows' figures changed (a row on one side only
    # counts), and the largest change of a figure on both sides
    pairs = (
        f"SELECT COALESCE(o.measure, n.measure) AS measure, "
        f"COALESCE(o.period_end, n.period_end) AS period_end, {fig.format('o')} AS old, "
        f"{fig.format('n')} AS new, o.measure IS NULL OR n.measure IS NULL AS one_sided "
        f"FROM (SELECT * FROM {OBSERVATIONS} WHERE vintage_to = {p}) o FULL OUTER JOIN "
        f"(SELECT * FROM {OBSERVATIONS} WHERE vintage_from = {p}) n ON {on}"
    )
    counted = "(one_sided OR old IS DISTINCT FROM new)"
    got = s.rows(
        f"SELECT measure, period_end, COUNT(CASE WHEN {counted} THEN 1 END), "
        f"MAX(CASE WHEN {counted} AND old IS NOT NULL AND new IS NOT NULL "
        f"THEN ABS(new - old) END) FROM ({pairs}) t GROUP BY measure, period_end",
        (vintage, vintage),
    )
    touched: dict[tuple[str, dt.date], tuple[int, float | None]] = {
        (measure, period): (int(figures), None if largest is None else float(largest))
        for measure, period, figures, largest in got
    }
    before = _present(s, OBSERVATIONS, "measure", vintage - 1)
    after = _present(s, OBSERVATIONS, "measure", vintage)
    return _classify(MEASURE, touched, before, after)


def record_changes(s: Rows, vintage: int) -> list[SubjectChanges]:
    """Per record source: the months vintage ``vintage`` added, revised or removed."""
    p = s.param
    got = s.rows(
        f"SELECT source, period_end, COUNT(CASE WHEN vintage_from = {p} THEN 1 END) "
        f"FROM {RECORDS} WHERE vintage_from = {p} OR vintage_to = {p} GROUP BY source, period_end",
        (vintage, vintage, vintage),
    )
    before = _present(s, RECORDS, "source", vintage - 1)
    after = _present(s, RECORDS, "source", vintage)
    touched: dict[tuple[str, dt.date], tuple[int, float | None]] = {}
    for source, period, inserted in got:
        key = (str(source), period)
        total_change = abs(after.get(key, 0.0) - before.get(key, 0.0))
        # a changed file is read again whole: its month counts as revised when any record of it
        # was read again, even if the month's total is the same (a crime reclassified)
        touched[key] = (int(inserted) or 1, total_change)
    return _classify(SOURCE, touched, before, after)
