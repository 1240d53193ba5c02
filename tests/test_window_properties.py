"""Window sums and window values against naive Python, on generated data (hypothesis).

* The warehouse's window sums, run by a real DuckDB (one in-memory connection for the whole
  module): the month, rolling 3 and 12 months and the financial year to date for any
  financial-year start, the months present ``n`` and the provisional flags, over monthly
  series with gaps, for several organisations and measures; and the engine's fetch (home,
  peer measures, as-of month, history, baseline spans) against a naive filter of the same.
* The engine's value of a count over every kind of window, from monthly rows and recorded
  observations of several months (complete months first, then one observation of exactly the
  window, then a tiling), and whether the observations cover the window, against a naive
  enumeration of every tiling.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from obs import SCHEMA, project

from kpiboard.catalogue import Catalogue
from kpiboard.engine.evaluate import Evaluator
from kpiboard.enginedata import (
    BaselineSpan,
    EngineData,
    EngineRequest,
    MonthSums,
    Recorded,
    WindowSums,
)
from kpiboard.periods import WindowKind, window_ending
from kpiboard.warehouse import Observations
from kpiboard.warehouse.engine_fetch import month_sums
from kpiboard.warehouse.windows import window_table

FAST = settings(max_examples=40, deadline=None)
SLOW = settings(max_examples=8, deadline=None)  # each example compiles the fetch's queries
START = 2008 * 12  # Jan 2008
ORGS = ("A", "B", "C")
MEASURES = ("x", "y")


# -- generated observations -------------------------------------------------------------------


@dataclass(frozen=True)
class Obs:
    org: str
    measure: str
    m: int
    months: int
    numerator: float | None
    denominator: float | None
    value: float | None
    sample_size: float | None
    provisional: bool | None


def _maybe(strategy: st.SearchStrategy[float]) -> st.SearchStrategy[float | None]:
    return st.one_of(st.none(), strategy)


_counts = st.integers(0, 1000).map(float)
_percent = st.integers(0, 1000).map(lambda x: x / 10)


@st.composite
def monthly_series(draw: st.DrawFn, org: str, measure: str) -> list[Obs]:
    """Monthly rows of one org x measure over up to 40 months, with gaps."""
    start = START + draw(st.integers(0, 23))
    present = draw(st.lists(st.booleans(), max_size=40))
    out = []
    for i, here in enumerate(present):
        if here:
            out.append(
                Obs(
                    org,
                    measure,
                    start + i,
                    1,
                    draw(_maybe(_counts)),
                    draw(_maybe(_counts)),
                    draw(_maybe(_percent)),
                    draw(_maybe(_counts)),
                    draw(st.one_of(st.none(), st.booleans())),
                )
            )
    return out


@st.composite
def recorded_rows(draw: st.DrawFn, org: str, measure: str) -> list[Obs]:
    """Observations of several months (at most one per end month and length, as loaded)."""
    keys = draw(
        st.lists(
            st.tuples(st.integers(START, START + 60), st.sampled_from([2, 3, 12])),
            max_size=4,
            unique=True,
        )
    )
    return [
        Obs(org, measure, end, months, draw(_maybe(_counts)), None, None, None, draw(st.booleans()))
        for end, months in keys
    ]


@st.composite
def observations(draw: st.DrawFn, recorded: bool = False) -> list[Obs]:
    orgs = ORGS[: draw(st.integers(1, len(ORGS)))]
    measures = MEASURES[: draw(st.integers(1, len(MEASURES)))]
    rows: list[Obs] = []
    for org in orgs:
        for measure in measures:
            rows += draw(monthly_series(org, measure))
            if recorded:
                rows += draw(recorded_rows(org, measure))
    return rows


def arrow(rows: list[Obs]) -> pa.Table:
    def date(m: int) -> datetime.date:
        return datetime.date(m // 12, m % 12 + 1, 1)

    return pa.table(
        {
            "org": [r.org for r in rows],
            "measure": [r.measure for r in rows],
            "period_end": [date(r.m) for r in rows],
            "months": [r.months for r in rows],
            "numerator": [r.numerator for r in rows],
            "denominator": [r.denominator for r in rows],
            "value": [r.value for r in rows],
            "sample_size": [r.sample_size for r in rows],
            "provisional": [r.provisional for r in rows],
            "note": [None] * len(rows),
            "source": [None] * len(rows),
        },
        schema=SCHEMA,
    )


# -- one DuckDB for the module ----------------------------------------------------------------


class Duck:
    """An in-memory DuckDB holding one observations table whose rows each example replaces;
    the window query is compiled once per financial-year start."""

    def __init__(self) -> None:
        self.con = ibis.duckdb.connect()
        self.con.create_table("obs", schema=ibis.schema(SCHEMA), overwrite=True)
        self.table = self.con.table("obs")
        self._sql: dict[int, str] = {}

    def replace(self, rows: list[Obs]) -> None:
        raw = self.con.con
        raw.execute("DELETE FROM obs")
        raw.register("incoming", arrow(rows))
        raw.execute("INSERT INTO obs SELECT * FROM incoming")
        raw.unregister("incoming")

    def window_sums(self, fy_start: int) -> dict[tuple[str, str], dict[int, MonthSums]]:
        if fy_start not in self._sql:
            expr = window_table(self.table, fy_start, comparator=False)
            self._sql[fy_start] = str(ibis.to_sql(expr, dialect="duckdb"))
        return month_sums(self.con.con.sql(self._sql[fy_start]).to_arrow_table())


@pytest.fixture(scope="module")
def duck() -> Iterator[Duck]:
    d = Duck()
    yield d
    d.con.disconnect()


# -- the naive window sums --------------------------------------------------------------------


def _sum(xs: list[float | None]) -> float | None:
    got = [x for x in xs if x is not None]
    return sum(got) if got else None  # SQL's SUM: nulls ignored, null when all are


def _effective(r: Obs) -> tuple[float | None, ...]:
    pct = r.value / 100.0 if r.value is not None else None
    amt = r.numerator if r.numerator is not None else r.value
    pnum = r.numerator
    if pnum is None and pct is not None and r.sample_size is not None:
        pnum = pct * r.sample_size
    pden = r.denominator if r.denominator is not None else r.sample_size
    ss = r.sample_size if r.sample_size is not None else r.denominator
    return amt, pnum, pden, r.value, ss


def _sums(rows: list[Obs]) -> WindowSums:
    figures = [_effective(r) for r in rows]
    amt, pnum, pden, val, ss = (_sum([f[i] for f in figures]) for i in range(5))
    return WindowSums(amt, pnum, pden, val, ss, len(rows), any(bool(r.provisional) for r in rows))


def naive_window_sums(
    rows: list[Obs], fy_start: int
) -> dict[tuple[str, str], dict[int, MonthSums]]:
    monthly = [r for r in rows if r.months == 1]
    out: dict[tuple[str, str], dict[int, MonthSums]] = {}
    for r in monthly:
        series = {s.m: s for s in monthly if (s.org, s.measure) == (r.org, r.measure)}
        fy_first = r.m - (r.m - (fy_start - 1)) % 12

        def within(first: int, last: int, series: dict[int, Obs] = series) -> list[Obs]:
            return [series[m] for m in range(first, last + 1) if m in series]

        out.setdefault((r.org, r.measure), {})[r.m] = MonthSums(
            _sums([r]),
            _sums(within(r.m - 2, r.m)),
            _sums(within(r.m - 11, r.m)),
            _sums(within(fy_first, r.m)),
        )
    return out


def assert_same_sums(got: WindowSums, want: WindowSums) -> None:
    assert (got.n, got.prov) == (want.n, want.prov)
    for name in ("amt", "pnum", "pden", "val", "ss"):
        a, b = getattr(got, name), getattr(want, name)
        assert (a is None) == (b is None), name
        if a is not None and b is not None:
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (name, a, b)


def assert_same_windows(
    got: dict[tuple[str, str], dict[int, MonthSums]],
    want: dict[tuple[str, str], dict[int, MonthSums]],
) -> None:
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}
    for key, months in want.items():
        for m, sums in months.items():
            for g, w in zip(got[key][m], sums, strict=True):
                assert_same_sums(g, w)


@FAST
@given(observations(), st.integers(1, 12))
def test_window_sums_equal_naive_sums(duck: Duck, rows: list[Obs], fy_start: int) -> None:
    duck.replace(rows)
    assert_same_windows(duck.window_sums(fy_start), naive_window_sums(rows, fy_start))


@st.composite
def requests(draw: st.DrawFn) -> EngineRequest:
    measures = frozenset(draw(st.lists(st.sampled_from(MEASURES), min_size=1, unique=True)))
    as_of = draw(st.one_of(st.none(), st.integers(START, START + 70)))
    spans = draw(
        st.lists(
            st.tuples(st.sampled_from(MEASURES), st.integers(START, START + 40), st.integers(0, 12))
        )
    )
    return EngineRequest(
        measures=measures,
        fy_start_month=draw(st.integers(1, 12)),
        as_of=as_of,
        home=draw(st.one_of(st.none(), st.sampled_from(ORGS))),
        peer_measures=frozenset(draw(st.lists(st.sampled_from(MEASURES), unique=True))),
        spans=tuple(BaselineSpan(mid, first, first + length) for mid, first, length in spans),
        history_months=draw(st.one_of(st.none(), st.integers(0, 30))),
    )


def naive_fetch(rows: list[Obs], req: EngineRequest) -> EngineData:
    """The request's rows, filtered in Python; the windows summed over every month up to as_of
    before the history is cut."""
    kept = [
        r
        for r in rows
        if r.measure in req.measures
        and (req.home is None or r.org == req.home or r.measure in req.peer_measures)
        and (req.as_of is None or r.m <= req.as_of)
    ]
    windows = naive_window_sums(kept, req.fy_start_month)
    if req.as_of is not None and req.history_months is not None:
        history = req.history_months
        for (org, measure), series in windows.items():
            last = max(series)
            windows[(org, measure)] = {
                m: s
                for m, s in series.items()
                if m >= last - history
                or any(sp.measure == measure and sp.first <= m <= sp.last for sp in req.spans)
            }
    recorded: dict[tuple[str, str], list[Recorded]] = {}
    for r in kept:
        if r.months != 1:
            amt = r.numerator if r.numerator is not None else r.value
            recorded.setdefault((r.org, r.measure), []).append(
                Recorded(
                    r.org,
                    r.measure,
                    r.m,
                    r.months,
                    amt,
                    r.numerator,
                    r.denominator,
                    r.value,
                    r.sample_size,
                    bool(r.provisional),
                    None,
                )
            )
    return EngineData(windows, recorded)


@SLOW
@given(observations(recorded=True), requests())
def test_the_engines_fetch_equals_a_naive_filter(
    duck: Duck, rows: list[Obs], req: EngineRequest
) -> None:
    duck.replace(rows)
    got = Observations(duck.table).engine_data(req)
    want = naive_fetch(rows, req)
    assert_same_windows(dict(got.windows), dict(want.windows))
    assert {k: sorted(v, key=lambda r: (r.end, r.months)) for k, v in got.recorded.items()} == {
        k: sorted(v, key=lambda r: (r.end, r.months)) for k, v in want.recorded.items()
    }
    for recs in got.recorded.values():
        assert [r.end for r in recs] == sorted(r.end for r in recs)


# -- the engine's value of a window, against every tiling -------------------------------------


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Catalogue]:
    """A count measure ``x``, with the financial year starting in January, April or October."""
    out = {}
    for fy_start in (1, 4, 10):
        tmp: Path = tmp_path_factory.mktemp(f"fy{fy_start}")
        measures = [{"id": "x", "title": "X", "kind": "count"}]
        out[fy_start] = project(tmp, measures, financial_year_start=fy_start)
    return out


@dataclass(frozen=True)
class Piece:
    first: int
    last: int
    monthly: bool
    amt: float
    provisional: bool


def tilings(first: int, last: int, pieces: list[Piece]) -> Iterator[list[Piece]]:
    """Every set of pieces covering first..last, each month exactly once."""
    if first > last:
        yield []
        return
    for p in pieces:
        if p.first == first and p.last <= last:
            for rest in tilings(p.last + 1, last, pieces):
                yield [p, *rest]


def naive_value(rows: list[Obs], first: int, last: int) -> set[tuple[float, bool]] | None:
    """The possible (value, provisional) of a count over first..last, by the rules of
    ENGINE.md: complete months, else one observation of exactly the window, else the best
    tilings (most months from monthly rows, then fewest pieces). None when there is none."""
    monthly = {r.m: r for r in rows if r.months == 1}
    if all(m in monthly for m in range(first, last + 1)):
        got = [monthly[m] for m in range(first, last + 1)]
        return {(sum(r.numerator or 0.0 for r in got), any(bool(r.provisional) for r in got))}
    for r in rows:
        if r.months != 1 and r.m == last and r.months == last - first + 1:
            return {(r.numerator or 0.0, bool(r.provisional))}
    pieces = [
        Piece(r.m - r.months + 1, r.m, r.months == 1, r.numerator or 0.0, bool(r.provisional))
        for r in rows
        if first <= r.m - r.months + 1 and r.m <= last
    ]
    found = list(tilings(first, last, pieces))
    if not found:
        return None

    def score(t: list[Piece]) -> tuple[int, int]:
        return (sum(p.last - p.first + 1 for p in t if p.monthly), -len(t))

    best = max(score(t) for t in found)
    return {
        (sum(p.amt for p in t), any(p.provisional for p in t)) for t in found if score(t) == best
    }


@st.composite
def count_rows(draw: st.DrawFn) -> list[Obs]:
    """One organisation's count: monthly rows with gaps and recorded windows, every figure
    given (a missing figure is not what is tested here)."""
    start = START + draw(st.integers(0, 11))
    present = draw(st.lists(st.integers(0, 9).map(lambda x: x < 7), min_size=12, max_size=36))
    rows = [
        Obs("A", "x", start + i, 1, float(draw(st.integers(0, 500))), None, None, None, p)
        for i, here in enumerate(present)
        if here
        for p in [draw(st.booleans())]
    ]
    # most ends on a quarter's end (for financial years starting in January, April or
    # October alike), so that quarters tile years and compete with monthly rows
    quarter_end = st.integers(0, 13).map(lambda k: START + 3 * k + 2)
    keys = draw(
        st.lists(
            st.tuples(
                st.one_of(quarter_end, quarter_end, st.integers(START, START + 48)),
                st.sampled_from([2, 3, 3, 3, 12]),
            ),
            min_size=2,
            max_size=12,
            unique=True,
        )
    )
    rows += [
        Obs("A", "x", end, months, float(draw(st.integers(0, 5000))), None, None, None, p)
        for end, months in keys
        for p in [draw(st.booleans())]
    ]
    return rows


@FAST
@given(count_rows(), st.sampled_from([1, 4, 10]))
def test_the_value_of_every_window_equals_the_naive_rules(
    catalogues: dict[int, Catalogue], rows: list[Obs], fy_start: int
) -> None:
    cat = catalogues[fy_start]
    ev = Evaluator(cat, naive_fetch(rows, EngineRequest(frozenset({"x"}), fy_start)))
    for end in range(START, START + 56):
        for kind in WindowKind:
            win = window_ending(kind, end, fy_start)
            if win is None:
                continue
            want = naive_value(rows, win.first, win.last)
            got = ev.evaluate("x", "A", win)
            if want is None:
                assert got is None, (win, got)
                assert ev.coverage_gap("x", "A", win) is not None
                continue
            assert got is not None, win
            assert (got.value, got.provisional) in want, (win, got, want)


@FAST
@given(count_rows())
def test_coverage_names_exactly_the_months_no_observation_covers(
    catalogues: dict[int, Catalogue], rows: list[Obs]
) -> None:
    ev = Evaluator(catalogues[4], naive_fetch(rows, EngineRequest(frozenset({"x"}), 4)))
    for end in range(START, START + 56, 5):
        win = window_ending(WindowKind.ROLLING_12, end, 4)
        assert win is not None
        pieces = [
            Piece(r.m - r.months + 1, r.m, r.months == 1, 0.0, False)
            for r in rows
            if win.first <= r.m - r.months + 1 and r.m <= win.last
        ]
        covered = {m for p in pieces for m in range(p.first, p.last + 1)}
        missing = [m for m in range(win.first, win.last + 1) if m not in covered]
        gap = ev.coverage_gap("x", "A", win)
        tiled = next(tilings(win.first, win.last, pieces), None) is not None
        assert (gap is None) == tiled
        if missing:
            assert gap is not None and gap.startswith("no data for ")
        elif gap is not None:
            assert gap.startswith("its observations overlap")
