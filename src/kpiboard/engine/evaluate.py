"""The value of a measure for one organisation over one window, by measure kind.

A window ending at month *m* is taken from monthly data when every month of it is present,
otherwise from a recorded observation covering exactly that window (``months`` = its length,
``period_end`` = *m*), otherwise from observations that tile it exactly: non-overlapping,
together covering every month of it once (four quarters make a financial year; see ``tile``).
Proportions are always sum(numerator) / sum(denominator), never an average of monthly rates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import Measure
from kpiboard.enginedata import EngineData, MonthSums, Recorded, WindowSums
from kpiboard.periods import Window, span_label, window_ending
from kpiboard.vocabulary import MeasureKind, WindowKind

LOOKBACK_MONTHS = 120  # how far back "the latest period with data" is sought


def sums_over(row: MonthSums, kind: WindowKind) -> WindowSums:
    """The sums of the window of ``kind`` ending at the row's month: a quarter is the 3 months
    and a financial year the 12 months ending at its last month."""
    match kind:
        case WindowKind.MONTH:
            return row.month
        case WindowKind.ROLLING_3 | WindowKind.QUARTER:
            return row.rolling_3
        case WindowKind.ROLLING_12 | WindowKind.FINANCIAL_YEAR:
            return row.rolling_12
        case WindowKind.FYTD:
            return row.fytd
    raise AssertionError(kind)  # pragma: no cover


@dataclass(frozen=True)
class Value:
    """A measure's figure over a window. ``value`` is in the measure's unit (percentages for
    proportions); ``numerator``/``denominator`` are the pooled sums behind it."""

    value: float
    window: Window
    numerator: float | None = None
    denominator: float | None = None
    sample_size: float | None = None  # survey respondents, for margins of error
    provisional: bool = False
    parts: tuple[Value, ...] = ()  # operands of a difference or ratio
    ratio: float | None = None  # for ratio measures: share / reference share
    months: int | None = None  # months the source observation covers (snapshots)


@dataclass(frozen=True)
class Piece:
    """One observation inside a window, with the effective figures of ``enginedata.py``:
    ``amt`` (numerator, else value), ``pnum``/``pden`` (a proportion's numerator and
    denominator, value% x sample_size of sample_size when only those are given), ``val`` (the
    value) and ``ss`` (sample size, else denominator)."""

    first: int
    last: int
    monthly: bool  # a plain monthly row (``months`` = 1)
    amt: float | None
    pnum: float | None
    pden: float | None
    val: float | None
    ss: float | None
    provisional: bool

    @property
    def months(self) -> int:
        return self.last - self.first + 1


def tile(first: int, last: int, pieces: Iterable[Piece]) -> list[Piece] | None:
    """Non-overlapping pieces covering every month of ``first..last`` exactly once, or None
    when none do. Among several such tilings the one using monthly rows for the most months
    wins, then the one with the fewest pieces (then the first found), so the choice never
    depends on the numbers.

    >>> q = [Piece(e - 2, e, False, 1.0, None, None, None, None, False) for e in (2, 5, 8, 11)]
    >>> [p.last for p in tile(0, 11, q) or []]
    [2, 5, 8, 11]
    >>> tile(0, 11, q[:3]) is None
    True
    """
    by_end: dict[int, list[Piece]] = {}
    for p in pieces:
        if first <= p.first <= p.last <= last:
            by_end.setdefault(p.last, []).append(p)
    # best[e]: the best tiling of first..e, with its score (monthly months, -pieces)
    best: dict[int, tuple[tuple[int, int], list[Piece]]] = {first - 1: ((0, 0), [])}
    for end in range(first, last + 1):
        for p in by_end.get(end, []):
            prev = best.get(p.first - 1)
            if prev is None:
                continue
            (monthly, neg_pieces), chosen = prev
            score = (monthly + (p.months if p.monthly else 0), neg_pieces - 1)
            if end not in best or score > best[end][0]:
                best[end] = (score, [*chosen, p])
    found = best.get(last)
    return found[1] if found else None


class Evaluator:
    """Evaluates measures over windows from EngineData. Pure: no I/O."""

    def __init__(self, catalogue: Catalogue, data: EngineData) -> None:
        self.cat = catalogue
        self.data = data
        self.fy = catalogue.fy_start_month

    # -- public -----------------------------------------------------------------------------
    def measure(self, mid: str) -> Measure:
        return self.cat.measures[mid]

    def window(self, kind: WindowKind, end: int) -> Window | None:
        return window_ending(kind, end, self.fy)

    def evaluate(self, mid: str, org: str, window: Window) -> Value | None:
        """The measure's value for ``org`` over ``window``; None if the data do not cover it."""
        m = self.measure(mid)
        match m.kind:
            case MeasureKind.COUNT | MeasureKind.MEAN | MeasureKind.PROPORTION:
                return self._summed(m, org, window)
            case MeasureKind.PER_POPULATION:
                base = self._summed(m, org, window)
                pop = self.population(m, org, window.last)
                if base is None or pop is None or pop <= 0:
                    return None
                return Value(
                    base.value / pop * (m.per or 1000.0),
                    window,
                    base.value,
                    pop,
                    provisional=base.provisional,
                )
            case MeasureKind.SNAPSHOT:
                return self.snapshot(mid, org, window.last, window)
            case MeasureKind.COMPOSITE:
                parts = [self.evaluate(c.id, org, window) for c in self.cat.children_of(mid)]
                if not parts or any(p is None for p in parts):
                    return None
                got = [p for p in parts if p is not None]
                return Value(
                    sum(p.value for p in got),
                    window,
                    sum(p.value for p in got),
                    provisional=any(p.provisional for p in got),
                    parts=tuple(got),
                )
            case MeasureKind.DIFFERENCE | MeasureKind.RATIO:
                return self._combined(m, org, window)
        raise AssertionError(m.kind)  # pragma: no cover

    def latest(
        self, mid: str, org: str, as_of: int, kind: WindowKind | None = None
    ) -> Value | None:
        """The latest window of the measure's kind ending at or before ``as_of`` with data."""
        kind = kind or self.measure(mid).window
        candidates = self._candidate_months(mid, org)
        for end in sorted((c for c in candidates if c <= as_of), reverse=True)[:LOOKBACK_MONTHS]:
            win = self.window(kind, end)
            if win is None:
                continue
            value = self.evaluate(mid, org, win)
            if value is not None:
                return value
        return None

    def population(self, m: Measure, org: str, at: int) -> float | None:
        """Resident population: the latest estimate at or before month ``at``."""
        pop_id = m.population or self.cat.project.population
        if pop_id is None:
            return None
        snap = self.snapshot(pop_id, org, at, None)
        return snap.value if snap is not None else None

    def snapshot(self, mid: str, org: str, at: int, window: Window | None) -> Value | None:
        """The latest observation at or before ``at`` (within ``window`` when given)."""
        best: tuple[int, Value] | None = None
        for m, row in self.data.series(org, mid).items():
            if m <= at and (window is None or m >= window.first) and (best is None or m > best[0]):
                sums = row.month
                if sums.amt is not None:
                    w = Window(WindowKind.MONTH, m, m)
                    best = (
                        m,
                        Value(sums.amt, w, sums.pnum, sums.pden, provisional=sums.prov, months=1),
                    )
        for rec in self.data.recorded_for(org, mid):
            if (
                rec.end <= at
                and (window is None or rec.end >= window.first)
                and (best is None or rec.end > best[0])
                and rec.amt is not None
            ):
                kind = (
                    WindowKind.QUARTER
                    if rec.months == 3
                    else (WindowKind.MONTH if rec.months == 1 else WindowKind.ROLLING_12)
                )
                w = Window(kind, rec.end - rec.months + 1, rec.end)
                value = rec.value if rec.value is not None else rec.amt
                best = (
                    rec.end,
                    Value(
                        value,
                        w,
                        rec.numerator,
                        rec.denominator,
                        rec.sample_size,
                        rec.provisional,
                        months=rec.months,
                    ),
                )
        return best[1] if best else None

    def monthly_amount(self, mid: str, org: str, m: int) -> float | None:
        row = self.data.window_row(org, mid, m)
        return None if row is None else row.month.amt

    # -- internals --------------------------------------------------------------------------
    def figure_months(self, mid: str, org: str) -> list[int]:
        """The months a figure of the measure may end in (its or its parts' data), ascending."""
        return sorted(self._candidate_months(mid, org))

    def _candidate_months(self, mid: str, org: str) -> set[int]:
        """Months at which a window of the measure may end: those with its (or its parts') data."""
        m = self.measure(mid)
        if m.kind is MeasureKind.COMPOSITE:
            kids = self.cat.children_of(mid)
            return set.union(*(self._candidate_months(k.id, org) for k in kids)) if kids else set()
        if m.kind in (MeasureKind.DIFFERENCE, MeasureKind.RATIO):
            return self._candidate_months((m.of or [""])[0], org)
        return self.data.months_with_data(org, mid)

    def _summed(self, m: Measure, org: str, window: Window) -> Value | None:
        row = self.data.window_row(org, m.id, window.last)
        if row is not None:
            sums = sums_over(row, window.kind)
            if sums.n == window.length:
                return self._from_sums(m, window, sums)
        for rec in self.data.recorded_for(org, m.id):
            if rec.end == window.last and rec.months == window.length:
                return self._from_recorded(m, window, rec)
        tiling = tile(window.first, window.last, self.pieces(m.id, org, window))
        return None if tiling is None else self._from_pieces(m, window, tiling)

    def pieces(self, mid: str, org: str, window: Window) -> list[Piece]:
        """Every observation of the measure lying wholly inside ``window``: monthly rows and
        recorded observations of more months (which may overlap one another)."""
        out = []
        for mm, row in sorted(self.data.series(org, mid).items()):
            if window.first <= mm <= window.last:
                s = row.month
                out.append(Piece(mm, mm, True, s.amt, s.pnum, s.pden, s.val, s.ss, s.prov))
        for rec in self.data.recorded_for(org, mid):
            start = rec.end - rec.months + 1
            if window.first <= start and rec.end <= window.last:
                n = rec.sample_size
                pnum = (
                    rec.numerator
                    if rec.numerator is not None
                    else (
                        rec.value / 100.0 * n if rec.value is not None and n is not None else None
                    )
                )
                pden = rec.denominator if rec.denominator is not None else n
                ss = n if n is not None else rec.denominator
                out.append(
                    Piece(
                        start,
                        rec.end,
                        rec.months == 1,
                        rec.amt,
                        pnum,
                        pden,
                        rec.value,
                        ss,
                        rec.provisional,
                    )
                )
        return out

    def coverage_gap(self, mid: str, org: str, window: Window) -> str | None:
        """Why the measure's observations do not tile ``window`` (None when they do): the
        months no observation covers, or that those covering them overlap."""
        pieces = self.pieces(mid, org, window)
        if tile(window.first, window.last, pieces) is not None:
            return None
        covered = {mm for p in pieces for mm in range(p.first, p.last + 1)}
        missing = [mm for mm in range(window.first, window.last + 1) if mm not in covered]
        if missing:
            runs: list[list[int]] = []
            for mm in missing:
                if runs and runs[-1][-1] == mm - 1:
                    runs[-1].append(mm)
                else:
                    runs.append([mm])
            spans = ", ".join(span_label(r[0], r[-1]) for r in runs)
            return f"no data for {spans}"
        return "its observations overlap and no set of them covers each month exactly once"

    def zero_denominator(self, mid: str, org: str, window: Window) -> str | None:
        """Why a ratio (a proportion or a mean of a numerator over a denominator) has no
        figure over ``window`` when its observations cover it but their denominators sum to
        0 ("the denominator (crimes) is 0 over Apr - Jun 2017"); None otherwise."""
        m = self.measure(mid)
        if m.kind not in (MeasureKind.PROPORTION, MeasureKind.MEAN):
            return None
        den: float | None = None
        row = self.data.window_row(org, mid, window.last)
        sums = None if row is None else sums_over(row, window.kind)
        if sums is not None and sums.n == window.length:
            den = sums.pden
        else:
            tiling = tile(window.first, window.last, self.pieces(mid, org, window))
            if tiling is not None and all(p.pden is not None for p in tiling):
                den = sum(p.pden or 0.0 for p in tiling)
        if den is None or den != 0:
            return None
        formula = m.derived
        what = (
            " + ".join(t.measure for t in formula.denominator)
            if formula is not None and formula.denominator is not None
            else None
        )
        named = f"the denominator ({what})" if what else "the denominator"
        return f"{named} is 0 over {span_label(window.first, window.last)}"

    def _from_sums(self, m: Measure, window: Window, sums: WindowSums) -> Value | None:
        prov = sums.prov
        amt, pnum, pden = sums.amt, sums.pnum, sums.pden
        if m.kind is MeasureKind.PROPORTION:
            if pnum is None or not pden:
                return None
            return Value(100.0 * pnum / pden, window, pnum, pden, sums.ss or pden, prov)
        if m.kind is MeasureKind.MEAN:
            if pden and sums.val is None and amt is not None:
                return Value(amt / pden, window, amt, pden, provisional=prov)
            val = sums.val
            return None if val is None else Value(val / window.length, window, provisional=prov)
        return None if amt is None else Value(amt, window, amt, provisional=prov)

    def _from_pieces(self, m: Measure, window: Window, pieces: list[Piece]) -> Value | None:
        """The window's figure from a tiling: the sums of its pieces' figures, by kind as for
        monthly rows (a proportion pooled, a mean of values weighted by the months each
        covers). None when a piece lacks the figure the kind needs."""
        prov = any(p.provisional for p in pieces)
        if m.kind is MeasureKind.PROPORTION:
            if any(p.pnum is None or p.pden is None for p in pieces):
                return None
            pnum = sum(p.pnum or 0.0 for p in pieces)
            pden = sum(p.pden or 0.0 for p in pieces)
            if not pden:
                return None
            ss = sum(p.ss or 0.0 for p in pieces) if all(p.ss is not None for p in pieces) else pden
            return Value(100.0 * pnum / pden, window, pnum, pden, ss or pden, prov)
        if m.kind is MeasureKind.MEAN:
            if all(p.amt is not None and p.pden and p.val is None for p in pieces):
                num = sum(p.amt or 0.0 for p in pieces)
                den = sum(p.pden or 0.0 for p in pieces)
                return Value(num / den, window, num, den, provisional=prov)
            if any(p.val is None for p in pieces):
                return None
            total = sum((p.val or 0.0) * p.months for p in pieces)
            return Value(total / window.length, window, provisional=prov)
        if any(p.amt is None for p in pieces):
            return None
        amt = sum(p.amt or 0.0 for p in pieces)
        return Value(amt, window, amt, provisional=prov)

    def _from_recorded(self, m: Measure, window: Window, rec: Recorded) -> Value | None:
        if m.kind is MeasureKind.PROPORTION:
            if rec.numerator is not None and rec.denominator:
                p = 100.0 * rec.numerator / rec.denominator
                return Value(
                    p,
                    window,
                    rec.numerator,
                    rec.denominator,
                    rec.sample_size or rec.denominator,
                    rec.provisional,
                )
            if rec.value is None:
                return None
            n = rec.sample_size
            num = rec.value / 100.0 * n if n else None
            return Value(rec.value, window, num, n, n, rec.provisional)
        if m.kind is MeasureKind.MEAN:
            if rec.numerator is not None and rec.denominator:
                return Value(
                    rec.numerator / rec.denominator,
                    window,
                    rec.numerator,
                    rec.denominator,
                    provisional=rec.provisional,
                )
            return (
                None if rec.value is None else Value(rec.value, window, provisional=rec.provisional)
            )
        return (
            None
            if rec.amt is None
            else Value(rec.amt, window, rec.amt, provisional=rec.provisional)
        )

    def _combined(self, m: Measure, org: str, window: Window) -> Value | None:
        first_id, second_id = m.of or ["", ""]
        a = self.evaluate(first_id, org, window)
        second = self.measure(second_id)
        b = (
            self.snapshot(second_id, org, window.last, None)
            if second.kind is MeasureKind.SNAPSHOT
            else self.evaluate(second_id, org, window)
        )
        if a is None or b is None:
            return None
        prov = a.provisional or b.provisional
        if m.kind is MeasureKind.DIFFERENCE:
            return Value(a.value - b.value, window, provisional=prov, parts=(a, b))
        if b.value == 0:
            return None
        # a ratio reports the first share as its figure, and share / reference as the ratio
        return Value(
            a.value,
            window,
            a.numerator,
            a.denominator,
            a.sample_size,
            prov,
            parts=(a, b),
            ratio=a.value / b.value,
        )
