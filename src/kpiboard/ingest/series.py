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
from dataclasses import dataclass
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
    header = [c.strip().lower() for c in rows[0]]
    if sorted(header) != sorted(COLUMNS):
        raise KpiboardError(
            f"the header is {','.join(rows[0])!r}, not date,value",
            where=f"{source}:{HEADER_LINE}",
            hint="the first line must name the two columns: date,value",
        )
    at = {name: header.index(name) for name in COLUMNS}
    findings: list[Finding] = []
    labels: list[str] = []
    dates: list[dt.date] = []
    values: list[float] = []
    lines: list[int] = []
    month_style: bool | None = None

    def problem(line: int, field: str | None, message: str, hint: str) -> None:
        findings.append(Finding("error", message, source, line, field, hint))

    for line, cells in enumerate(rows[1:], start=HEADER_LINE + 1):
        if len(findings) >= MAX_FINDINGS:
            break
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(COLUMNS):
            problem(
                line,
                None,
                f"{len(cells)} cells, not {len(COLUMNS)}",
                "each row is one date and one value; quote a value that contains a comma",
            )
            continue
        date_text, value_text = cells[at["date"]].strip(), cells[at["value"]].strip()
        ok = True
        try:
            when, is_month = parse_period(date_text)
            if month_style is None:
                month_style = is_month
            elif is_month != month_style:
                ok = False
                problem(
                    line,
                    "date",
                    f"{date_text!r} mixes YYYY-MM months with YYYY-MM-DD dates",
                    "write every date the same way",
                )
        except KpiboardError as exc:
            ok = False
            problem(line, "date", exc.message, exc.hint or DATE_HINT)
        bad_value = _value_problem(value_text)
        if bad_value:
            problem(line, "value", *bad_value)
        if not ok or bad_value:
            continue
        if dates and when <= dates[-1]:
            if when == dates[-1]:
                problem(
                    line,
                    "date",
                    f"{date_text} appears twice (also line {lines[-1]})",
                    "give each period one row",
                )
            else:
                problem(
                    line,
                    "date",
                    f"{date_text} comes after {labels[-1]} (line {lines[-1]})",
                    "sort the rows by date, earliest first",
                )
            continue
        labels.append(date_text if is_month else when.isoformat())
        dates.append(when)
        values.append(float(value_text))
        lines.append(line)
    if findings:
        raise SeriesInvalid(findings, source)
    if not dates:
        raise KpiboardError(
            "the file has a header but no rows",
            where=source,
            hint="add one date,value row per period",
        )
    return Series(
        source, tuple(labels), tuple(dates), np.array(values, dtype=np.float64), tuple(lines)
    )
