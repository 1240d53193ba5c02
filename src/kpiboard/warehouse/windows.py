"""Window sums as one Ibis expression, pushed down to the warehouse.

For every organisation x measure x month that has monthly data, the sums each measure kind
needs over the month itself, the last 3 and 12 months and the financial year to date, with the
count of months present (so a window with a missing month is never passed off as complete),
and (for the benchmark) the same figures for the window a year earlier. Only this compact
table (one row per org x measure x month) comes back into Python, as
:class:`kpiboard.enginedata.MonthSums`; everything after it is plain arithmetic in the engine.

Per row the *effective* figures are:

* ``amt``  = numerator, else value                  -> counts, snapshots of counts
* ``pnum`` = numerator, else value% x sample_size   -> proportions pooled as sum/sum
* ``pden`` = denominator, else sample_size
* ``val``  = value (for means of monthly values)
* ``ss``   = sample_size, else denominator           -> sample sizes for margins of error
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

STATS = ("amt", "pnum", "pden", "val", "ss", "n", "prov")


@dataclass(frozen=True)
class WindowSpec:
    """A window computed in SQL: ``name`` prefixes its columns; ``length`` months, or the
    financial year to date when ``fytd``."""

    name: str
    length: int = 0
    fytd: bool = False


MONTH = WindowSpec("m1", 1)
ROLLING_3 = WindowSpec("r3", 3)
ROLLING_12 = WindowSpec("r12", 12)
FYTD = WindowSpec("fytd", fytd=True)
WINDOWS = (MONTH, ROLLING_3, ROLLING_12, FYTD)


def month_expr(period_end: ir.DateValue) -> ir.IntegerValue:
    """The month index year * 12 + month - 1 (see kpiboard.periods)."""
    return period_end.year() * 12 + period_end.month() - 1


def monthly_rows(obs: ir.Table) -> ir.Table:
    """Monthly observations with their month index and effective figures."""
    t = obs.filter(obs.months == 1)
    pct = t.value / 100.0
    return t.select(
        org=t.org,
        measure=t.measure,
        m=month_expr(t.period_end),
        amt=t.numerator.coalesce(t.value),
        pnum=t.numerator.coalesce(pct * t.sample_size),
        pden=t.denominator.coalesce(t.sample_size),
        val=t.value,
        ss=t.sample_size.coalesce(t.denominator),
        # a CASE rather than a cast: PostgreSQL cannot cast boolean to smallint
        prov=t.provisional.fill_null(False).ifelse(1, 0),
    )


def window_table(obs: ir.Table, fy_start_month: int = 4, *, comparator: bool = True) -> ir.Table:
    """Sums over each window in WINDOWS ending at every month with data.

    ``n`` counts the months present in the window; the caller compares it with the window's
    length (or the months elapsed in the financial year) before trusting a sum. With
    ``comparator`` the same columns for the window ending 12 months earlier are joined as
    ``prev_<column>`` (null where that year has no data).
    """
    t = monthly_rows(obs)
    # financial-year number: months since the year's first month, divided into years
    t = t.mutate(fy=((t.m - (fy_start_month - 1)) / 12).floor().cast("int64"))
    cols: dict[str, ir.Value] = {}
    for spec in WINDOWS:
        if spec.fytd:
            win = ibis.cumulative_window(group_by=[t.org, t.measure, t.fy], order_by=t.m)
        elif spec.length == 1:
            win = None
        else:
            win = ibis.range_window(
                preceding=spec.length - 1, following=0, group_by=[t.org, t.measure], order_by=t.m
            )
        for stat in STATS:
            name = f"{spec.name}_{stat}"
            if stat == "n":  # months present: every monthly row carries a figure (ingest checks)
                cols[name] = ibis.literal(1, "int64") if win is None else t.m.count().over(win)
            elif win is None:
                cols[name] = t[stat]
            elif stat == "prov":
                cols[name] = t.prov.max().over(win)
            else:
                cols[name] = t[stat].sum().over(win)
    wide = t.select(t.org, t.measure, t.m, t.fy, **cols)
    if not comparator:
        return wide
    prev = wide.select(
        org=wide.org,
        measure=wide.measure,
        m_next=wide.m + 12,
        **{f"prev_{c}": wide[c] for c in cols},
    )
    joined = wide.left_join(
        prev,
        [wide.org == prev.org, wide.measure == prev.measure, wide.m == prev.m_next],
    )
    return joined.select(wide, *[joined[f"prev_{c}"] for c in cols])


def sums_at(obs: ir.Table, ends: ir.Table, fy_start_month: int = 4) -> ir.Table:
    """The columns of :func:`window_table` (without the comparator and ``fy``), only at the
    months ``ends`` names for each measure (columns ``measure`` and ``e``), where the series
    has a monthly row, as :func:`window_table` has.

    One aggregate instead of window functions: each monthly row is joined to the months whose
    windows it lies in (at most 12 months before them: no window is longer), and each window's
    sums are conditional sums over them, so reading a few months of many series costs those
    months, not the series. The statistics are those of :func:`window_table` exactly (a sum of
    nothing is null, ``n`` counts the months present).
    """
    t = monthly_rows(obs)
    e = ends.e
    bounds = ends.mutate(
        r3=e - 2,
        r12=e - 11,
        # the financial year's first month: fy = floor((e - (start - 1)) / 12), as above
        fy_first=((e - (fy_start_month - 1)) / 12).floor().cast("int64") * 12 + fy_start_month - 1,
    )
    j = t.join(bounds, [t.measure == bounds.measure, t.m.between(bounds.r12, bounds.e)])
    first = {MONTH: j.e, ROLLING_3: j.r3, ROLLING_12: j.r12, FYTD: j.fy_first}
    cols: dict[str, ir.Scalar] = {}
    for spec in WINDOWS:
        # CASE inside the sum rather than a FILTER clause: DuckDB runs it four times faster
        inside = j.m >= first[spec]
        for stat in STATS:
            name = f"{spec.name}_{stat}"
            if stat == "n":
                cols[name] = ibis.ifelse(inside, j.m, None).count()
            elif stat == "prov":
                cols[name] = ibis.ifelse(inside, j.prov, None).max()
            else:
                cols[name] = ibis.ifelse(inside, j[stat], None).sum()
    out = j.group_by([j.org, j.measure, j.e]).aggregate(
        _here=ibis.ifelse(j.m == j.e, 1, 0).max(), **cols
    )
    return out.filter(out._here == 1).drop("_here").rename(m="e")
