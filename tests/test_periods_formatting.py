"""Known answers for months, financial years, windows and number formats."""

import pytest

from kpiboard.errors import KpiboardError
from kpiboard.formatting import number, ordinal, ratio_to_one, round_half_up, signed, with_unit
from kpiboard.periods import (
    fy_label,
    fy_quarter,
    fy_start,
    parse_fy,
    parse_month,
    short_month,
    window_ending,
)
from kpiboard.vocabulary import WindowKind

AUG09 = parse_month("2009-08")


def test_financial_year_starts_in_april_by_default() -> None:
    assert fy_label(AUG09) == "2009/10"
    assert fy_label(parse_month("2010-03")) == "2009/10"
    assert fy_label(parse_month("2010-04")) == "2010/11"
    assert short_month(fy_start(AUG09)) == "Apr-09"
    assert fy_label(parse_month("1999-12")) == "1999/00"


def test_other_year_starts() -> None:
    july = 7
    assert fy_label(parse_month("2009-06"), july) == "2008/09"
    assert fy_label(parse_month("2009-07"), july) == "2009/10"
    assert fy_label(parse_month("2009-06"), 1) == "2009"
    assert parse_fy("2009/10") == parse_month("2009-04")


def test_quarters_are_financial_quarters() -> None:
    assert fy_quarter(parse_month("2009-06")) == 1
    assert fy_quarter(parse_month("2010-01")) == 4


@pytest.mark.parametrize(
    ("kind", "first", "label"),
    [
        (WindowKind.MONTH, "2009-08", "Aug-09"),
        (WindowKind.ROLLING_3, "2009-06", "3 months to Aug-09"),
        (WindowKind.ROLLING_12, "2008-09", "12 months to Aug-09"),
        (WindowKind.FYTD, "2009-04", "Apr - Aug 2009"),
    ],
)
def test_windows_ending_in_august(kind: WindowKind, first: str, label: str) -> None:
    win = window_ending(kind, AUG09)
    assert win is not None
    assert win.first == parse_month(first) and win.last == AUG09
    assert win.label() == label


def test_quarters_and_years_end_only_at_their_last_month() -> None:
    assert window_ending(WindowKind.QUARTER, AUG09) is None
    q1 = window_ending(WindowKind.QUARTER, parse_month("2009-06"))
    assert q1 is not None and q1.label() == "Q1 2009/10" and q1.length == 3
    assert window_ending(WindowKind.FINANCIAL_YEAR, AUG09) is None
    fy = window_ending(WindowKind.FINANCIAL_YEAR, parse_month("2009-03"))
    assert fy is not None and fy.label() == "2008/09" and fy.length == 12


def test_fytd_in_the_first_month_is_one_month() -> None:
    win = window_ending(WindowKind.FYTD, parse_month("2009-04"))
    assert win is not None and win.length == 1 and win.label() == "Apr-09"


@pytest.mark.parametrize("bad", ["2009-13", "2009-00", "Aug-09", "2009/08", "", "2009-8-1"])
def test_bad_months_are_refused_with_a_hint(bad: str) -> None:
    with pytest.raises(KpiboardError) as exc:
        parse_month(bad)
    assert exc.value.hint


def test_numbers_as_a_board_paper_writes_them() -> None:
    assert with_unit(43.8, "£m", 1) == "£43.8m"
    assert with_unit(-1.25, "£m", 1) == "-£1.3m"
    assert with_unit(2516, "", 0) == "2,516"
    assert with_unit(49.25, "%", 1) == "49.3%"  # half up, not to even
    assert with_unit(5.5, "pts", 1) == "5.5 pts"
    assert with_unit(8, "systems") == "8 systems"
    assert signed(0.5, "%", 1) == "+0.5%"
    assert signed(-1527, "", 0) == "-1,527"
    assert number(-0.04, 1) == "0.0"  # never "-0.0"
    assert ratio_to_one(0.596) == "0.6 : 1"
    assert round_half_up(0.285, 2) == 0.29
    assert round_half_up(2.675, 2) == 2.68


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (42, "42nd"),
        (113, "113th"),
    ],
)
def test_ordinals(n: int, text: str) -> None:
    assert ordinal(n) == text
