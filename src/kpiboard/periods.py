"""Months, financial years, quarters and windows.

A month is an integer index ``year * 12 + (month - 1)`` so that arithmetic is plain integer
arithmetic (``m - 12`` is the same month a year earlier). Financial years start in April by
default and are labelled ``2009/10``; quarters are financial quarters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpiboard.errors import KpiboardError
from kpiboard.vocabulary import WindowKind

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAME = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def month_index(year: int, month: int) -> int:
    """The month's index: year * 12 + month - 1, so that months subtract.

    >>> month_index(2009, 8) - month_index(2008, 8)
    12
    """
    return year * 12 + (month - 1)


def parse_month(text: str) -> int:
    """Parse ``YYYY-MM`` into a month index; raise KpiboardError on anything else."""
    m = _MONTH_RE.match(str(text).strip())
    if not m:
        raise KpiboardError(
            f"{text!r} is not a month", hint="write months as YYYY-MM, e.g. 2009-08"
        )
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise KpiboardError(f"{text!r} has no month {month}", hint="months run 01 to 12")
    return month_index(year, month)


def year_of(m: int) -> int:
    return m // 12


def month_of(m: int) -> int:
    """Calendar month 1..12."""
    return m % 12 + 1


def format_month(m: int) -> str:
    """``2009-08``."""
    return f"{year_of(m):04d}-{month_of(m):02d}"


def short_month(m: int) -> str:
    """``Aug-09`` as in board packs."""
    return f"{MONTH_ABBR[month_of(m) - 1]}-{year_of(m) % 100:02d}"


def fy_start(m: int, start_month: int = 4) -> int:
    """The first month of the financial year containing month ``m``."""
    offset = (month_of(m) - start_month) % 12
    return m - offset


def fy_label(m: int, start_month: int = 4) -> str:
    """``2009/10`` for any month of the financial year starting April 2009.

    A year starting in January is labelled by its single calendar year (``2009``).
    """
    start = fy_start(m, start_month)
    y = year_of(start)
    if start_month == 1:
        return f"{y}"
    return f"{y}/{(y + 1) % 100:02d}"


def parse_fy(label: str, start_month: int = 4) -> int:
    """Parse ``2009/10`` (or ``2009``) into the index of the year's first month."""
    text = str(label).strip()
    m = re.match(r"^(\d{4})(?:/(\d{2}|\d{4}))?$", text)
    if not m:
        raise KpiboardError(f"{label!r} is not a financial year", hint="write it as 2009/10")
    y = int(m.group(1))
    if m.group(2) is not None:
        nxt = int(m.group(2))
        if (nxt % 100) != (y + 1) % 100:
            raise KpiboardError(
                f"{label!r} is not a financial year", hint=f"did you mean {y}/{(y + 1) % 100:02d}?"
            )
    return month_index(y, start_month)


def fy_quarter(m: int, start_month: int = 4) -> int:
    """Financial quarter 1..4 of month ``m``."""
    return (m - fy_start(m, start_month)) // 3 + 1


def span_label(first: int, last: int) -> str:
    """``Apr - Aug 2009``, ``Sep-08 - Aug-09``, or ``Aug-09`` for one month."""
    if first == last:
        return short_month(last)
    if year_of(first) == year_of(last):
        return (
            f"{MONTH_ABBR[month_of(first) - 1]} - {MONTH_ABBR[month_of(last) - 1]} {year_of(last)}"
        )
    return f"{short_month(first)} - {short_month(last)}"


@dataclass(frozen=True)
class Window:
    """A concrete span of months ``first..last`` (inclusive) of a given kind."""

    kind: WindowKind
    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def shifted(self, months: int) -> Window:
        return Window(self.kind, self.first + months, self.last + months)

    def label(self, start_month: int = 4) -> str:
        """Words a board member reads: ``12 months to Jun-09``, ``Apr - Aug 2009``, ``2008/09``."""
        match self.kind:
            case WindowKind.MONTH:
                return short_month(self.last)
            case WindowKind.ROLLING_3 | WindowKind.ROLLING_12:
                return f"{self.length} months to {short_month(self.last)}"
            case WindowKind.QUARTER:
                return f"Q{fy_quarter(self.last, start_month)} {fy_label(self.last, start_month)}"
            case WindowKind.FYTD:
                return span_label(self.first, self.last)
            case WindowKind.FINANCIAL_YEAR:
                return fy_label(self.last, start_month)
        raise AssertionError(self.kind)  # pragma: no cover


def window_ending(kind: WindowKind, end: int, start_month: int = 4) -> Window | None:
    """The window of ``kind`` ending at month ``end``; None where the kind cannot end there
    (a quarter ends only at a quarter's last month, a financial year only at its last month)."""
    match kind:
        case WindowKind.MONTH:
            return Window(kind, end, end)
        case WindowKind.ROLLING_3:
            return Window(kind, end - 2, end)
        case WindowKind.ROLLING_12:
            return Window(kind, end - 11, end)
        case WindowKind.FYTD:
            return Window(kind, fy_start(end, start_month), end)
        case WindowKind.QUARTER:
            if (end - fy_start(end, start_month)) % 3 != 2:
                return None
            return Window(kind, end - 2, end)
        case WindowKind.FINANCIAL_YEAR:
            if end - fy_start(end, start_month) != 11:
                return None
            return Window(kind, end - 11, end)
    raise AssertionError(kind)  # pragma: no cover
