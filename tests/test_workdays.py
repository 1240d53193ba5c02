"""Working days and the bank holidays of England and Wales, against the dates gov.uk lists."""

from __future__ import annotations

from datetime import date

import pytest

from kpiboard.workdays import (
    bank_holidays,
    due_after_month,
    easter_sunday,
    is_working_day,
    nth_working_day_after,
)

# https://www.gov.uk/bank-holidays (England and Wales), and its archive for 2009 and 2012
GOV_UK = {
    2009: ["01-01", "04-10", "04-13", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2012: ["01-02", "04-06", "04-09", "05-07", "06-04", "06-05", "08-27", "12-25", "12-26"],
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: [
        "01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"
    ],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_bank_holidays_are_those_gov_uk_lists(year: int) -> None:
    assert [d.strftime("%m-%d") for d in bank_holidays(year)] == GOV_UK[year]


def test_easter_against_known_dates() -> None:
    known = {1961: (4, 2), 2000: (4, 23), 2008: (3, 23), 2038: (4, 25), 2285: (3, 22)}
    for year, (month, day) in known.items():
        assert easter_sunday(year) == date(year, month, day)


def test_working_days_skip_weekends_holidays_and_extra_closures() -> None:
    assert not is_working_day(date(2026, 12, 5))  # a Saturday
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day's substitute
    assert is_working_day(date(2026, 12, 29))
    assert not is_working_day(date(2026, 12, 29), [date(2026, 12, 29)])
    # after December 2026: Jan 1 (Friday) is a holiday, then 4-8 and 11-12 January
    assert nth_working_day_after(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert nth_working_day_after(date(2026, 12, 31), 7) == date(2027, 1, 12)
    # after March 2026, Good Friday (3 April) and Easter Monday (6 April) do not count
    assert nth_working_day_after(date(2026, 3, 31), 2) == date(2026, 4, 2)
    assert nth_working_day_after(date(2026, 3, 31), 3) == date(2026, 4, 7)
    with pytest.raises(ValueError, match="at least 1"):
        nth_working_day_after(date(2026, 3, 31), 0)


def test_a_months_figure_is_due_on_its_working_day_after_the_month() -> None:
    # December 2026 ends on Thursday 31st; Friday 1 January is New Year's Day
    assert due_after_month(2026 * 12 + 11, 1) == date(2027, 1, 4)
    assert due_after_month(2026 * 12 + 11, 10) == date(2027, 1, 15)
    # April 2026 ends on Thursday 30th; Monday 4 May is the early May bank holiday
    assert due_after_month(2026 * 12 + 3, 1) == date(2026, 5, 1)
    assert due_after_month(2026 * 12 + 3, 2) == date(2026, 5, 5)
