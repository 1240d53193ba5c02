"""Checking one CSV row of observations against the catalogue.

Every problem in a row is reported (not only the first), each naming the field, the value
and what to do. Look-ups that repeat across rows (organisation names, months) are cached so
a file of a hundred thousand rows stays quick.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from kpiboard.errors import Finding, KpiboardError
from kpiboard.ingest.schema import OBSERVATION_SCHEMA
from kpiboard.periods import format_month, month_of, parse_month, year_of
from kpiboard.vocabulary import MeasureKind

if TYPE_CHECKING:
    from kpiboard.catalogue import Catalogue

#: Kinds that kpiboard computes from other measures, so they take no data of their own.
COMPUTED_KINDS = (MeasureKind.COMPOSITE, MeasureKind.DIFFERENCE, MeasureKind.RATIO)
#: Kinds whose ``value`` is a count, share or rate, so it cannot be negative.
NON_NEGATIVE_KINDS = (MeasureKind.COUNT, MeasureKind.PROPORTION, MeasureKind.PER_POPULATION)
MAX_MONTHS = 1200  # a century: anything longer is a typo, and it keeps months in int32
PROVISIONAL = {
    "": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
}
_OTHER_MONTH_FORMATS = (
    "%b-%y",
    "%b %y",
    "%b-%Y",
    "%b %Y",
    "%B %Y",
    "%B-%Y",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%Y",
    "%Y/%m",
    "%Y%m",
)
MONTH_HINT = "write months as YYYY-MM, e.g. 2009-08"
NUMBER_HINT = "write a plain number such as 1234 or 77.3 (no thousands separators, units or %)"

Key = tuple[str, str, int, int]
Problem = tuple[str, str]  # (message, hint)
ErrorFn = Callable[[str, str, str], None]  # (field, message, hint)


def _month_problem(text: str) -> Problem | None:
    """Why ``text`` is not a YYYY-MM month, with the fix spelled out when we can guess it."""
    try:
        parse_month(text)
        return None
    except KpiboardError as exc:
        for fmt in _OTHER_MONTH_FORMATS:
            try:
                when = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            return (
                exc.message,
                f"write months as YYYY-MM: {when.year:04d}-{when.month:02d} for {text!r}",
            )
        hint = exc.hint or ""
        return exc.message, hint if "YYYY-MM" in hint else f"{hint}; {MONTH_HINT}".lstrip("; ")


def _number_hint(text: str) -> str:
    if text.endswith("%"):
        return f"write {text[:-1].strip()!r} without the % sign"
    if "," in text and text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit():
        return f"write {text.replace(',', '')!r} without the thousands separator"
    return NUMBER_HINT


class Columns:
    """Column lists of the rows accepted so far; turned into one Arrow table at the end."""

    def __init__(self) -> None:
        self.org: list[str] = []
        self.measure: list[str] = []
        self.period_end: list[dt.date] = []
        self.months: list[int] = []
        self.numbers: tuple[list[float | None], ...] = ([], [], [], [])
        self.provisional: list[bool] = []
        self.note: list[str | None] = []
        self.source: list[str] = []

    def to_table(self) -> pa.Table:
        num, den, val, size = self.numbers
        data = [
            self.org,
            self.measure,
            self.period_end,
            self.months,
            num,
            den,
            val,
            size,
            self.provisional,
            self.note,
            self.source,
        ]
        arrays = [
            pa.array(col, type=f.type) for col, f in zip(data, OBSERVATION_SCHEMA, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=OBSERVATION_SCHEMA)


class RowChecker:
    """Validates rows against one catalogue, collects the good ones into :class:`Columns` and
    remembers every key seen, so duplicates are caught across all files of a read."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.measures = catalogue.measures
        self.columns = Columns()
        self._seen: dict[Key, str] = {}
        self._orgs: dict[str, str | Problem] = {}
        self._org_index = catalogue.org_index()
        self._months: dict[str, int | Problem] = {}
        self._dates: dict[int, dt.date] = {}

    def _org(self, text: str) -> str | Problem:
        if text not in self._orgs:
            key = text.casefold().strip()
            found = self._org_index.get(key)
            self._orgs[text] = found if found is not None else self._org_problem(text)
        return self._orgs[text]

    def _org_problem(self, text: str) -> Problem:
        # like Catalogue.resolve_org, but naming each organisation once however many of its
        # names (id, name, aliases) come close
        index = self._org_index
        near = difflib.get_close_matches(text.casefold().strip(), list(index), n=5, cutoff=0.5)
        ids = list(dict.fromkeys(index[n] for n in near))[:3]
        add = "or add it (or an alias) to organisations in kpiboard.yaml"
        if ids:
            return f"unknown organisation {text!r}", "did you mean " + " or ".join(
                map(repr, ids)
            ) + f"? {add}"
        known = ", ".join(sorted(set(index.values()))[:10])
        return f"unknown organisation {text!r}", f"known: {known}; {add}"

    def _month(self, text: str) -> int | Problem:
        if text not in self._months:
            problem = _month_problem(text)
            if problem is None and year_of(parse_month(text)) < 1:
                problem = (f"{text!r} has no year 0", MONTH_HINT)
            self._months[text] = problem if problem else parse_month(text)
        return self._months[text]

    def _measure_problem(self, text: str) -> Problem:
        message = f"unknown measure {text!r}"
        same = [m for m in self.measures if m.casefold() == text.casefold()]
        if same:
            return message, f"did you mean {same[0]!r}? (measure ids are case-sensitive)"
        near = difflib.get_close_matches(text, list(self.measures), n=3, cutoff=0.6)
        if near:
            return message, "did you mean " + " or ".join(map(repr, near)) + "?"
        return message, "use the id of a measure in measures/*.yaml, or define it there"

    def check(
        self, cells: Sequence[str], pos: Sequence[int | None], display: str, line: int
    ) -> list[Finding]:
        """Check one row (``pos`` = the cell index of each CSV column, in CSV_COLUMNS order, or
        None when absent). Returns its error findings; a clean row is added to the columns."""
        cell = [cells[i].strip() if i is not None else "" for i in pos]
        org_text, measure_text, period_text, months_text = cell[0], cell[1], cell[2], cell[3]
        measure = self.measures.get(measure_text)
        subject = measure.id if measure else None
        errors: list[Finding] = []

        def error(field: str, message: str, hint: str) -> None:
            errors.append(Finding("error", f"{field}: {message}", display, line, subject, hint))

        org: str | None = None
        if not org_text:
            error("org", "is blank", "give the organisation's id, name or alias")
        else:
            found = self._orgs.get(org_text) or self._org(org_text)
            if isinstance(found, str):
                org = found
            else:
                error("org", *found)
        if not measure_text:
            error("measure", "is blank", "give the id of a measure in measures/*.yaml")
        elif measure is None:
            error("measure", *self._measure_problem(measure_text))
        month: int | None = None
        if not period_text:
            error("period_end", "is blank", MONTH_HINT)
        else:
            got = self._months.get(period_text)
            if got is None:
                got = self._month(period_text)
            if isinstance(got, int):
                month = got
            else:
                error("period_end", *got)
        months: int | None = 1
        if months_text:
            months = int(months_text) if months_text.isdigit() else None
            if months is None or not 1 <= months <= MAX_MONTHS:
                months = None
                error(
                    "months",
                    f"{months_text!r} is not a positive whole number",
                    "months is the period's length: 1 for a month, 3 for a quarter, "
                    "12 for a rolling year; leave it blank for 1",
                )

        numbers: list[float | None] = []
        for field, text in zip(
            ("numerator", "denominator", "value", "sample_size"), cell[4:8], strict=True
        ):
            number: float | None = None
            if text:
                try:
                    number = float(text)
                    if not math.isfinite(number) or "_" in text:
                        raise ValueError(text)
                except ValueError:
                    error(field, f"{text!r} is not a number", _number_hint(text))
                    number = None
                else:
                    if number < 0 and field != "value":
                        error(
                            field,
                            f"{text} is negative",
                            f"{field} is a count and cannot be negative; check the sign",
                        )
            numbers.append(number)
        num, den, val, _size = numbers
        provisional = PROVISIONAL.get(cell[8].lower())
        if provisional is None:
            error(
                "provisional",
                f"{cell[8]!r} is not yes or no",
                "write yes/no, true/false or 1/0, or leave it blank (= no)",
            )

        if measure is not None:
            self._check_kind(measure.kind, measure.id, cell, numbers, error)
        if den == 0 and cell[5]:
            error(
                "denominator",
                "is zero",
                "a rate needs a denominator above zero; check the figure, "
                "or give value alone if only the rate is known",
            )
        if num is None and val is None and not cell[4] and not cell[6]:
            error(
                "numerator",
                "numerator and value are both blank: the row has no figure",
                "give the count in numerator (with denominator for a proportion) or the figure in value",
            )

        if org is not None and measure is not None and month is not None and months is not None:
            key = (org, measure.id, month, months)
            first = self._seen.get(key)
            here = f"{display}:{line}"
            if first is not None:
                error(
                    "period_end",
                    f"duplicate row: {org} {measure.id} {format_month(month)} "
                    f"(months {months}) is also at {first}",
                    "keep one row per org, measure, period_end and months; delete or correct one",
                )
            else:
                self._seen[key] = here
        if errors:
            return errors
        assert org is not None and month is not None and months is not None and measure is not None
        cols = self.columns
        cols.org.append(org)
        cols.measure.append(measure.id)
        cols.period_end.append(self._dates.get(month) or self._date(month))
        cols.months.append(months)
        for column, number in zip(cols.numbers, numbers, strict=True):
            column.append(number)
        cols.provisional.append(bool(provisional))
        cols.note.append(cell[9] or None)
        cols.source.append(f"{display}:{line}")
        return errors

    def _check_kind(
        self,
        kind: MeasureKind,
        mid: str,
        cell: list[str],
        numbers: list[float | None],
        error: ErrorFn,
    ) -> None:
        num, den, val, _size = numbers
        if kind in COMPUTED_KINDS:
            m = self.measures[mid]
            parts = m.of or [c.id for c in self.catalogue.children_of(mid)]
            error(
                "measure",
                f"{mid!r} is a {kind} measure; kpiboard computes it, so it takes no data",
                f"remove these rows and give data for {' and '.join(map(repr, parts)) or 'its parts'}",
            )
        if val is not None and val < 0 and kind in NON_NEGATIVE_KINDS:
            error(
                "value",
                f"{cell[6]} is negative, but a {kind} cannot be",
                "only snapshot and mean measures may be negative; check the sign",
            )
        if kind is MeasureKind.PROPORTION:
            if num is not None and den is not None and den > 0 and num > den:
                error(
                    "numerator",
                    f"{cell[4]} is more than the denominator {cell[5]}",
                    "a proportion's numerator is part of its denominator; are the columns swapped?",
                )
            if num is not None and not cell[5]:
                error(
                    "denominator",
                    "is blank, but a proportion needs one with its numerator",
                    "give the denominator, or give value (a percentage) instead of the numerator",
                )
            if val is not None and val > 100:  # below 0 was reported above
                error(
                    "value",
                    f"{cell[6]} is outside 0-100",
                    "a proportion's value is a percentage, e.g. 77.3 for 77.3%",
                )

    def _date(self, month: int) -> dt.date:
        date = self._dates.get(month)
        if date is None:
            date = self._dates[month] = dt.date(year_of(month), month_of(month), 1)
        return date
