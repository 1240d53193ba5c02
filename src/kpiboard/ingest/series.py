"""Reading one time series for ``kpiboard spc``: a CSV with the header ``date,value``.

Dates are ``YYYY-MM`` (a month) or ``YYYY-MM-DD``, one row per period, in order, each period
once. Every bad row is reported with its file:line and field. Nothing is interpolated: a
missing value is an error, and so is a missing period (a gap), unless new limits start right
after it (a rebase), because an XmR chart treats neighbouring rows as consecutive periods.

>>> parse_period("2009-08")
(datetime.date(2009, 8, 1), True)
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kpiboard.errors import Finding, KpiboardError, ValidationFailed

COLUMNS = ("date", "value")
HEADER_LINE = 1
MAX_FINDINGS = 20  # stop listing problems after this many: the file is plainly not a series
MISSING_WORDS = frozenset({"na", "n/a", "nan", "null", "none", "-", ".."})
DATE_HINT = "write dates as YYYY-MM-DD, or months as YYYY-MM"
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class SeriesInvalid(ValidationFailed):
    """A series file with problems; carries every finding (file:line field: message)."""

    def __init__(self, findings: list[Finding], source: str) -> None:
        errors = sum(f.level == "error" for f in findings)
        KpiboardError.__init__(
            self, f"{errors} problem(s) in the series {source}", hint="fix the rows listed above"
        )
        self.findings = findings


def parse_period(text: str) -> tuple[dt.date, bool]:
    """``YYYY-MM`` -> (its first day, True); ``YYYY-MM-DD`` -> (the date, False)."""
    m = _DATE_RE.match(text.strip())
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
        try:
            return dt.date(year, month, day), m.group(3) is None
        except ValueError as exc:
            raise KpiboardError(f"{text.strip()!r} is not a date: {exc}", hint=DATE_HINT) from None
    raise KpiboardError(f"{text.strip()!r} is not a date", hint=DATE_HINT)


def _month_number(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def _is_month_end(d: dt.date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


@dataclass(frozen=True, eq=False)
class Series:
    """A series read from a file: one entry per point, in date order."""

    source: str  # the file, as messages name it
    labels: tuple[str, ...]  # each period as output shows it (YYYY-MM or YYYY-MM-DD)
    dates: tuple[dt.date, ...]
    values: npt.NDArray[np.float64]
    lines: tuple[int, ...]  # the file line of each point

    @property
    def monthly(self) -> bool:
        """Months (or every date on the same day of its month, or every date a month end):
        periods are then compared by month, so 2020-04 and 2020-04-30 are the same period."""
        days = {d.day for d in self.dates}
        return (len(days) == 1 and min(days) <= 28) or all(_is_month_end(d) for d in self.dates)

    def _keys(self) -> list[int]:
        if self.monthly:
            return [_month_number(d) for d in self.dates]
        return [d.toordinal() for d in self.dates]

    def _key(self, d: dt.date) -> int:
        return _month_number(d) if self.monthly else d.toordinal()

    def _where(self, i: int) -> str:
        return f"{self.source}:{self.lines[i]}"

    def rebase_indices(self, rebase: Sequence[dt.date]) -> list[int]:
        """The positions that rebase dates start. A date before the first period or after the
        last has no effect (as in NHSRplotthedots); one inside the span must match a period
        (monthly series: its month), or it is an error naming the nearest periods."""
        keys = self._keys()
        out: list[int] = []
        for d in rebase:
            k = self._key(d)
            if k < keys[0] or k > keys[-1]:
                continue
            i = int(np.searchsorted(keys, k))
            if keys[i] != k:
                before, after = i - 1, i
                raise KpiboardError(
                    f"the rebase date {d.isoformat()} matches no period of the series; the nearest "
                    f"are {self.labels[before]} (line {self.lines[before]}) and "
                    f"{self.labels[after]} (line {self.lines[after]})",
                    field="--rebase",
                    where=self.source,
                    hint="rebase on a period the file has: the first period of the new limits",
                )
            out.append(i)
        return out

    def check_gaps(self, starts: Collection[int] = ()) -> None:
        """Raise SeriesInvalid naming every missing period, except a gap right before a group
        start (a rebase), where no moving range, run or trend crosses it."""
        keys = self._keys()
        if len(keys) < 2:
            return
        steps = np.diff(keys)
        step = int(steps.min())
        unit = "month" if self.monthly else "day"
        findings: list[Finding] = []
        for i in np.flatnonzero(steps != step) + 1:
            if i in starts:
                continue
            gap = int(steps[i - 1])
            if gap % step:
                problem = (
                    f"{self.labels[i]} is {gap} {unit}s after {self.labels[i - 1]} (line "
                    f"{self.lines[i - 1]}), but the series moves in steps of {step} {unit}(s)"
                )
            else:
                problem = (
                    f"{gap // step - 1} period(s) missing between {self.labels[i - 1]} "
                    f"(line {self.lines[i - 1]}) and {self.labels[i]}"
                )
            findings.append(
                Finding(
                    "error",
                    problem,
                    self.source,
                    self.lines[i],
                    "date",
                    "an XmR chart treats rows as consecutive periods and kpiboard never interpolates: "
                    "add the missing periods' values, or, if they cannot exist, start new limits "
                    f"after the gap with --rebase {self.labels[i]}",
                )
            )
        if findings:
            raise SeriesInvalid(findings, self.source)


def _value_problem(text: str) -> tuple[str, str] | None:
    if not text or text.lower() in MISSING_WORDS:
        return (
            "missing value",
            "give every period its value, as kpiboard never interpolates; "
            "leave a period out only if it has no figure at all, and rebase after it",
        )
    if not _NUMBER_RE.match(text):
        if text.lstrip("+-").lower() in {"inf", "infinity"}:
            return f"{text!r} is not a finite number", "values must be finite numbers"
        plain = text.replace(",", "").rstrip("%").strip()
        hint = (
            f"write {plain!r} (no thousands separators, units or %)"
            if _NUMBER_RE.match(plain)
            else "write a plain number such as 1234 or 77.3"
        )
        return f"{text!r} is not a number", hint
    if not math.isfinite(float(text)):
        return f"{text!r} is too large to be a number", "values must be finite numbers"
    return None


def read_series(path: Path) -> Series:
    """Read and check a ``date,value`` CSV (UTF-8, header required, any column order)."""
    source = str(path)
    rows = _rows(path, source)
    at = _columns(rows[0], source)
    points = _Points(source)
    for line, cells in enumerate(rows[1:], start=HEADER_LINE + 1):
        if len(points.findings) >= MAX_FINDINGS:
            break
        points.add(line, cells, at)
    return points.series()


def _rows(path: Path, source: str) -> list[list[str]]:
    """The file's rows, the header first; KpiboardError if it cannot be read or is empty."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise KpiboardError(
            f"{source}: no such file", hint="give the path of a date,value CSV"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KpiboardError(f"cannot read {source}: {exc}", hint="give a UTF-8 CSV file") from None
    if not rows:
        raise KpiboardError(
            "the file is empty", where=source, hint="the first line must be date,value"
        )
    return rows


