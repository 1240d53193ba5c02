"""The engine's reads: the window sums and the non-monthly observations an
:class:`~kpiboard.enginedata.EngineRequest` asks for, fetched in two queries (two more for the
other organisations' rows it names) and handed back as :class:`~kpiboard.enginedata.EngineData`.
"""

from __future__ import annotations

import gc
from collections import defaultdict

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from kpiboard.enginedata import (
    EngineData,
    EngineRequest,
    MonthSums,
    Recorded,
    WindowSums,
)
from kpiboard.warehouse.windows import (
    FYTD,
    MONTH,
    ROLLING_3,
    ROLLING_12,
    month_expr,
    sums_at,
    window_table,
)

# the SQL window behind each field of MonthSums, in the order of its fields
_SPECS = {"month": MONTH, "rolling_3": ROLLING_3, "rolling_12": ROLLING_12, "fytd": FYTD}
_MONTH_SUMS_SPECS = [_SPECS[name] for name in MonthSums._fields]

_RECORDED_COLUMNS = (
    "org",
    "measure",
    "months",
    "numerator",
    "denominator",
    "value",
    "sample_size",
    "provisional",
    "note",
)


# months before a window's last month that it may reach back to: a window is at most a year
WINDOW_REACH = 11


def fetch_engine_data(obs: ir.Table, request: EngineRequest) -> EngineData:
    """Run the queries of ``request`` over the observations ``obs`` and index the results.

    The windows are computed over the full series (up to ``as_of``) before the history is cut,
    so no sum is cut short.
    """
    own = _own(obs, request)
    if not request.others:
        return own
    return own.merged(_others(obs, request))


def _own(obs: ir.Table, request: EngineRequest) -> EngineData:
    wanted = sorted(request.measures)
    if not wanted:
        return EngineData({}, {})
    subset = obs.filter(obs.measure.isin(wanted))
    if request.as_of is not None:  # a window ending at or before as_of never needs a later month
        subset = subset.filter(month_expr(subset.period_end) <= request.as_of)
    if request.home is None:
        return EngineData(_window_sums(subset, request), _recorded(subset, request.as_of))
    windows = subset.filter(_home_or(subset, request.home, request.peer_measures))
    recorded = subset.filter(
        _home_or(subset, request.home, request.peer_measures | request.peer_recorded)
    )
    return EngineData(_window_sums(windows, request), _recorded(recorded, request.as_of))


def _home_or(subset: ir.Table, home: str, measures: frozenset[str]) -> ir.BooleanValue:
    cond = subset.org == home
    return cond | subset.measure.isin(sorted(measures)) if measures else cond


def _window_sums(
    subset: ir.Table, request: EngineRequest
) -> dict[tuple[str, str], dict[int, MonthSums]]:
    # the comparator is read from this same table a year earlier, so no self-join is needed
    table = window_table(subset, request.fy_start_month, comparator=False)
    return month_sums(_cut_history(table, request).to_pyarrow())


def _cut_history(table: ir.Table, request: EngineRequest) -> ir.Table:
    """``table`` without the months before each series' history (``history_months`` before
    its latest month, outside the baseline spans)."""
    if request.as_of is None or request.history_months is None:
        return table
    # the window as a column first: PostgreSQL allows no window function in WHERE
    last = table.m.max().over(ibis.window(group_by=[table.org, table.measure]))
    table = table.mutate(_last=last)
    keep = table.m >= table._last - request.history_months
    for span in request.spans:
        keep = keep | ((table.measure == span.measure) & table.m.between(span.first, span.last))
    return table.filter(keep).drop("_last")


def _others(obs: ir.Table, request: EngineRequest) -> EngineData:
    """The window sums of the other organisations at the months ``request.others`` names
    (``windows.sums_at``), each series' history cut as for the home organisation's."""
    assert request.home is not None, "the other organisations are those not the home one"
    ends = {r.measure: r.ends for r in request.others if r.ends}
    peers_at = {r.measure: r.ends for r in request.others}
    if not ends:
        return EngineData({}, {}, peers_at, request.home)
    base = obs.filter(obs.org != request.home)
    if request.as_of is not None:
        base = base.filter(month_expr(base.period_end) <= request.as_of)
    m = month_expr(base.period_end)
    # the rows a window ending at a month named may reach back to, and later ones: the
    # series' latest month, which its history is cut from
    reach = [
        base.measure.isin(mids) & (m >= min(at) - WINDOW_REACH) for at, mids in _by_months(ends)
    ]
    return EngineData(
        _sums_at(base.filter(ibis.or_(*reach)), request, ends), {}, peers_at, request.home
    )


