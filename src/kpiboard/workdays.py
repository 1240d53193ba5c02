"""Working days: Monday to Friday except bank holidays, for dates such as "due on the 10th
working day after the month ends".

The bank holidays of England and Wales are made by their rules (New Year's Day, Good Friday,
Easter Monday, the first and last Mondays of May, the last Monday of August, Christmas Day and
Boxing Day; one on a weekend moves to the next weekday that is not already a holiday), with the
years the government moved or added one (``_MOVED``, ``_ADDED``: royal occasions, VE Day
anniversaries, the millennium), as listed at https://www.gov.uk/bank-holidays and, before 2012,
in the Banking and Financial Dealings Act 1971 proclamations. A project adds its own closures
(``extra``), such as a holiday proclaimed after this release.

>>> christmas_2021 = [d.isoformat() for d in bank_holidays(2021) if d.month == 12]
>>> christmas_2021  # Christmas on a Saturday, Boxing Day on a Sunday
['2021-12-27', '2021-12-28']
>>> nth_working_day_after(date(2026, 3, 31), 10).isoformat()  # Easter 2026: 3 and 6 April
'2026-04-16'
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

# Holidays moved from their rule's date (rule date -> the date it moved to).
_MOVED: dict[date, date] = {
    date(1995, 5, 1): date(1995, 5, 8),  # 50th anniversary of VE Day
    date(2002, 5, 27): date(2002, 6, 4),  # Golden Jubilee
    date(2012, 5, 28): date(2012, 6, 4),  # Diamond Jubilee
    date(2020, 5, 4): date(2020, 5, 8),  # 75th anniversary of VE Day
    date(2022, 5, 30): date(2022, 6, 2),  # Platinum Jubilee
}
# Holidays added for one year only.
_ADDED: tuple[date, ...] = (
    date(1999, 12, 31),  # the millennium
    date(2002, 6, 3),  # Golden Jubilee
    date(2011, 4, 29),  # royal wedding
    date(2012, 6, 5),  # Diamond Jubilee
    date(2022, 6, 3),  # Platinum Jubilee
    date(2022, 9, 19),  # the state funeral of Queen Elizabeth II
    date(2023, 5, 8),  # the coronation of King Charles III
)


def easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the anonymous Gregorian algorithm).

    >>> easter_sunday(2009), easter_sunday(2024)
    (datetime.date(2009, 4, 12), datetime.date(2024, 3, 31))
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _monday_on_or_after(d: date) -> date:
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


@cache
def bank_holidays(year: int) -> tuple[date, ...]:
    """The bank holidays of England and Wales in ``year``, in date order."""
    easter = easter_sunday(year)
    fixed = [date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)]
    movable = [
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _monday_on_or_after(date(year, 5, 1)),  # early May
        _last_monday(year, 5),  # spring
        _last_monday(year, 8),  # summer
    ]
    days = {_MOVED.get(d, d) for d in movable}
    days.update(d for d in _ADDED if d.year == year)
    days.update(fixed)
    # a fixed holiday on a weekend moves to the next weekday not already a holiday
    for d in sorted(fixed):
        if d.weekday() >= 5:
            sub = d + timedelta(days=1)
            while sub.weekday() >= 5 or sub in days:
                sub += timedelta(days=1)
            days.add(sub)
    # the weekend day itself is not listed: the substitute is the bank holiday
    return tuple(sorted(d for d in days if d.weekday() < 5))


def is_working_day(d: date, extra: Iterable[date] = ()) -> bool:
    """Monday to Friday, not a bank holiday of England and Wales, not in ``extra``."""
    if d.weekday() >= 5:
        return False
    return d not in bank_holidays(d.year) and d not in set(extra)


def due_after_month(month: int, working_days: int, extra: Iterable[date] = ()) -> date:
    """The day a figure for ``month`` (a month index, ``kpiboard.periods``) is due: the
    ``working_days``-th working day after the month ends.

    >>> due_after_month(2026 * 12 + 2, 10).isoformat()  # March 2026: Easter on 3 and 6 April
    '2026-04-16'
    """
    year, month0 = divmod(month, 12)
    last = date(year + (month0 == 11), (month0 + 1) % 12 + 1, 1) - timedelta(days=1)
    return nth_working_day_after(last, working_days, extra)


def nth_working_day_after(d: date, n: int, extra: Iterable[date] = ()) -> date:
    """The ``n``-th working day after the day ``d`` (``d`` itself never counts), ``n`` >= 1."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    closed = set(extra)
    day, left = d, n
    while left:
        day += timedelta(days=1)
        if is_working_day(day, closed):
            left -= 1
    return day


def working_days_late(due: date, today: date, extra: Iterable[date] = ()) -> int:
    """Working days from the day after ``due`` to ``today`` (0 when not yet overdue).

    >>> working_days_late(date(2026, 12, 23), date(2026, 12, 29))  # 25, 28 Dec bank holidays
    2
    """
    days, day = 0, due
    while day < today:
        day += timedelta(days=1)
        days += is_working_day(day, extra)
    return days


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th… 11th, 12th, 13th… 21st.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']
    """
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def due_in_words(due: date, working_days: int) -> str:
    """A due date as people say it, with the working day it is after the month ends.

    >>> due_in_words(date(2009, 10, 14), 10)
    'due Wednesday 14 October 2009, 10th working day'
    """
    return f"due {due:%A} {due.day} {due:%B %Y}, {ordinal(working_days)} working day"
