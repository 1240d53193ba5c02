"""Placeholders in kpiboard.yaml's ``title`` and ``subtitle``: the period they state is filled
from the report month, so a heading is never fixed text that is right for one month only.

``{month}`` is the report month ("Aug-09"; ``{month_name}`` "August 2009"), ``{month_last_year}``
the same month a year earlier ("Aug-08"; ``{month_name_last_year}`` "August 2008"), ``{quarter}``
its financial quarter ("Q2 2009/10"), ``{rolling_year}`` the twelve months ending with it
("Sep-08 to Aug-09"), ``{year_to_date}`` the financial year to date ("Apr - Aug 2009") and
``{financial_year}`` the financial year ("2009/10"); ``{{`` and ``}}`` are literal braces.

>>> from kpiboard.periods import parse_month
>>> fill("Performance for rolling year to {month} ({rolling_year})", parse_month("2009-08"), 4)
'Performance for rolling year to Aug-09 (Sep-08 to Aug-09)'
>>> fill("{financial_year}: {year_to_date}", parse_month("2010-01"), 4)
'2009/10: Apr 2009 - Jan 2010'
>>> fill("{quarter}; {month_name} against {month_name_last_year}", parse_month("2018-03"), 4)
'Q4 2017/18; March 2018 against March 2017'
>>> unknown_names("to {mnth} in {{braces}}")
['mnth']
"""

from __future__ import annotations

import calendar
import string
from collections.abc import Callable

from kpiboard.periods import (
    MONTH_ABBR,
    fy_label,
    fy_quarter,
    fy_start,
    month_of,
    short_month,
    year_of,
)


def _rolling_year(month: int, _start: int) -> str:
    return f"{short_month(month - 11)} to {short_month(month)}"


def _year_to_date(month: int, start: int) -> str:
    first = fy_start(month, start)
    if first == month:
        return short_month(month)
    if year_of(first) == year_of(month):
        return f"{_abbr(first)} - {_abbr(month)} {year_of(month)}"
    return f"{_abbr(first)} {year_of(first)} - {_abbr(month)} {year_of(month)}"


def _abbr(month: int) -> str:
    return MONTH_ABBR[month_of(month) - 1]


def _month_name(month: int) -> str:
    return f"{calendar.month_name[month_of(month)]} {year_of(month)}"


#: each placeholder and how it is written for a report month and a financial year's first month
PLACEHOLDERS: dict[str, Callable[[int, int], str]] = {
    "month": lambda month, _start: short_month(month),
    "month_name": lambda month, _start: _month_name(month),
    "month_last_year": lambda month, _start: short_month(month - 12),
    "month_name_last_year": lambda month, _start: _month_name(month - 12),
    "quarter": lambda month, start: f"Q{fy_quarter(month, start)} {fy_label(month, start)}",
    "rolling_year": _rolling_year,
    "year_to_date": _year_to_date,
    "financial_year": lambda month, start: fy_label(month, start),
}


def names_in(text: str) -> list[str]:
    """The placeholders ``text`` names, in order (ValueError on an unbalanced brace)."""
    return [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]


def unknown_names(text: str) -> list[str]:
    """The placeholders in ``text`` that kpiboard does not know."""
    return [n for n in names_in(text) if n not in PLACEHOLDERS]


def fill(text: str, month: int, fy_start_month: int) -> str:
    """``text`` with its placeholders written for report month ``month``. Validation has
    refused unknown placeholders and unbalanced braces."""
    values = {name: make(month, fy_start_month) for name, make in PLACEHOLDERS.items()}
    return text.format_map(values)


def timeless(text: str) -> str:
    """``text`` for no month in particular (the dashboard's name, an e-mail's sender): its
    placeholders left out, with the punctuation that joined them.

    >>> timeless("{financial_year} Critical Performance Areas"), timeless("Crime, {quarter}")
    ('Critical Performance Areas', 'Crime')
    >>> timeless("Board: {{draft}}")
    'Board: {draft}'
    """
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:  # validation reports it; show the text as written
        return text
    out = "".join(literal for literal, _, _, _ in parts)  # "{{" is a brace
    if all(field is None for _, field, _, _ in parts):
        return out
    return " ".join(out.split()).strip(" ,;:-–·") or text
