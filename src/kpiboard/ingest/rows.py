"""Checking one CSV row of observations against the catalogue.

Every problem in a row is reported (not only the first), each naming the field, the value
and what to do. Look-ups that repeat across rows (organisation names, months) are cached so
a file of a hundred thousand rows stays quick.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Sequence
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
FieldProblem = tuple[str, str, str]  # (field, message, hint)
NUMBER_FIELDS = ("numerator", "denominator", "value", "sample_size")


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


def _entered(mid: str, since: str | None) -> FieldProblem:
    """A data row for a month whose figure is entered on the dashboard (``entry:``): two
    sources for one figure would make the board's number depend on which loaded last."""
    months = f"from {since}" if since else "for every month"
    return (
        "measure",
        f"{mid!r} is entered on the dashboard {months} (entry: in its YAML), so it takes no "
        "data for this month",
        "remove the row (enter or correct the figure on the dashboard)"
        + (
            ", or move entry: since: later"
            if since
            else ", or set entry: since: to the first month entered there"
        ),
    )


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
        measure = self.measures.get(cell[1])
        # each problem is (field, message, hint), in the order the row's fields are checked;
        # findings are made only for a row that has some (most rows have none)
        problems: list[FieldProblem] = []
        org = self._orgs.get(cell[0])  # (the calls below only when not known already)
        if not isinstance(org, str):
            org = self._org_cell(cell[0], problems)
        if not cell[1] or measure is None:
            self._unknown_measure(cell[1], problems)
        month = self._months.get(cell[2])
        if not isinstance(month, int):
            month = self._period_cell(cell[2], problems)
        months = _months_cell(cell[3], problems) if cell[3] else 1
        numbers = _numbers(cell, problems)
        provisional = PROVISIONAL.get(cell[8].lower())
        if provisional is None:
            problems.append(
                (
                    "provisional",
                    f"{cell[8]!r} is not yes or no",
                    "write yes/no, true/false or 1/0, or leave it blank (= no)",
                )
            )
        if measure is not None:
            self._check_kind(measure.kind, measure.id, cell, numbers, problems)
            if measure.entry is not None and month is not None and measure.entry.entered(month):
                problems.append(_entered(measure.id, measure.entry.since))
        _check_figures(cell, numbers, problems)
        here = f"{display}:{line}"
        if org is not None and measure is not None and month is not None and months is not None:
            self._check_key((org, measure.id, month, months), here, problems)
        if problems:
            subject = measure.id if measure else None
            return [
                Finding("error", f"{field}: {message}", display, line, subject, hint)
                for field, message, hint in problems
            ]
        assert org is not None and month is not None and months is not None and measure is not None
        self._add(org, measure.id, month, months, numbers, bool(provisional), cell[9], here)
        return []

    def _org_cell(self, text: str, problems: list[FieldProblem]) -> str | None:
        if not text:
            problems.append(("org", "is blank", "give the organisation's id, name or alias"))
            return None
        found = self._orgs.get(text) or self._org(text)
        if isinstance(found, str):
            return found
        problems.append(("org", *found))
        return None

    def _unknown_measure(self, text: str, problems: list[FieldProblem]) -> None:
        if not text:
            problems.append(("measure", "is blank", "give the id of a measure in measures/*.yaml"))
        else:
            problems.append(("measure", *self._measure_problem(text)))

    def _period_cell(self, text: str, problems: list[FieldProblem]) -> int | None:
        if not text:
            problems.append(("period_end", "is blank", MONTH_HINT))
            return None
        got = self._months.get(text)
        if got is None:
            got = self._month(text)
        if isinstance(got, int):
            return got
        problems.append(("period_end", *got))
        return None

    def _check_key(self, key: Key, here: str, problems: list[FieldProblem]) -> None:
        """A row's key (org, measure, month, months) is given once across the read's files."""
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = here
            return
        org, mid, month, months = key
        problems.append(
            (
                "period_end",
                f"duplicate row: {org} {mid} {format_month(month)} "
                f"(months {months}) is also at {first}",
                "keep one row per org, measure, period_end and months; delete or correct one",
            )
        )

    def _add(
        self,
        org: str,
        mid: str,
        month: int,
        months: int,
        numbers: list[float | None],
        provisional: bool,
        note: str,
        source: str,
    ) -> None:
        """A clean row, into the columns."""
        cols = self.columns
        cols.org.append(org)
        cols.measure.append(mid)
        cols.period_end.append(self._dates.get(month) or self._date(month))
        cols.months.append(months)
        for column, number in zip(cols.numbers, numbers, strict=True):
            column.append(number)
        cols.provisional.append(provisional)
        cols.note.append(note or None)
        cols.source.append(source)

    def _check_kind(
        self,
        kind: MeasureKind,
        mid: str,
        cell: list[str],
        numbers: list[float | None],
        problems: list[FieldProblem],
    ) -> None:
        num, den, val, _size = numbers
        formula = self.measures[mid].formula
        if formula is not None:
            problems.append(
                (
                    "measure",
                    f"measure {mid!r} is derived from its formula ({formula}), so it takes no data",
                    "remove its rows, or its formula to give its data instead",
                )
            )
        elif kind in COMPUTED_KINDS:
            m = self.measures[mid]
            parts = m.of or [c.id for c in self.catalogue.children_of(mid)]
            problems.append(
                (
                    "measure",
                    f"{mid!r} is a {kind} measure; kpiboard computes it, so it takes no data",
                    f"remove these rows and give data for {' and '.join(map(repr, parts)) or 'its parts'}",
                )
            )
        if val is not None and val < 0 and kind in NON_NEGATIVE_KINDS:
            problems.append(
                (
                    "value",
                    f"{cell[6]} is negative, but a {kind} cannot be",
                    "only snapshot and mean measures may be negative; check the sign",
                )
            )
        if kind is MeasureKind.PROPORTION:
            if num is not None and den is not None and den > 0 and num > den:
                problems.append(
                    (
                        "numerator",
                        f"{cell[4]} is more than the denominator {cell[5]}",
                        "a proportion's numerator is part of its denominator; are the columns swapped?",
                    )
                )
            if num is not None and not cell[5]:
                problems.append(
                    (
                        "denominator",
                        "is blank, but a proportion needs one with its numerator",
                        "give the denominator, or give value (a percentage) instead of the numerator",
                    )
                )
            if val is not None and val > 100:  # below 0 was reported above
                problems.append(
                    (
                        "value",
                        f"{cell[6]} is outside 0-100",
                        "a proportion's value is a percentage, e.g. 77.3 for 77.3%",
                    )
                )

    def _date(self, month: int) -> dt.date:
        date = self._dates.get(month)
        if date is None:
            date = self._dates[month] = dt.date(year_of(month), month_of(month), 1)
        return date