def _columns(header_row: list[str], source: str) -> dict[str, int]:
    """The cell index of each of COLUMNS; KpiboardError unless the header is exactly those."""
    header = [c.strip().lower() for c in header_row]
    if sorted(header) != sorted(COLUMNS):
        raise KpiboardError(
            f"the header is {','.join(header_row)!r}, not date,value",
            where=f"{source}:{HEADER_LINE}",
            hint="the first line must name the two columns: date,value",
        )
    return {name: header.index(name) for name in COLUMNS}


@dataclass
class _Points:
    """The points of a series as its rows are read, and the problems of the rows."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    month_style: bool | None = None  # True: YYYY-MM months; False: YYYY-MM-DD dates

    def problem(self, line: int, column: str | None, message: str, hint: str) -> None:
        self.findings.append(Finding("error", message, self.source, line, column, hint))

    def add(self, line: int, cells: list[str], at: dict[str, int]) -> None:
        """One row: a point if its date and value are good and its date follows the last."""
        if not any(c.strip() for c in cells):
            return  # a blank line
        if len(cells) != len(COLUMNS):
            self.problem(
                line,
                None,
                f"{len(cells)} cells, not {len(COLUMNS)}",
                "each row is one date and one value; quote a value that contains a comma",
            )
            return
        date_text, value_text = cells[at["date"]].strip(), cells[at["value"]].strip()
        period = self._period(line, date_text)
        bad_value = _value_problem(value_text)
        if bad_value:
            self.problem(line, "value", *bad_value)
        if period is None or bad_value or not self._follows(line, date_text, period[0]):
            return
        when, is_month = period
        self.labels.append(date_text if is_month else when.isoformat())
        self.dates.append(when)
        self.values.append(float(value_text))
        self.lines.append(line)

    def _period(self, line: int, text: str) -> tuple[dt.date, bool] | None:
        """The row's date and whether it is a month; None (and a problem) if it is not a date,
        or is not written the way the series' first date was."""
        try:
            when, is_month = parse_period(text)
        except KpiboardError as exc:
            self.problem(line, "date", exc.message, exc.hint or DATE_HINT)
            return None
        if self.month_style is None:
            self.month_style = is_month
        elif is_month != self.month_style:
            self.problem(
                line,
                "date",
                f"{text!r} mixes YYYY-MM months with YYYY-MM-DD dates",
                "write every date the same way",
            )
            return None
        return when, is_month

    def _follows(self, line: int, text: str, when: dt.date) -> bool:
        """Whether ``when`` comes after the last point (else a problem: a repeat, or out of
        order)."""
        if not self.dates or when > self.dates[-1]:
            return True
        if when == self.dates[-1]:
            self.problem(
                line,
                "date",
                f"{text} appears twice (also line {self.lines[-1]})",
                "give each period one row",
            )
        else:
            self.problem(
                line,
                "date",
                f"{text} comes after {self.labels[-1]} (line {self.lines[-1]})",
                "sort the rows by date, earliest first",
            )
        return False

    def series(self) -> Series:
        """The series read; SeriesInvalid with every problem, if any."""
        if self.findings:
            raise SeriesInvalid(self.findings, self.source)
        if not self.dates:
            raise KpiboardError(
                "the file has a header but no rows",
                where=self.source,
                hint="add one date,value row per period",
            )
        return Series(
            self.source,
            tuple(self.labels),
            tuple(self.dates),
            np.array(self.values, dtype=np.float64),
            tuple(self.lines),
        )
