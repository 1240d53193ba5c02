"""Measures' ``records.where`` values checked against the records loaded.

A value that matches no record is not an error in the YAML (the catalogue cannot know what
the data hold), but the measure then counts fewer records than meant, or none: a typo
("Burglry"), a value of another source, or YAML splitting an unquoted value at its comma in a
flow list (``[Rates per 1,000 residents]`` is the two values ``Rates per 1`` and ``000
residents``). After each ingest the distinct values of every (source, column) a measure filters
on are read by one query run in the warehouse, and each value missing from them is a warning.

>>> where_findings(catalogue, warehouse.records())  # doctest: +SKIP
[Finding('warning', "records.where.crime_type: 'Burglry' matches no record ...", ...)]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from kpiboard.catalogue.schema import FILTER_COLUMNS
from kpiboard.errors import Finding

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue
    from kpiboard.catalogue.schema import Measure

NEAREST = 3  # nearest present values named in a hint
EXAMPLES = 5  # present values named when none is near
MAX_PIECES = 6  # longest run of list items tried as one value split at its commas
MAX_NAMED = 10  # missing values of one column warned about one by one; the rest in one warning
_COMMA = re.compile(r"\s*,\s*")

Pair = tuple[str, str]  # (source id, column)


def present_values(records: ir.Table, pairs: Sequence[Pair]) -> dict[Pair, set[str]]:
    """The distinct non-null values of each (source, column) in ``records``: one query, run in
    the warehouse (a union of SELECT DISTINCTs); only the distinct values come back."""
    parts = []
    for source, column in pairs:
        r = records.filter((records.source == source) & records[column].notnull())
        parts.append(
            r.select(src=ibis.literal(source), col=ibis.literal(column), value=r[column]).distinct()
        )
    found: dict[Pair, set[str]] = {pair: set() for pair in pairs}
    if not parts:
        return found
    query = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    got = query.to_pyarrow().to_pydict()
    for source, column, value in zip(got["src"], got["col"], got["value"], strict=True):
        found[(source, column)].add(value)
    return found


def _checked_pairs(catalogue: Catalogue) -> list[Pair]:
    """Every (source, column) a measure filters on, for declared sources and known columns
    (anything else is already an error of the catalogue's)."""
    sources = {s.id for s in catalogue.project.sources}
    pairs: dict[Pair, None] = {}
    for m in catalogue.measures.values():
        if m.records is None or m.records.source not in sources:
            continue
        for column in m.records.where:
            if column in FILTER_COLUMNS:
                pairs[(m.records.source, column)] = None
    return list(pairs)


def where_findings(catalogue: Catalogue, records: ir.Table) -> list[Finding]:
    """A warning for every ``records.where`` value that matches no record of its source, and
    one for each measure left with no data. Never raises: if the query fails, that is one
    warning (the data are loaded by then, and a check must not undo an ingest)."""
    pairs = _checked_pairs(catalogue)
    if not pairs:
        return []
    try:
        present = present_values(records, pairs)
    except Exception as exc:  # noqa: BLE001 - a failed check must not fail the ingest
        return [
            Finding(
                "warning",
                f"the records' values could not be read to check measures' records.where: {exc}",
                None,
                None,
                None,
                "the data were loaded; this is a kpiboard bug or a warehouse problem: "
                "please report it",
            )
        ]
    out: list[Finding] = []
    for m in catalogue.measures.values():
        if m.records is None:
            continue
        for column, values in m.records.where.items():
            pair = (m.records.source, column)
            if pair in present:
                out.extend(_column_findings(catalogue, m, column, values, present[pair]))
    return out


def _split_runs(values: Sequence[str], present: set[str]) -> list[tuple[int, int, str]]:
    """Runs ``values[start:end]`` (two or more items) that rejoined at commas, with or without
    the space after them, are a present value, and of which some item matches no record:
    an unquoted value that YAML split at its commas. Returned as (start, end, the value)."""
    by_key: dict[str, str] = {}
    for value in present:
        if "," in value:
            by_key.setdefault(_COMMA.sub(",", value.strip()), value)
    runs: list[tuple[int, int, str]] = []
    start = 0
    while start < len(values) and by_key:
        for end in range(min(len(values), start + MAX_PIECES), start + 1, -1):  # longest first
            pieces = values[start:end]
            if any("," in p for p in pieces) or all(p in present for p in pieces):
                continue
            joined = by_key.get(",".join(p.strip() for p in pieces))
            if joined is not None:
                runs.append((start, end, joined))
                start = end
                break
        else:
            start += 1
    return runs


def _column_findings(
    catalogue: Catalogue, m: Measure, column: str, values: Sequence[str], present: set[str]
) -> list[Finding]:
    assert m.records is not None
    src = catalogue.sources.get(m.id)
    file = src.file if src else None

    def at(*loc: str | int) -> int | None:
        return src.line_at(("records", "where", column, *loc)) if src else None

    source = m.records.source
    key = f"records.where.{column}"
    if not values:
        return [
            Finding(
                "warning",
                f"{key} is an empty list: {m.id} will have no data",
                file,
                at(),
                m.id,
                f"list the {column} values to count, or remove {column} from where",
            )
        ]
    if not present:
        return [
            Finding(
                "warning",
                f"{key}: no record of source {source!r} has a {column}, so none matches "
                f"{_listed(values)}: {m.id} will have no data",
                file,
                at(),
                m.id,
                "filter on a column that source fills, or set records.source to the source whose "
                "records have these values",
            )
        ]
    found: list[tuple[int, Finding]] = []
    runs = _split_runs(values, present)
    in_run = {i for start, end, _ in runs for i in range(start, end)}
    for start, end, joined in runs:
        pieces = ", ".join(repr(v) for v in values[start:end])
        found.append(
            (
                start,
                Finding(
                    "warning",
                    f"{key}: {pieces} look like the value {joined!r} split at its comma"
                    f"{'s' if end - start > 2 else ''} (YAML splits an unquoted value at commas "
                    f"in a [...] list); {m.id} counts no records of {joined!r}",
                    file,
                    at(start),
                    m.id,
                    f'quote the value: {column}: ["{joined}"], or put it on a line of its own: - {joined}',
                ),
            )
        )
    ordered = sorted(present)
    missing = [i for i, value in enumerate(values) if i not in in_run and value not in present]
    if len(missing) > MAX_NAMED:
        rest = [values[i] for i in missing[MAX_NAMED:]]
        found.append(
            (
                missing[MAX_NAMED],
                Finding(
                    "warning",
                    f"{key}: {len(rest):,} more values match no record of source {source!r}: "
                    f"{_listed(rest)}",
                    file,
                    at(missing[MAX_NAMED]),
                    m.id,
                    "check them against the source's data, and that records.source names the right source",
                ),
            )
        )
    for i in missing[:MAX_NAMED]:
        value = values[i]
        near = difflib.get_close_matches(value, ordered, n=NEAREST, cutoff=0.6)
        if near:
            others = f" (nearest present: {', '.join(map(repr, near))})" if len(near) > 1 else ""
            hint = (
                f"did you mean {near[0]!r}?{others} Correct the value in {file or 'the measure'}, "
                f"or remove it"
            )
        else:
            hint = (
                f"nothing present is close; source {source!r} has {column} {_listed(ordered)}. Check "
                f"the value, and that records.source names the source that has it"
            )
        found.append(
            (
                i,
                Finding(
                    "warning",
                    f"{key}: {value!r} matches no record of source {source!r}",
                    file,
                    at(i),
                    m.id,
                    hint,
                ),
            )
        )
    out = [f for _, f in sorted(found, key=lambda pair: pair[0])]
    if not any(v in present for v in values):
        out.append(
            Finding(
                "warning",
                f"{key}: none of its values matches a record of source {source!r}: "
                f"{m.id} will have no data",
                file,
                at(),
                m.id,
                "correct the values named above",
            )
        )
    return out


def _listed(values: Sequence[str]) -> str:
    """Some of ``values``, quoted, for a message."""
    shown = ", ".join(map(repr, values[:EXAMPLES]))
    return shown + (f" and {len(values) - EXAMPLES:,} more" if len(values) > EXAMPLES else "")