def _by_months(ends: dict[str, frozenset[int]]) -> list[tuple[frozenset[int], list[str]]]:
    """The measures named by the months named for them (usually one set for all): one
    condition per set rather than per measure."""
    groups: dict[frozenset[int], list[str]] = defaultdict(list)
    for mid, at in sorted(ends.items()):
        groups[at].append(mid)
    return sorted(groups.items(), key=lambda g: g[1])


def _sums_at(
    subset: ir.Table, request: EngineRequest, ends: dict[str, frozenset[int]]
) -> dict[tuple[str, str], dict[int, MonthSums]]:
    """The window sums at the months named, without the months before each series' history."""
    # an Arrow table rather than a dict: a dict goes through pandas, which warns on every call
    at = ibis.memtable(
        pa.table(
            {
                "measure": pa.array(
                    [mid for mid, months in sorted(ends.items()) for _ in months], pa.string()
                ),
                "e": pa.array(
                    [e for _, months in sorted(ends.items()) for e in sorted(months)], pa.int64()
                ),
            }
        )
    )
    sums = sums_at(subset, at, request.fy_start_month)
    if request.as_of is not None and request.history_months is not None:
        monthly = subset.filter(subset.months == 1)
        last = monthly.group_by([monthly.org, monthly.measure]).aggregate(
            _last=month_expr(monthly.period_end).max()
        )
        sums = sums.join(last, [sums.org == last.org, sums.measure == last.measure])
        recent = sums.m >= sums._last - request.history_months
        for span in request.spans:
            recent = recent | (
                (sums.measure == span.measure) & sums.m.between(span.first, span.last)
            )
        sums = sums.filter(recent).drop("_last")
    return month_sums(sums.to_pyarrow())


def month_sums(arrow: pa.Table) -> dict[tuple[str, str], dict[int, MonthSums]]:
    """The rows of a window table as org x measure -> month -> MonthSums.

    Built column by column (one ``to_pylist`` per column, one tuple per window) rather than
    row by row: this is the one place where the size of the data meets Python.
    """
    # Five tuples per row, all alive at once: each allocation burst would set off the cyclic
    # garbage collector, which then walks every tuple made so far (twice the time of the whole
    # conversion). They hold only numbers, so no cycle can form here.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _month_sums(arrow)
    finally:
        if enabled:
            gc.enable()


def _month_sums(arrow: pa.Table) -> dict[tuple[str, str], dict[int, MonthSums]]:
    per_window = []
    for spec in _MONTH_SUMS_SPECS:
        columns = []
        for stat in WindowSums._fields:
            column = arrow.column(f"{spec.name}_{stat}")
            if stat == "prov":  # 0/1 in SQL (PostgreSQL cannot cast boolean to smallint)
                column = column.cast(pa.bool_())
            columns.append(column.to_pylist())
        per_window.append(list(map(WindowSums, *columns)))
    rows = map(MonthSums, *per_window)
    keys = zip(
        arrow.column("org").to_pylist(),
        arrow.column("measure").to_pylist(),
        arrow.column("m").to_pylist(),
        strict=True,
    )
    out: dict[tuple[str, str], dict[int, MonthSums]] = defaultdict(dict)
    for (org, measure, m), row in zip(keys, rows, strict=True):
        out[(org, measure)][m] = row
    return dict(out)


def _recorded(subset: ir.Table, as_of: int | None) -> dict[tuple[str, str], list[Recorded]]:
    """The observations of more than one month (and of snapshots), in order of their end."""
    others = subset.filter(subset.months != 1).select(
        *_RECORDED_COLUMNS, m=month_expr(subset.period_end)
    )
    if as_of is not None:
        others = others.filter(others.m <= as_of)
    got = others.to_pyarrow()
    columns = [got.column(name).to_pylist() for name in (*_RECORDED_COLUMNS, "m")]
    recorded: dict[tuple[str, str], list[Recorded]] = defaultdict(list)
    for org, measure, months, num, den, value, ss, prov, note, m in zip(*columns, strict=True):
        amt = num if num is not None else value
        recorded[(org, measure)].append(
            Recorded(org, measure, m, months, amt, num, den, value, ss, bool(prov), note)
        )
    return {k: sorted(v, key=lambda x: x.end) for k, v in recorded.items()}
