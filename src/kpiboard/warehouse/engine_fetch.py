"""The engine's reads: the window sums and the non-monthly observations an
:class:`~kpiboard.enginedata.EngineRequest` asks for, fetched in two queries and handed back as
:class:`~kpiboard.enginedata.EngineData`."""

from __future__ import annotations

import gc
from collections import defaultdict

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from kpiboard.enginedata import EngineData, EngineRequest, MonthSums, Recorded, WindowSums
from kpiboard.warehouse.windows import FYTD, MONTH, ROLLING_3, ROLLING_12, month_expr, window_table

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


def fetch_engine_data(obs: ir.Table, request: EngineRequest) -> EngineData:
    """Run the two queries of ``request`` over the observations ``obs`` and index the results.

    The windows are computed over the full series (up to ``as_of``) before the history is cut,
    so no sum is cut short.
    """
    wanted = sorted(request.measures)
    if not wanted:
        return EngineData({}, {})
    subset = obs.filter(obs.measure.isin(wanted))
    if request.home is not None:
        peers = sorted(request.peer_measures)
        cond = subset.org == request.home
        if peers:
            cond = cond | subset.measure.isin(peers)
        subset = subset.filter(cond)
    if request.as_of is not None:  # a window ending at or before as_of never needs a later month
        subset = subset.filter(month_expr(subset.period_end) <= request.as_of)
    return EngineData(_window_sums(subset, request), _recorded(subset, request.as_of))


def _window_sums(
    subset: ir.Table, request: EngineRequest
) -> dict[tuple[str, str], dict[int, MonthSums]]:
    # the comparator is read from this same table a year earlier, so no self-join is needed
    table = window_table(subset, request.fy_start_month, comparator=False)
    if request.as_of is not None and request.history_months is not None:
        last = table.m.max().over(ibis.window(group_by=[table.org, table.measure]))
        keep = table.m >= last - request.history_months
        for span in request.spans:
            keep = keep | ((table.measure == span.measure) & table.m.between(span.first, span.last))
        table = table.mutate(_last=last).filter(keep).drop("_last")
    return month_sums(table.to_pyarrow())


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