def _months_cell(text: str, problems: list[FieldProblem]) -> int | None:
    """The period's length in months from a non-blank cell."""
    months = int(text) if text.isdecimal() else None  # not isdigit: int("²") fails
    if months is None or not 1 <= months <= MAX_MONTHS:
        problems.append(
            (
                "months",
                f"{text!r} is not a positive whole number",
                "months is the period's length: 1 for a month, 3 for a quarter, "
                "12 for a rolling year; leave it blank for 1",
            )
        )
        return None
    return months


def _numbers(cell: list[str], problems: list[FieldProblem]) -> list[float | None]:
    """numerator, denominator, value and sample_size (None when blank or not a number)."""
    numbers: list[float | None] = []
    for field, text in zip(NUMBER_FIELDS, cell[4:8], strict=True):
        number: float | None = None
        if text:
            try:
                number = float(text)
                if not math.isfinite(number) or "_" in text:
                    raise ValueError(text)
            except ValueError:
                problems.append((field, f"{text!r} is not a number", _number_hint(text)))
                number = None
            else:
                if number < 0 and field != "value":
                    problems.append(
                        (
                            field,
                            f"{text} is negative",
                            f"{field} is a count and cannot be negative; check the sign",
                        )
                    )
        numbers.append(number)
    return numbers


def _check_figures(
    cell: list[str], numbers: list[float | None], problems: list[FieldProblem]
) -> None:
    """A denominator above zero, and a figure at all (a numerator or a value)."""
    num, den, val, _size = numbers
    if den == 0 and cell[5]:
        problems.append(
            (
                "denominator",
                "is zero",
                "a rate needs a denominator above zero; check the figure, "
                "or give value alone if only the rate is known",
            )
        )
    if num is None and val is None and not cell[4] and not cell[6]:
        problems.append(
            (
                "numerator",
                "numerator and value are both blank: the row has no figure",
                "give the count in numerator (with denominator for a proportion) or the figure in value",
            )
        )
