"""Derived measures over random projects (hypothesis): random monthly series for 2-4 measures
and a few organisations, random formulas of every allowed shape (sums, differences, constants
times measures, ratios as proportions and as means, a derived measure of a derived one), and
every derived measure's figure over every window ending in every month equal to an independent
pandas computation from the raw rows: the terms summed per month (a month any part lacks is
absent), summed over the window (a window with an absent month has no figure), divided at the
end (a zero denominator: no figure)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from obs import obs, project

from kpiboard.engine.evaluate import Evaluator
from kpiboard.enginedata import EngineRequest
from kpiboard.periods import WindowKind, window_ending
from kpiboard.warehouse import Observations
from kpiboard.warehouse.derived import with_records

START = 2017 * 12 + 1  # Feb 2017: the series cross two financial-year starts
MONTHS = 26
ORGS = ("A", "B")
MEASURES = ("m0", "m1", "m2", "m3")
KINDS = (
    WindowKind.MONTH,
    WindowKind.ROLLING_3,
    WindowKind.ROLLING_12,
    WindowKind.FYTD,
    WindowKind.QUARTER,
    WindowKind.FINANCIAL_YEAR,
)
COEFFICIENTS = (1.0, 1.0, -1.0, 2.0, 0.5, 1000.0)


@dataclass(frozen=True)
class Derived:
    id: str
    kind: str  # count, proportion or mean
    numerator: tuple[tuple[float, str], ...]
    denominator: tuple[tuple[float, str], ...] | None

    def text(self) -> str:
        def linear(terms: tuple[tuple[float, str], ...]) -> str:
            return " + ".join(f"{k!r} * {m}" for k, m in terms)

        if self.denominator is None:
            return linear(self.numerator)
        return f"({linear(self.numerator)}) / ({linear(self.denominator)})"


@st.composite
def terms(draw: st.DrawFn, measures: tuple[str, ...], positive: bool = False):
    chosen = draw(st.lists(st.sampled_from(measures), min_size=1, max_size=3, unique=True))
    pick = st.sampled_from([k for k in COEFFICIENTS if k > 0] if positive else COEFFICIENTS)
    return tuple((draw(pick), m) for m in chosen)


@st.composite
def projects(draw: st.DrawFn):
    measures = MEASURES[: draw(st.integers(2, len(MEASURES)))]
    orgs = ORGS[: draw(st.integers(1, len(ORGS)))]
    rows = []
    for org in orgs:
        for mid in measures:
            # mostly present, so that long windows are complete often enough to be tested
            here = st.integers(0, 7).map(lambda x: x != 7)
            present = draw(st.lists(here, min_size=MONTHS, max_size=MONTHS))
            for i, here in enumerate(present):
                if here:
                    rows.append((org, mid, START + i, float(draw(st.integers(0, 40)))))
    derived = [
        Derived("d_sum", "count", draw(terms(measures)), None),
        Derived("d_share", "proportion", draw(terms(measures, True)), draw(terms(measures, True))),
        Derived("d_mean", "mean", draw(terms(measures)), draw(terms(measures, True))),
    ]
    # a derived measure of a derived one
    derived.append(Derived("d_of_d", "count", ((3.0, "d_sum"), *draw(terms(measures))), None))
    return measures, rows, derived


def monthly_parts(rows, measures, derived: list[Derived]) -> pd.DataFrame:
    """(org, m) x measure: the raw values, and each derived measure's numerator and
    denominator per month (NaN where a part is absent), in plain pandas."""
    raw = pd.DataFrame(rows, columns=["org", "measure", "m", "v"])
    wide = raw.pivot_table(index=["org", "m"], columns="measure", values="v", aggfunc="sum")
    orgs = sorted(raw["org"].unique())
    index = pd.MultiIndex.from_product([orgs, range(START, START + MONTHS)], names=["org", "m"])
    wide = wide.reindex(index=index, columns=list(measures))
    for d in derived:

        def linear(terms):
            cols = [wide[m] * k for k, m in terms]
            out = cols[0]
            for c in cols[1:]:
                out = out + c  # NaN (absent) wins
            return out

        num = linear(d.numerator)
        den = linear(d.denominator) if d.denominator is not None else num * 0
        absent = num.isna() | den.isna()
        wide[f"{d.id}:num"] = num.where(~absent)
        wide[f"{d.id}:den"] = den.where(~absent)
        wide[d.id] = wide[f"{d.id}:num"]  # what a later formula reads
    return wide


def fy_first(m: int) -> int:
    """The first month (April) of the financial year holding month ``m``."""
    return m - (m % 12 - 3) % 12


def span(kind: WindowKind, m: int) -> tuple[int, int] | None:
    if kind is WindowKind.MONTH:
        return m, m
    if kind is WindowKind.ROLLING_3:
        return m - 2, m
    if kind is WindowKind.ROLLING_12:
        return m - 11, m
    if kind is WindowKind.FYTD:
        return fy_first(m), m
    if kind is WindowKind.QUARTER:
        return (m - 2, m) if (m - fy_first(m)) % 3 == 2 else None
    return (m - 11, m) if m - fy_first(m) == 11 else None


def expected(nums: np.ndarray, dens: np.ndarray, d: Derived, first: int, last: int) -> float | None:
    """The window's figure from one organisation's monthly numerators and denominators."""
    if first < START:
        return None
    num, den = nums[first - START : last - START + 1], dens[first - START : last - START + 1]
    if np.isnan(num).any():
        return None
    n, dd = float(num.sum()), float(den.sum())
    if d.kind == "count":
        return n
    if dd == 0:
        return None
    return 100.0 * n / dd if d.kind == "proportion" else n / dd


@settings(max_examples=20, deadline=None)
@given(projects())
def test_every_window_of_a_derived_measure_equals_a_pandas_computation(case) -> None:
    measures, rows, derived = case
    catalogue_rows = [{"id": m, "title": m, "kind": "count"} for m in measures]
    catalogue_rows += [
        {"id": d.id, "title": d.id, "kind": d.kind, "formula": d.text()} for d in derived
    ]
    with tempfile.TemporaryDirectory() as tmp:
        cat = project(Path(tmp), catalogue_rows)
    table = obs(
        {
            "org": org,
            "measure": mid,
            "period_end": f"{m // 12:04d}-{m % 12 + 1:02d}",
            "numerator": v,
        }
        for org, mid, m, v in rows
    )
    request = EngineRequest(frozenset(cat.measures), cat.fy_start_month)
    ev = Evaluator(cat, Observations(with_records(table, None, cat)).engine_data(request))
    wide = monthly_parts(rows, measures, derived)
    orgs = sorted({r[0] for r in rows})
    checked = 0
    for d in derived:
        for org in orgs:
            series = wide.loc[org]
            nums = series[f"{d.id}:num"].to_numpy(dtype=float)
            dens = series[f"{d.id}:den"].to_numpy(dtype=float)
            for m in range(START, START + MONTHS):
                for kind in KINDS:
                    window = window_ending(kind, m, 4)
                    want_span = span(kind, m)
                    assert (window is None) == (want_span is None)
                    if window is None or want_span is None:
                        continue
                    assert (window.first, window.last) == want_span
                    want = expected(nums, dens, d, *want_span)
                    got = ev.evaluate(d.id, org, window)
                    where = (d.text(), d.kind, org, m, kind)
                    if want is None:
                        assert got is None, where
                    else:
                        assert got is not None, where
                        assert got.value == pytest.approx(want, rel=1e-9, abs=1e-9), where
                        checked += 1
    assert checked > 0  # every project has complete months: some figures are compared
