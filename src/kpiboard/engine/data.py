"""What the engine reads: the compact window table and the non-monthly observations, fetched
once per scorecard through Ibis and held as plain dictionaries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from kpiboard.engine.windows import month_expr, window_table

Row = dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    """An observation that is not a plain monthly figure: a window estimate (``months`` > 1,
    e.g. a rolling-year survey result) or any row of a snapshot measure."""

    org: str
    measure: str
    end: int  # month index of period_end
    months: int
    amt: float | None  # numerator, else value
    numerator: float | None
    denominator: float | None
    value: float | None
    sample_size: float | None
    provisional: bool
    note: str | None


@dataclass
class EngineData:
    """Window sums by (org, measure) -> month -> row, plus recorded observations."""

    windows: dict[tuple[str, str], dict[int, Row]] = field(default_factory=dict)
    recorded: dict[tuple[str, str], list[Recorded]] = field(default_factory=dict)

    def window_row(self, org: str, measure: str, m: int) -> Row | None:
        return self.windows.get((org, measure), {}).get(m)

    def recorded_for(self, org: str, measure: str) -> list[Recorded]:
        return self.recorded.get((org, measure), [])

    def months_with_data(self, org: str, measure: str) -> set[int]:
        ms = set(self.windows.get((org, measure), {}))
        ms.update(r.end for r in self.recorded_for(org, measure))
        return ms

    def orgs_with(self, measure: str) -> set[str]:
        return {o for (o, mid) in (*self.windows, *self.recorded) if mid == measure}

    def first_month(self) -> int | None:
        ms = [m for rows in self.windows.values() for m in rows]
        ms += [r.end - r.months + 1 for recs in self.recorded.values() for r in recs]
        return min(ms) if ms else None


def fetch(obs: ir.Table, measures: Iterable[str], fy_start_month: int) -> EngineData:
    """Run the two queries for ``measures`` and index the results."""
    wanted = sorted(set(measures))
    data = EngineData()
    if not wanted:
        return data
    subset = obs.filter(obs.measure.isin(wanted))
    table = window_table(subset, fy_start_month).to_pyarrow()
    windows: dict[tuple[str, str], dict[int, Row]] = defaultdict(dict)
    for row in table.to_pylist():
        windows[(row["org"], row["measure"])][row["m"]] = row
    data.windows = dict(windows)

    others = subset.filter(subset.months != 1).select(
        "org", "measure", "months", "numerator", "denominator", "value", "sample_size",
        "provisional", "note", m=month_expr(subset.period_end),
    )
    recorded: dict[tuple[str, str], list[Recorded]] = defaultdict(list)
    for r in others.to_pyarrow().to_pylist():
        amt = r["numerator"] if r["numerator"] is not None else r["value"]
        recorded[(r["org"], r["measure"])].append(Recorded(
            r["org"], r["measure"], r["m"], r["months"], amt, r["numerator"], r["denominator"],
            r["value"], r["sample_size"], bool(r["provisional"]), r["note"],
        ))
    # monthly rows of snapshot measures are also wanted as recorded values (latest-at lookups)
    data.recorded = {k: sorted(v, key=lambda x: x.end) for k, v in recorded.items()}
    return data


def empty_table() -> ir.Table:
    """An observations table with no rows (for catalogues with nothing ingested)."""
    return ibis.memtable(
        {
            "org": [], "measure": [], "period_end": [], "months": [], "numerator": [],
            "denominator": [], "value": [], "sample_size": [], "provisional": [], "note": [],
        },
        schema={
            "org": "string", "measure": "string", "period_end": "date", "months": "int32",
            "numerator": "float64", "denominator": "float64", "value": "float64",
            "sample_size": "float64", "provisional": "boolean", "note": "string",
        },
    )
