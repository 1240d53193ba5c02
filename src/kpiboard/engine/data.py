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


HISTORY_MONTHS = 48  # months kept before each series' latest figure: comparator + rank search


def fetch(
    obs: ir.Table,
    measures: Iterable[str],
    fy_start_month: int,
    *,
    as_of: int | None = None,
    home: str | None = None,
    peer_measures: Iterable[str] = (),
    spans: dict[str, tuple[int, int]] | None = None,
) -> EngineData:
    """Run the two queries for ``measures`` and index the results.

    With ``as_of`` only months up to it are returned, and of each series only the
    HISTORY_MONTHS before its own latest month (plus any baseline ``spans``); with ``home``
    only that organisation's rows, except for ``peer_measures`` (those ranked against peers).
    The windows are computed over the full series first, so no sum is cut short.
    """
    wanted = sorted(set(measures))
    data = EngineData()
    if not wanted:
        return data
    subset = obs.filter(obs.measure.isin(wanted))
    if home is not None:
        peers = sorted(set(peer_measures))
        cond = subset.org == home
        if peers:
            cond = cond | subset.measure.isin(peers)
        subset = subset.filter(cond)
    if as_of is not None:  # a window ending at or before as_of never needs a later month
        subset = subset.filter(month_expr(subset.period_end) <= as_of)
    # the comparator is read from this same table a year earlier, so no self-join is needed
    table = window_table(subset, fy_start_month, comparator=False)
    if as_of is not None:
        last = table.m.max().over(ibis.window(group_by=[table.org, table.measure]))
        keep = table.m >= last - HISTORY_MONTHS
        for mid, (first, end) in (spans or {}).items():
            keep = keep | ((table.measure == mid) & table.m.between(first, end))
        table = table.mutate(_last=last).filter(keep).drop("_last")
    arrow = table.to_pyarrow()
    windows: dict[tuple[str, str], dict[int, Row]] = defaultdict(dict)
    names = arrow.column_names
    columns = [arrow.column(i).to_pylist() for i in range(len(names))]
    i_org, i_measure, i_m = names.index("org"), names.index("measure"), names.index("m")
    for values in zip(*columns):
        windows[(values[i_org], values[i_measure])][values[i_m]] = dict(zip(names, values))
    data.windows = dict(windows)

    others = subset.filter(subset.months != 1).select(
        "org",
        "measure",
        "months",
        "numerator",
        "denominator",
        "value",
        "sample_size",
        "provisional",
        "note",
        m=month_expr(subset.period_end),
    )
    if as_of is not None:
        others = others.filter(others.m <= as_of)
    recorded: dict[tuple[str, str], list[Recorded]] = defaultdict(list)
    for r in others.to_pyarrow().to_pylist():
        amt = r["numerator"] if r["numerator"] is not None else r["value"]
        recorded[(r["org"], r["measure"])].append(
            Recorded(
                r["org"],
                r["measure"],
                r["m"],
                r["months"],
                amt,
                r["numerator"],
                r["denominator"],
                r["value"],
                r["sample_size"],
                bool(r["provisional"]),
                r["note"],
            )
        )
    data.recorded = {k: sorted(v, key=lambda x: x.end) for k, v in recorded.items()}
    return data


def empty_table() -> ir.Table:
    """An observations table with no rows (for catalogues with nothing ingested)."""
    return ibis.memtable(
        {
            "org": [],
            "measure": [],
            "period_end": [],
            "months": [],
            "numerator": [],
            "denominator": [],
            "value": [],
            "sample_size": [],
            "provisional": [],
            "note": [],
        },
        schema={
            "org": "string",
            "measure": "string",
            "period_end": "date",
            "months": "int32",
            "numerator": "float64",
            "denominator": "float64",
            "value": "float64",
            "sample_size": "float64",
            "provisional": "boolean",
            "note": "string",
        },
    )
